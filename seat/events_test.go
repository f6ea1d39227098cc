package seat_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/memory"
	"github.com/coditect/coditect-license/seat"
)

func TestSessionEvents(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bus := memory.NewEventBus()
	svc, err := seat.New(seat.Config{
		Store: e.store, Ledger: e.ledger, Signer: e.signer, SessionTokens: e.tokens,
		Now: e.clock.Now, NewID: newID, Events: bus,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go svc.RunEvents(ctx)
	events, err := bus.Subscribe(ctx, e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	otherTenant, _ := bus.Subscribe(ctx, newID())

	_, key := e.license(3, 10, nil)
	acquire := func(fpr string) *seat.Grant {
		g, err := svc.Acquire(ctx, seat.AcquireRequest{LicenseKey: key, Fingerprint: fpr})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	a, b, c := acquire("a"), acquire("b"), acquire("c")
	if _, err := svc.Heartbeat(ctx, a.Session.ID, a.SessionToken); err != nil {
		t.Fatal(err)
	}
	if err := svc.Release(ctx, a.Session.ID, a.SessionToken); err != nil {
		t.Fatal(err)
	}
	if err := svc.Revoke(ctx, e.tenant, b.Session.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(11 * time.Second)
	if _, err := svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}

	want := []struct{ typ, id string }{
		{coditect.EventSessionAcquired, a.Session.ID},
		{coditect.EventSessionAcquired, b.Session.ID},
		{coditect.EventSessionAcquired, c.Session.ID},
		{coditect.EventSessionHeartbeat, a.Session.ID},
		{coditect.EventSessionReleased, a.Session.ID},
		{coditect.EventSessionRevoked, b.Session.ID},
		{coditect.EventSessionExpired, c.Session.ID},
	}
	for i, w := range want {
		select {
		case ev := <-events:
			if ev.Type != w.typ || ev.Session.ID != w.id || ev.TenantID != e.tenant {
				t.Fatalf("event %d: got %s %s, want %s %s", i, ev.Type, ev.Session.ID, w.typ, w.id)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("event %d (%s) did not arrive", i, w.typ)
		}
	}
	select {
	case ev := <-otherTenant:
		t.Fatalf("another tenant received %s", ev.Type)
	default:
	}
}

// countingBus records every Publish call; it can hold publishing back.
type countingBus struct {
	mu     sync.Mutex
	calls  int
	events []coditect.SessionEvent
	gate   chan struct{} // when not nil, each Publish waits for a value
}

func (b *countingBus) Publish(_ context.Context, events ...coditect.SessionEvent) error {
	if b.gate != nil {
		<-b.gate
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls++
	b.events = append(b.events, events...)
	return nil
}

func (b *countingBus) Subscribe(context.Context, string) (<-chan coditect.SessionEvent, error) {
	return nil, errors.New("not used")
}

func (b *countingBus) snapshot() (int, []coditect.SessionEvent) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.calls, append([]coditect.SessionEvent(nil), b.events...)
}

// Events that queue up while a publish is under way go out together, in
// the order they happened, and none is lost while the queue has room.
func TestEventsArePublishedInBatches(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	bus := &countingBus{gate: make(chan struct{})}
	svc, err := seat.New(seat.Config{
		Store: e.store, Ledger: e.ledger, Signer: e.signer, SessionTokens: e.tokens,
		Now: e.clock.Now, NewID: newID, Events: bus,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go svc.RunEvents(ctx)

	_, key := e.license(100, 60, nil)
	g, err := svc.Acquire(ctx, seat.AcquireRequest{LicenseKey: key, Fingerprint: "first"})
	if err != nil {
		t.Fatal(err)
	}
	// RunEvents now holds the first event and waits at the gate; these
	// queue behind it.
	const beats = 50
	for range beats {
		if _, err := svc.Heartbeat(ctx, g.Session.ID, g.SessionToken); err != nil {
			t.Fatal(err)
		}
	}
	close(bus.gate)
	deadline := time.Now().Add(5 * time.Second)
	for {
		calls, events := bus.snapshot()
		if len(events) == beats+1 {
			if calls > 3 {
				t.Errorf("%d events took %d publish calls, want them batched", len(events), calls)
			}
			if events[0].Type != coditect.EventSessionAcquired {
				t.Errorf("first event %s, want %s", events[0].Type, coditect.EventSessionAcquired)
			}
			for i, ev := range events[1:] {
				if ev.Type != coditect.EventSessionHeartbeat || ev.Session.ID != g.Session.ID {
					t.Fatalf("event %d: %s of %s, want a heartbeat of %s", i+1, ev.Type, ev.Session.ID, g.Session.ID)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("published %d events in %d calls, want %d", len(events), calls, beats+1)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
