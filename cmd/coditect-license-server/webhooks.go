package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/webhook"
)

// Webhook delivery settings.
const (
	// KindWebhookDelivery is the River job kind of one delivery.
	KindWebhookDelivery = "webhook_delivery"
	// KindLicenseExpiryNotices is the hourly job that sends
	// license.expiring and license.expired.
	KindLicenseExpiryNotices = "license_expiry_notices"
	webhookQueue             = "webhooks"
	// webhookDeadline is how long after its event a delivery is retried.
	webhookDeadline = 24 * time.Hour
	// webhookMaxDelay caps one backoff step.
	webhookMaxDelay = 6 * time.Hour
	// licenseExpiringNotice is how long before a license's expiry
	// license.expiring is sent.
	licenseExpiringNotice = 7 * 24 * time.Hour
)

// jobInserter enqueues a job; both River clients (pgx and SQLite) are one.
type jobInserter interface {
	Insert(ctx context.Context, args river.JobArgs, opts *river.InsertOpts) (*rivertype.JobInsertResult, error)
}

// webhooks turns events into deliveries: one row in the delivery log and
// one durable job per subscribed endpoint.
type webhooks struct {
	store  coditect.Store
	jobs   jobInserter
	now    func() time.Time
	logger *slog.Logger

	mu     sync.Mutex
	cached map[string]cachedEndpoints // tenant ID -> endpoints, for session events
}

// cachedEndpoints is a tenant's endpoints as read at a moment.
type cachedEndpoints struct {
	endpoints []*coditect.WebhookEndpoint
	at        time.Time
}

// endpointCacheTTL is how long session events reuse a tenant's endpoint
// list: a sweep that ends thousands of sessions reads it once, not once per
// session, and a new or deleted endpoint takes effect for session events
// within this time.
const endpointCacheTTL = 2 * time.Second

// event is the JSON body of every delivery.
type event struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	TenantID  string    `json:"tenant_id"`
	Data      any       `json:"data"`
}

// Emit sends an event to each of the tenant's endpoints subscribed to it.
// Failures are logged, never returned: a webhook must not fail the action
// that caused it.
func (w *webhooks) Emit(ctx context.Context, tenantID, typ string, data any) {
	w.emit(ctx, tenantID, typ, data, false)
}

// emit is Emit, reading the endpoints through the cache when cached.
func (w *webhooks) emit(ctx context.Context, tenantID, typ string, data any, cached bool) {
	endpoints, err := w.endpoints(ctx, tenantID, cached)
	if err != nil {
		w.logger.Error("list webhook endpoints", "tenant_id", tenantID, "event", typ, "err", err)
		return
	}
	for _, e := range endpoints {
		if !e.Subscribed(typ) {
			continue
		}
		if _, err := w.Send(ctx, e, typ, data); err != nil {
			w.logger.Error("queue webhook delivery", "tenant_id", tenantID, "endpoint_id", e.ID, "event", typ, "err", err)
		}
	}
}

func (w *webhooks) endpoints(ctx context.Context, tenantID string, cached bool) ([]*coditect.WebhookEndpoint, error) {
	if !cached {
		return w.store.ListWebhookEndpoints(ctx, tenantID)
	}
	now := time.Now()
	w.mu.Lock()
	c, ok := w.cached[tenantID]
	w.mu.Unlock()
	if ok && now.Sub(c.at) < endpointCacheTTL {
		return c.endpoints, nil
	}
	es, err := w.store.ListWebhookEndpoints(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	if w.cached == nil || len(w.cached) > 10_000 {
		w.cached = map[string]cachedEndpoints{}
	}
	w.cached[tenantID] = cachedEndpoints{es, now}
	w.mu.Unlock()
	return es, nil
}

// Send logs one delivery of an event to e and queues its job.
func (w *webhooks) Send(ctx context.Context, e *coditect.WebhookEndpoint, typ string, data any) (*coditect.WebhookDelivery, error) {
	now := w.now().UTC()
	body, err := json.Marshal(event{ID: newID(), Type: typ, CreatedAt: now, TenantID: e.TenantID, Data: data})
	if err != nil {
		return nil, err
	}
	d := &coditect.WebhookDelivery{
		ID: newID(), TenantID: e.TenantID, EndpointID: e.ID, EventType: typ, Payload: body,
		Status: coditect.DeliveryPending, CreatedAt: now, UpdatedAt: now,
	}
	if err := w.store.CreateWebhookDelivery(ctx, d); err != nil {
		return nil, err
	}
	if _, err := w.jobs.Insert(ctx, webhookDeliveryArgs{TenantID: d.TenantID, DeliveryID: d.ID}, nil); err != nil {
		d.Status, d.LastError, d.UpdatedAt = coditect.DeliveryFailed, "could not queue the delivery: "+err.Error(), w.now().UTC()
		_ = w.store.UpdateWebhookDelivery(ctx, d)
		return nil, err
	}
	return d, nil
}

type webhookDeliveryArgs struct {
	TenantID   string `json:"tenant_id"`
	DeliveryID string `json:"delivery_id"`
}

func (webhookDeliveryArgs) Kind() string { return KindWebhookDelivery }

func (webhookDeliveryArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: webhookQueue, MaxAttempts: 100} // the 24 h deadline ends it first
}

// webhookDeliveryWorker makes one attempt of a delivery and records it.
// A failed attempt returns an error, so River retries it after NextRetry.
type webhookDeliveryWorker struct {
	river.WorkerDefaults[webhookDeliveryArgs]
	store     coditect.Store
	client    *http.Client
	retryBase time.Duration
	now       func() time.Time
}

func (w *webhookDeliveryWorker) Timeout(*river.Job[webhookDeliveryArgs]) time.Duration {
	return 30 * time.Second
}

// NextRetry backs off exponentially from the retry base, each step at most
// six hours, never past the delivery's 24-hour deadline.
func (w *webhookDeliveryWorker) NextRetry(job *river.Job[webhookDeliveryArgs]) time.Time {
	delay := webhookMaxDelay
	if n := job.Attempt - 1; n < 20 {
		delay = min(w.retryBase<<n, webhookMaxDelay)
	}
	next := time.Now().Add(delay)
	if deadline := job.CreatedAt.Add(webhookDeadline); next.After(deadline) {
		next = deadline
	}
	return next
}

func (w *webhookDeliveryWorker) Work(ctx context.Context, job *river.Job[webhookDeliveryArgs]) error {
	d, err := w.store.GetWebhookDelivery(ctx, job.Args.TenantID, job.Args.DeliveryID)
	if coditect.IsCode(err, coditect.CodeNotFound) {
		return nil // its endpoint was deleted
	} else if err != nil {
		return err
	}
	if d.Status != coditect.DeliveryPending {
		return nil
	}
	e, err := w.store.GetWebhookEndpoint(ctx, d.TenantID, d.EndpointID)
	if coditect.IsCode(err, coditect.CodeNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	status, sendErr := w.post(ctx, e, d)
	now := w.now().UTC()
	d.Attempts++
	d.ResponseStatus, d.UpdatedAt = status, now
	if sendErr == nil {
		d.Status, d.LastError, d.DeliveredAt = coditect.DeliverySucceeded, "", &now
		return w.store.UpdateWebhookDelivery(ctx, d)
	}
	d.LastError = sendErr.Error()
	last := !time.Now().Before(job.CreatedAt.Add(webhookDeadline)) || job.Attempt >= job.MaxAttempts
	if last {
		d.Status = coditect.DeliveryFailed
	}
	if err := w.store.UpdateWebhookDelivery(ctx, d); err != nil {
		return err
	}
	if last {
		return river.JobCancel(sendErr)
	}
	return sendErr
}

// post sends the delivery's body, signed now, and returns the response
// status; any status but 2xx is an error.
func (w *webhookDeliveryWorker) post(ctx context.Context, e *coditect.WebhookEndpoint, d *coditect.WebhookDelivery) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "coditect-license-webhooks/1")
	req.Header.Set(webhook.EventHeader, d.EventType)
	req.Header.Set(webhook.DeliveryHeader, d.ID)
	req.Header.Set(webhook.SignatureHeader, webhook.Sign([]byte(e.Secret), w.now(), d.Payload))
	resp, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("receiver answered %s", resp.Status)
	}
	return resp.StatusCode, nil
}

type licenseExpiryArgs struct{}

func (licenseExpiryArgs) Kind() string { return KindLicenseExpiryNotices }

// licenseExpiryWorker sends license.expired for the licenses that expired
// in the last whole hour and license.expiring for those that expire in
// that hour a week later. The job is unique per hour, so each hour is
// looked at once.
type licenseExpiryWorker struct {
	river.WorkerDefaults[licenseExpiryArgs]
	m *Main
}

func (w *licenseExpiryWorker) Work(ctx context.Context, _ *river.Job[licenseExpiryArgs]) error {
	end := w.m.Now().UTC().Truncate(time.Hour)
	start := end.Add(-time.Hour)
	in := func(t *time.Time, from, to time.Time) bool { return t != nil && t.After(from) && !t.After(to) }
	after := ""
	for {
		tenants, err := w.m.store.ListTenants(ctx, after, 500)
		if err != nil {
			return err
		}
		for _, t := range tenants {
			cursor := ""
			for {
				ls, err := w.m.store.ListLicenses(ctx, t.ID, coditect.LicenseFilter{After: cursor, Limit: 500})
				if err != nil {
					return err
				}
				for _, l := range ls {
					switch {
					case in(l.ExpiresAt, start, end):
						w.m.webhooks.Emit(ctx, t.ID, coditect.WebhookLicenseExpired, licenseData(l))
					case in(l.ExpiresAt, start.Add(licenseExpiringNotice), end.Add(licenseExpiringNotice)):
						w.m.webhooks.Emit(ctx, t.ID, coditect.WebhookLicenseExpiring, licenseData(l))
					}
				}
				if len(ls) < 500 {
					break
				}
				cursor = ls[len(ls)-1].ID
			}
		}
		if len(tenants) < 500 {
			return nil
		}
		after = tenants[len(tenants)-1].ID
	}
}

// licenseData is a license in an event: what a receiver needs to act,
// never the key.
func licenseData(l *coditect.License) map[string]any {
	return map[string]any{
		"id": l.ID, "name": l.Name, "status": string(l.Status), "seats": l.Seats,
		"expires_at": l.ExpiresAt, "features": l.Features,
	}
}

func sessionData(s *coditect.Session) map[string]any {
	return map[string]any{
		"id": s.ID, "license_id": s.LicenseID, "status": string(s.Status),
		"ended_at": s.EndedAt, "end_reason": string(s.EndReason),
	}
}

// webhookBus is the seat service's event bus: it publishes as before and
// turns session.expired and session.revoked into webhooks. Only the
// replica that caused an event publishes it, so each is sent once.
type webhookBus struct {
	coditect.EventBus
	webhooks *webhooks
}

func (b webhookBus) Publish(ctx context.Context, events ...coditect.SessionEvent) error {
	err := b.EventBus.Publish(ctx, events...)
	for _, e := range events {
		switch e.Type {
		case coditect.EventSessionExpired, coditect.EventSessionRevoked:
			b.webhooks.emit(ctx, e.TenantID, e.Type, sessionData(&e.Session), true)
		}
	}
	return err
}

// webhookStore is the admin API's store: license writes that succeed send
// license.created, license.updated and license.deleted.
type webhookStore struct {
	coditect.Store
	webhooks *webhooks
}

func (s webhookStore) CreateLicense(ctx context.Context, l *coditect.License) error {
	if err := s.Store.CreateLicense(ctx, l); err != nil {
		return err
	}
	s.webhooks.Emit(ctx, l.TenantID, coditect.WebhookLicenseCreated, licenseData(l))
	return nil
}

func (s webhookStore) UpdateLicense(ctx context.Context, l *coditect.License) error {
	if err := s.Store.UpdateLicense(ctx, l); err != nil {
		return err
	}
	s.webhooks.Emit(ctx, l.TenantID, coditect.WebhookLicenseUpdated, licenseData(l))
	return nil
}

func (s webhookStore) DeleteLicense(ctx context.Context, tenantID, id string) error {
	if err := s.Store.DeleteLicense(ctx, tenantID, id); err != nil {
		return err
	}
	s.webhooks.Emit(ctx, tenantID, coditect.WebhookLicenseDeleted, map[string]any{"id": id})
	return nil
}

// webhookUsage is the seat service's usage writer: a minute with denials
// sends license.seats_exhausted, once per license and minute on this
// replica.
type webhookUsage struct {
	coditect.Store
	webhooks *webhooks
	mu       sync.Mutex
	notified map[string]time.Time // license ID -> last minute notified
}

func (u *webhookUsage) AddUsage(ctx context.Context, buckets []coditect.UsageBucket) error {
	if err := u.Store.AddUsage(ctx, buckets); err != nil {
		return err
	}
	for _, b := range buckets {
		if b.Denials == 0 || b.Resolution != coditect.UsageMinute {
			continue
		}
		u.mu.Lock()
		fresh := b.Start.After(u.notified[b.LicenseID])
		if fresh {
			u.notified[b.LicenseID] = b.Start
		}
		u.mu.Unlock()
		if fresh {
			u.webhooks.Emit(ctx, b.TenantID, coditect.WebhookLicenseSeatsExhausted,
				map[string]any{"license_id": b.LicenseID, "minute": b.Start.UTC(), "denials": b.Denials})
		}
	}
	return nil
}
