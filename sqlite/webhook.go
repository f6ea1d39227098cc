package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

var (
	webhookEndpointKind = kind{
		notFound:      "Webhook endpoint not found.",
		duplicateID:   "A webhook endpoint with this ID already exists.",
		missingParent: "Tenant not found.",
	}
	webhookDeliveryKind = kind{
		notFound:      "Webhook delivery not found.",
		duplicateID:   "A webhook delivery with this ID already exists.",
		missingParent: "Webhook endpoint not found.",
	}
)

// CreateWebhookEndpoint inserts e.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *coditect.WebhookEndpoint) error {
	events, err := json.Marshal(nonNil(e.Events))
	if err != nil {
		return fmt.Errorf("create webhook endpoint: %w", err)
	}
	err = s.wq.CreateWebhookEndpoint(ctx, sqlcdb.CreateWebhookEndpointParams{
		TenantID: e.TenantID, ID: e.ID, Url: e.URL, Description: e.Description,
		Events: string(events), Secret: e.Secret, CreatedAt: millis(e.CreatedAt),
	})
	return storeError("create webhook endpoint", webhookEndpointKind, err)
}

// GetWebhookEndpoint returns an endpoint of the tenant.
func (s *Store) GetWebhookEndpoint(ctx context.Context, tenantID, id string) (*coditect.WebhookEndpoint, error) {
	row, err := s.rq.GetWebhookEndpoint(ctx, sqlcdb.GetWebhookEndpointParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get webhook endpoint", webhookEndpointKind, err)
	}
	return webhookEndpointFromRow(row)
}

// ListWebhookEndpoints returns the tenant's endpoints, oldest first.
func (s *Store) ListWebhookEndpoints(ctx context.Context, tenantID string) ([]*coditect.WebhookEndpoint, error) {
	rows, err := s.rq.ListWebhookEndpoints(ctx, tenantID)
	if err != nil {
		return nil, storeError("list webhook endpoints", webhookEndpointKind, err)
	}
	out := make([]*coditect.WebhookEndpoint, 0, len(rows))
	for _, row := range rows {
		e, err := webhookEndpointFromRow(row)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// DeleteWebhookEndpoint removes an endpoint of the tenant and its
// deliveries.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, tenantID, id string) error {
	n, err := s.wq.DeleteWebhookEndpoint(ctx, sqlcdb.DeleteWebhookEndpointParams{TenantID: tenantID, ID: id})
	return storeError("delete webhook endpoint", webhookEndpointKind, oneRow(n, err))
}

// CreateWebhookDelivery inserts d.
func (s *Store) CreateWebhookDelivery(ctx context.Context, d *coditect.WebhookDelivery) error {
	err := s.wq.CreateWebhookDelivery(ctx, sqlcdb.CreateWebhookDeliveryParams{
		TenantID: d.TenantID, ID: d.ID, EndpointID: d.EndpointID, EventType: d.EventType,
		Payload: string(d.Payload), Status: string(d.Status), Attempts: int64(d.Attempts),
		ResponseStatus: int64(d.ResponseStatus), LastError: d.LastError,
		CreatedAt: millis(d.CreatedAt), UpdatedAt: millis(d.UpdatedAt), DeliveredAt: nullMillis(d.DeliveredAt),
	})
	return storeError("create webhook delivery", webhookDeliveryKind, err)
}

// GetWebhookDelivery returns a delivery of the tenant.
func (s *Store) GetWebhookDelivery(ctx context.Context, tenantID, id string) (*coditect.WebhookDelivery, error) {
	row, err := s.rq.GetWebhookDelivery(ctx, sqlcdb.GetWebhookDeliveryParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get webhook delivery", webhookDeliveryKind, err)
	}
	return webhookDeliveryFromRow(row), nil
}

// UpdateWebhookDelivery writes an attempt's outcome.
func (s *Store) UpdateWebhookDelivery(ctx context.Context, d *coditect.WebhookDelivery) error {
	n, err := s.wq.UpdateWebhookDelivery(ctx, sqlcdb.UpdateWebhookDeliveryParams{
		Status: string(d.Status), Attempts: int64(d.Attempts), ResponseStatus: int64(d.ResponseStatus),
		LastError: d.LastError, UpdatedAt: millis(d.UpdatedAt), DeliveredAt: nullMillis(d.DeliveredAt),
		TenantID: d.TenantID, ID: d.ID,
	})
	return storeError("update webhook delivery", webhookDeliveryKind, oneRow(n, err))
}

// ListWebhookDeliveries returns an endpoint's deliveries, newest first.
func (s *Store) ListWebhookDeliveries(ctx context.Context, tenantID, endpointID string, n int) ([]*coditect.WebhookDelivery, error) {
	rows, err := s.rq.ListWebhookDeliveries(ctx, sqlcdb.ListWebhookDeliveriesParams{TenantID: tenantID, EndpointID: endpointID, Limit: limit(n)})
	if err != nil {
		return nil, storeError("list webhook deliveries", webhookDeliveryKind, err)
	}
	out := make([]*coditect.WebhookDelivery, 0, len(rows))
	for _, row := range rows {
		out = append(out, webhookDeliveryFromRow(row))
	}
	return out, nil
}

func webhookEndpointFromRow(row sqlcdb.WebhookEndpoint) (*coditect.WebhookEndpoint, error) {
	var events []string
	if err := json.Unmarshal([]byte(row.Events), &events); err != nil {
		return nil, fmt.Errorf("decode webhook events: %w", err)
	}
	return &coditect.WebhookEndpoint{
		ID: row.ID, TenantID: row.TenantID, URL: row.Url, Description: row.Description,
		Events: nonNil(events), Secret: row.Secret, CreatedAt: fromMillis(row.CreatedAt),
	}, nil
}

func webhookDeliveryFromRow(row sqlcdb.WebhookDelivery) *coditect.WebhookDelivery {
	return &coditect.WebhookDelivery{
		ID: row.ID, TenantID: row.TenantID, EndpointID: row.EndpointID, EventType: row.EventType,
		Payload: []byte(row.Payload), Status: coditect.WebhookDeliveryStatus(row.Status),
		Attempts: int(row.Attempts), ResponseStatus: int(row.ResponseStatus), LastError: row.LastError,
		CreatedAt: fromMillis(row.CreatedAt), UpdatedAt: fromMillis(row.UpdatedAt), DeliveredAt: fromNullMillis(row.DeliveredAt),
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
