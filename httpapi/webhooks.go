package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/webhook"
)

// WebhookSender queues one delivery of an event to an endpoint (the "send
// test event" action).
type WebhookSender interface {
	Send(ctx context.Context, e *coditect.WebhookEndpoint, typ string, data any) (*coditect.WebhookDelivery, error)
}

type webhookResponse struct {
	ID          string    `json:"id"`
	URL         string    `json:"url"`
	Description string    `json:"description"`
	Events      []string  `json:"events"`
	CreatedAt   time.Time `json:"created_at"`
	// Secret is present only in the create response.
	Secret string `json:"secret,omitempty"`
}

func webhookJSON(e *coditect.WebhookEndpoint) webhookResponse {
	return webhookResponse{ID: e.ID, URL: e.URL, Description: e.Description, Events: e.Events, CreatedAt: e.CreatedAt.UTC()}
}

type deliveryResponse struct {
	ID             string          `json:"id"`
	EndpointID     string          `json:"endpoint_id"`
	EventType      string          `json:"event_type"`
	Status         string          `json:"status"`
	Attempts       int             `json:"attempts"`
	ResponseStatus *int            `json:"response_status"`
	LastError      string          `json:"last_error,omitempty"`
	Payload        json.RawMessage `json:"payload"`
	CreatedAt      time.Time       `json:"created_at"`
	UpdatedAt      time.Time       `json:"updated_at"`
	DeliveredAt    *time.Time      `json:"delivered_at"`
}

func deliveryJSON(d *coditect.WebhookDelivery) deliveryResponse {
	out := deliveryResponse{
		ID: d.ID, EndpointID: d.EndpointID, EventType: d.EventType, Status: string(d.Status),
		Attempts: d.Attempts, LastError: d.LastError, Payload: d.Payload,
		CreatedAt: d.CreatedAt.UTC(), UpdatedAt: d.UpdatedAt.UTC(), DeliveredAt: d.DeliveredAt,
	}
	if d.ResponseStatus != 0 {
		out.ResponseStatus = &d.ResponseStatus
	}
	return out
}

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	es, err := s.Store.ListWebhookEndpoints(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	out := list[webhookResponse]{Data: make([]webhookResponse, 0, len(es))}
	for _, e := range es {
		out.Data = append(out.Data, webhookJSON(e))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type webhookBody struct {
	URL         string   `json:"url"`
	Description string   `json:"description"`
	Events      []string `json:"events"`
}

func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) error {
	p, err := s.writer(w, r)
	if err != nil {
		return err
	}
	var body webhookBody
	if err := decodeJSON(r, &body, true); err != nil {
		return err
	}
	body.URL = strings.TrimSpace(body.URL)
	if len(body.URL) > 2048 {
		return coditect.Errorf(coditect.CodeInvalidRequest, "url must be at most 2048 characters.")
	}
	if err := webhook.CheckURL(r.Context(), body.URL, s.WebhookAllowPrivate); err != nil {
		return err
	}
	if utf8.RuneCountInString(body.Description) > coditect.MaxNameLength {
		return coditect.Errorf(coditect.CodeInvalidRequest, "description must be at most %d characters.", coditect.MaxNameLength)
	}
	if len(body.Events) == 0 {
		return coditect.Errorf(coditect.CodeInvalidRequest, "events must name at least one of: %s.", strings.Join(coditect.WebhookEvents, ", "))
	}
	events := []string{}
	for _, ev := range body.Events {
		if !slices.Contains(coditect.WebhookEvents, ev) {
			return coditect.Errorf(coditect.CodeInvalidRequest, "unknown event %q; events are: %s.", ev, strings.Join(coditect.WebhookEvents, ", "))
		}
		if !slices.Contains(events, ev) {
			events = append(events, ev)
		}
	}
	existing, err := s.Store.ListWebhookEndpoints(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	if len(existing) >= coditect.MaxWebhookEndpoints {
		return coditect.Errorf(coditect.CodeConflict, "A tenant may have at most %d webhook endpoints.", coditect.MaxWebhookEndpoints)
	}
	e := &coditect.WebhookEndpoint{
		ID: s.NewID(), TenantID: p.TenantID, URL: body.URL, Description: body.Description,
		Events: events, Secret: randomToken("whsec_"), CreatedAt: s.Now(),
	}
	if err := s.Store.CreateWebhookEndpoint(r.Context(), e); err != nil {
		return err
	}
	s.auditBy(r, p, "webhook.create", "webhook", e.ID, nil, map[string]any{"url": e.URL, "events": e.Events})
	resp := webhookJSON(e)
	resp.Secret = e.Secret
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	e, err := s.Store.GetWebhookEndpoint(r.Context(), p.TenantID, r.PathValue("webhook_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, webhookJSON(e))
	return nil
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) error {
	p, err := s.writer(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("webhook_id")
	if err := s.Store.DeleteWebhookEndpoint(r.Context(), p.TenantID, id); err != nil {
		return err
	}
	s.auditBy(r, p, "webhook.delete", "webhook", id, nil, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// testWebhook queues a webhook.test event to the endpoint, whatever it
// subscribed to, and answers with its delivery.
func (s *Server) testWebhook(w http.ResponseWriter, r *http.Request) error {
	p, err := s.writer(w, r)
	if err != nil {
		return err
	}
	e, err := s.Store.GetWebhookEndpoint(r.Context(), p.TenantID, r.PathValue("webhook_id"))
	if err != nil {
		return err
	}
	if s.Webhooks == nil {
		return coditect.Errorf(coditect.CodeUnavailable, "Webhook delivery is not enabled on this server.")
	}
	d, err := s.Webhooks.Send(r.Context(), e, coditect.WebhookTest, map[string]any{"endpoint_id": e.ID, "message": "This is a test event."})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, deliveryJSON(d))
	return nil
}

func (s *Server) listWebhookDeliveries(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > 500 {
			return coditect.Errorf(coditect.CodeInvalidRequest, "limit must be a whole number from 1 to 500.")
		}
		limit = n
	}
	e, err := s.Store.GetWebhookEndpoint(r.Context(), p.TenantID, r.PathValue("webhook_id"))
	if err != nil {
		return err
	}
	ds, err := s.Store.ListWebhookDeliveries(r.Context(), p.TenantID, e.ID, limit)
	if err != nil {
		return err
	}
	out := list[deliveryResponse]{Data: make([]deliveryResponse, 0, len(ds))}
	for _, d := range ds {
		out.Data = append(out.Data, deliveryJSON(d))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
