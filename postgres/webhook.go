package postgres

import (
	"context"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
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
	err := s.tenant(e.TenantID).CreateWebhookEndpoint(ctx, sqlcdb.CreateWebhookEndpointParams{
		TenantID: e.TenantID, ID: e.ID, Url: e.URL, Description: e.Description,
		Events: nonNilStrings(e.Events), Secret: e.Secret, CreatedAt: stored(e.CreatedAt),
	})
	return storeError("create webhook endpoint", webhookEndpointKind, err)
}

// GetWebhookEndpoint returns an endpoint of the tenant.
func (s *Store) GetWebhookEndpoint(ctx context.Context, tenantID, id string) (*coditect.WebhookEndpoint, error) {
	row, err := s.tenant(tenantID).GetWebhookEndpoint(ctx, sqlcdb.GetWebhookEndpointParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get webhook endpoint", webhookEndpointKind, err)
	}
	return webhookEndpointFromRow(row), nil
}

// ListWebhookEndpoints returns the tenant's endpoints, oldest first.
func (s *Store) ListWebhookEndpoints(ctx context.Context, tenantID string) ([]*coditect.WebhookEndpoint, error) {
	rows, err := s.tenant(tenantID).ListWebhookEndpoints(ctx, tenantID)
	if err != nil {
		return nil, storeError("list webhook endpoints", webhookEndpointKind, err)
	}
	out := make([]*coditect.WebhookEndpoint, 0, len(rows))
	for _, row := range rows {
		out = append(out, webhookEndpointFromRow(row))
	}
	return out, nil
}

// DeleteWebhookEndpoint removes an endpoint of the tenant and its
// deliveries.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, tenantID, id string) error {
	err := oneRow(s.tenant(tenantID).DeleteWebhookEndpoint(ctx, sqlcdb.DeleteWebhookEndpointParams{TenantID: tenantID, ID: id}))
	return storeError("delete webhook endpoint", webhookEndpointKind, err)
}

// CreateWebhookDelivery inserts d.
func (s *Store) CreateWebhookDelivery(ctx context.Context, d *coditect.WebhookDelivery) error {
	err := s.tenant(d.TenantID).CreateWebhookDelivery(ctx, sqlcdb.CreateWebhookDeliveryParams{
		TenantID: d.TenantID, ID: d.ID, EndpointID: d.EndpointID, EventType: d.EventType,
		Payload: string(d.Payload), Status: string(d.Status), Attempts: int32(d.Attempts),
		ResponseStatus: int32(d.ResponseStatus), LastError: d.LastError,
		CreatedAt: stored(d.CreatedAt), UpdatedAt: stored(d.UpdatedAt), DeliveredAt: storedPtr(d.DeliveredAt),
	})
	return storeError("create webhook delivery", webhookDeliveryKind, err)
}

// GetWebhookDelivery returns a delivery of the tenant.
func (s *Store) GetWebhookDelivery(ctx context.Context, tenantID, id string) (*coditect.WebhookDelivery, error) {
	row, err := s.tenant(tenantID).GetWebhookDelivery(ctx, sqlcdb.GetWebhookDeliveryParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get webhook delivery", webhookDeliveryKind, err)
	}
	return webhookDeliveryFromRow(row), nil
}

// UpdateWebhookDelivery writes an attempt's outcome.
func (s *Store) UpdateWebhookDelivery(ctx context.Context, d *coditect.WebhookDelivery) error {
	err := oneRow(s.tenant(d.TenantID).UpdateWebhookDelivery(ctx, sqlcdb.UpdateWebhookDeliveryParams{
		Status: string(d.Status), Attempts: int32(d.Attempts), ResponseStatus: int32(d.ResponseStatus),
		LastError: d.LastError, UpdatedAt: stored(d.UpdatedAt), DeliveredAt: storedPtr(d.DeliveredAt),
		TenantID: d.TenantID, ID: d.ID,
	}))
	return storeError("update webhook delivery", webhookDeliveryKind, err)
}

// ListWebhookDeliveries returns an endpoint's deliveries, newest first.
func (s *Store) ListWebhookDeliveries(ctx context.Context, tenantID, endpointID string, n int) ([]*coditect.WebhookDelivery, error) {
	rows, err := s.tenant(tenantID).ListWebhookDeliveries(ctx, sqlcdb.ListWebhookDeliveriesParams{TenantID: tenantID, EndpointID: endpointID, RowLimit: limit(n)})
	if err != nil {
		return nil, storeError("list webhook deliveries", webhookDeliveryKind, err)
	}
	out := make([]*coditect.WebhookDelivery, 0, len(rows))
	for _, row := range rows {
		out = append(out, webhookDeliveryFromRow(row))
	}
	return out, nil
}

func webhookEndpointFromRow(row sqlcdb.WebhookEndpoint) *coditect.WebhookEndpoint {
	return &coditect.WebhookEndpoint{
		ID: row.ID, TenantID: row.TenantID, URL: row.Url, Description: row.Description,
		Events: nonNilStrings(row.Events), Secret: row.Secret, CreatedAt: row.CreatedAt.UTC(),
	}
}

func webhookDeliveryFromRow(row sqlcdb.WebhookDelivery) *coditect.WebhookDelivery {
	d := &coditect.WebhookDelivery{
		ID: row.ID, TenantID: row.TenantID, EndpointID: row.EndpointID, EventType: row.EventType,
		Payload: []byte(row.Payload), Status: coditect.WebhookDeliveryStatus(row.Status),
		Attempts: int(row.Attempts), ResponseStatus: int(row.ResponseStatus), LastError: row.LastError,
		CreatedAt: row.CreatedAt.UTC(), UpdatedAt: row.UpdatedAt.UTC(),
	}
	if row.DeliveredAt != nil {
		t := row.DeliveredAt.UTC()
		d.DeliveredAt = &t
	}
	return d
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
