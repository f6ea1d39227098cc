package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

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
//
// Heartbeat events, by far the most frequent, are not sent to a tenant
// channel that had no subscriber at its last publish, for quietFor: with
// no dashboard open, a fleet of a million seats on a 120 s interval would
// otherwise publish 8,300 events a second to nobody. A dashboard that
// subscribes meanwhile sees heartbeats from the next publish after that
// second (it starts from the current sessions anyway); every other event
// is always published.
type EventBus struct {
	client goredis.UniversalClient
	prefix string

	// quietFor is how long a channel with no subscriber gets no heartbeat
	// events; tests shorten it.
	quietFor time.Duration
	mu       sync.Mutex
	quiet    map[string]time.Time // channel -> until when heartbeats skip it
}

// defaultQuietFor is EventBus.quietFor.
const defaultQuietFor = time.Second

// NewEventBus returns an EventBus on client.
func NewEventBus(client goredis.UniversalClient, opts Options) *EventBus {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	return &EventBus{client: client, prefix: opts.Prefix, quietFor: defaultQuietFor, quiet: map[string]time.Time{}}
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
	now := time.Now()
	pipe := b.client.Pipeline()
	channels := make([]string, 0, len(events))
	cmds := make([]*goredis.IntCmd, 0, len(events))
	for _, e := range events {
		ch := b.channel(e.TenantID)
		if e.Type == coditect.EventSessionHeartbeat && b.isQuiet(ch, now) {
			continue
		}
		payload, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode session event: %w", err)
		}
		channels = append(channels, ch)
		cmds = append(cmds, pipe.SPublish(ctx, ch, payload))
	}
	if len(cmds) == 0 {
		return nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return coditect.Unavailable("event bus", fmt.Errorf("publish %d session events: %w", len(cmds), err))
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for i, cmd := range cmds {
		if cmd.Val() == 0 {
			b.quiet[channels[i]] = now.Add(b.quietFor)
		} else {
			delete(b.quiet, channels[i])
		}
	}
	return nil
}

// isQuiet reports whether channel had no subscriber at a publish less than
// quietFor before now.
func (b *EventBus) isQuiet(channel string, now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	until, ok := b.quiet[channel]
	return ok && now.Before(until)
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
