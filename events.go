package coditect

import (
	"context"
	"time"
)

// Session event types, as the live monitor receives them.
const (
	EventSessionAcquired  = "session.acquired"
	EventSessionHeartbeat = "session.heartbeat"
	EventSessionReleased  = "session.released"
	EventSessionExpired   = "session.expired"
	EventSessionRevoked   = "session.revoked"
)

// SessionEvent is a change of a session, published to its tenant's
// subscribers. Session holds what the publisher knew: a heartbeat carries
// only the IDs and the new expiry, since it reads nothing from the store.
type SessionEvent struct {
	Type     string    `json:"type"`
	TenantID string    `json:"tenant_id"`
	Session  Session   `json:"session"`
	At       time.Time `json:"at"`
}

// EventBus carries session events to every replica's subscribers of a
// tenant, in the order one publisher published them.
type EventBus interface {
	// Publish sends events in order; a publisher with many queued sends
	// them in one call (one round trip to Redis).
	Publish(ctx context.Context, events ...SessionEvent) error
	// Subscribe returns the tenant's events until ctx ends, when the channel
	// is closed. A subscriber too slow to keep up is dropped (its channel
	// closed) rather than slowing publishers down; it should reconnect.
	Subscribe(ctx context.Context, tenantID string) (<-chan SessionEvent, error)
}
