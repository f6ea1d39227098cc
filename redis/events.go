package redis

import (
	"context"
	"encoding/json"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license"
)

var _ coditect.EventBus = (*EventBus)(nil)

// eventBuffer is how many events a subscriber may fall behind before it is
// dropped.
const eventBuffer = 256

// EventBus carries session events between replicas over Redis sharded
// pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7+), one channel per tenant
// (<prefix>:events:{<tenant_id>}). Sharded channels live on the node that
// owns their slot, so on a Cluster one tenant's events pass through one
// node and keep their order. Pub/sub delivers to the subscribers connected
// at the time and keeps nothing: a subscriber that reconnects reloads the
// current sessions and follows from there.
type EventBus struct {
	client goredis.UniversalClient
	prefix string
}

// NewEventBus returns an EventBus on client.
func NewEventBus(client goredis.UniversalClient, opts Options) *EventBus {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	return &EventBus{client: client, prefix: opts.Prefix}
}

func (b *EventBus) channel(tenantID string) string {
	return b.prefix + ":events:{" + tagEscaper.Replace(tenantID) + "}"
}

// Publish sends e to every replica's subscribers of its tenant.
func (b *EventBus) Publish(ctx context.Context, events ...coditect.SessionEvent) error {
	if len(events) == 0 {
		return nil
	}
	// One pipeline: one round trip per node, however many events. Each
	// tenant's channel lives on one node, so its events keep their order.
	pipe := b.client.Pipeline()
	for _, e := range events {
		payload, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode session event: %w", err)
		}
		pipe.SPublish(ctx, b.channel(e.TenantID), payload)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return coditect.Unavailable("event bus", fmt.Errorf("publish %d session events: %w", len(events), err))
	}
	return nil
}

// Subscribe returns the tenant's events until ctx ends. It returns once
// Redis confirmed the subscription, so no event published afterwards is
// missed.
func (b *EventBus) Subscribe(ctx context.Context, tenantID string) (<-chan coditect.SessionEvent, error) {
	ps := b.client.SSubscribe(ctx, b.channel(tenantID))
	if _, err := ps.Receive(ctx); err != nil {
		_ = ps.Close()
		return nil, coditect.Unavailable("event bus", fmt.Errorf("subscribe to session events: %w", err))
	}
	out := make(chan coditect.SessionEvent, eventBuffer)
	go func() {
		defer close(out)
		defer ps.Close()
		msgs := ps.Channel()
		for {
			select {
			case <-ctx.Done():
				return
			case m, ok := <-msgs:
				if !ok {
					return
				}
				var e coditect.SessionEvent
				if err := json.Unmarshal([]byte(m.Payload), &e); err != nil {
					continue // not ours; ignore
				}
				select {
				case out <- e:
				default:
					return // too slow: drop the subscriber
				}
			}
		}
	}()
	return out, nil
}
