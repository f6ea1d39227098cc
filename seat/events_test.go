package seat_test

import (
	"context"
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
