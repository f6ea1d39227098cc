package coditect

import (
	"context"
	"time"
)

// Webhook event types a tenant's endpoints can subscribe to.
const (
	WebhookLicenseSeatsExhausted = "license.seats_exhausted"
	WebhookLicenseExpiring       = "license.expiring"
	WebhookLicenseExpired        = "license.expired"
	WebhookSessionExpired        = "session.expired"
	WebhookSessionRevoked        = "session.revoked"
	WebhookLicenseCreated        = "license.created"
	WebhookLicenseUpdated        = "license.updated"
	WebhookLicenseDeleted        = "license.deleted"
	// WebhookTest is the event of the "send test event" action; every
	// endpoint receives it when asked, whatever it subscribed to.
	WebhookTest = "webhook.test"
)

// WebhookEvents lists the event types an endpoint may subscribe to.
var WebhookEvents = []string{
	WebhookLicenseSeatsExhausted, WebhookLicenseExpiring, WebhookLicenseExpired,
	WebhookSessionExpired, WebhookSessionRevoked,
	WebhookLicenseCreated, WebhookLicenseUpdated, WebhookLicenseDeleted,
}

// MaxWebhookEndpoints caps a tenant's endpoints.
const MaxWebhookEndpoints = 20

// WebhookEndpoint is a URL of a tenant's that receives the events it
// subscribed to, signed with its secret.
type WebhookEndpoint struct {
	ID          string
	TenantID    string
	URL         string
	Description string
	Events      []string
	// Secret is the HMAC-SHA256 key deliveries are signed with. It is shown
	// once, when the endpoint is created.
	Secret    string
	CreatedAt time.Time
}

// Subscribed reports whether the endpoint receives events of type event.
func (e *WebhookEndpoint) Subscribed(event string) bool {
	if event == WebhookTest {
		return true
	}
	for _, ev := range e.Events {
		if ev == event {
			return true
		}
	}
	return false
}

// WebhookDeliveryStatus is where a delivery stands.
type WebhookDeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   WebhookDeliveryStatus = "pending"
	DeliverySucceeded WebhookDeliveryStatus = "succeeded"
	DeliveryFailed    WebhookDeliveryStatus = "failed"
)

// WebhookDelivery is one event sent (or being sent) to one endpoint: the
// delivery log's row. Payload is the exact body every attempt sends.
type WebhookDelivery struct {
	ID             string
	TenantID       string
	EndpointID     string
	EventType      string
	Payload        []byte
	Status         WebhookDeliveryStatus
	Attempts       int
	ResponseStatus int
	LastError      string
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeliveredAt    *time.Time
}

// WebhookStore keeps webhook endpoints and their delivery log.
type WebhookStore interface {
	CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error
	GetWebhookEndpoint(ctx context.Context, tenantID, id string) (*WebhookEndpoint, error)
	// ListWebhookEndpoints returns all of a tenant's endpoints, oldest first.
	ListWebhookEndpoints(ctx context.Context, tenantID string) ([]*WebhookEndpoint, error)
	// DeleteWebhookEndpoint removes an endpoint and its delivery log.
	DeleteWebhookEndpoint(ctx context.Context, tenantID, id string) error
	CreateWebhookDelivery(ctx context.Context, d *WebhookDelivery) error
	GetWebhookDelivery(ctx context.Context, tenantID, id string) (*WebhookDelivery, error)
	// UpdateWebhookDelivery writes an attempt's outcome: status, attempts,
	// response status, last error, updated and delivered times.
	UpdateWebhookDelivery(ctx context.Context, d *WebhookDelivery) error
	// ListWebhookDeliveries returns at most limit deliveries of an
	// endpoint, newest first.
	ListWebhookDeliveries(ctx context.Context, tenantID, endpointID string, limit int) ([]*WebhookDelivery, error)
}
