package memory

import (
	"context"
	"sync"

	coditect "github.com/coditect/coditect-license"
)

// subscriberBuffer is how many events a subscriber may fall behind before
// it is dropped.
const subscriberBuffer = 256

// EventBus is an in-process coditect.EventBus for a single node.
type EventBus struct {
	mu   sync.Mutex
	subs map[string]map[*subscriber]struct{}
}

type subscriber struct {
	ch     chan coditect.SessionEvent
	closed bool
}

var _ coditect.EventBus = (*EventBus)(nil)

// NewEventBus returns an empty bus.
func NewEventBus() *EventBus {
	return &EventBus{subs: make(map[string]map[*subscriber]struct{})}
}

// Publish delivers events to the subscribers of their tenants without
// blocking.
func (b *EventBus) Publish(_ context.Context, events ...coditect.SessionEvent) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range events {
		for s := range b.subs[e.TenantID] {
			select {
			case s.ch <- e:
			default:
				b.drop(e.TenantID, s)
			}
		}
	}
	return nil
}

// Subscribe returns the tenant's events until ctx ends.
func (b *EventBus) Subscribe(ctx context.Context, tenantID string) (<-chan coditect.SessionEvent, error) {
	s := &subscriber{ch: make(chan coditect.SessionEvent, subscriberBuffer)}
	b.mu.Lock()
	if b.subs[tenantID] == nil {
		b.subs[tenantID] = make(map[*subscriber]struct{})
	}
	b.subs[tenantID][s] = struct{}{}
	b.mu.Unlock()
	go func() {
		<-ctx.Done()
		b.mu.Lock()
		b.drop(tenantID, s)
		b.mu.Unlock()
	}()
	return s.ch, nil
}

// drop removes and closes a subscriber; b.mu must be held.
func (b *EventBus) drop(tenantID string, s *subscriber) {
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	delete(b.subs[tenantID], s)
	if len(b.subs[tenantID]) == 0 {
		delete(b.subs, tenantID)
	}
}
