// Package eventstest is the conformance suite every coditect.EventBus runs.
// newPair returns two buses that share a backend (for the memory bus, the
// same bus twice), standing for two replicas.
package eventstest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// Run runs every behaviour.
func Run(t *testing.T, newPair func(t *testing.T) (coditect.EventBus, coditect.EventBus)) {
	tests := []struct {
		name string
		run  func(*testing.T, coditect.EventBus, coditect.EventBus)
	}{
		{"DeliversInOrderAcrossReplicas", testInOrder},
		{"PublishesManyInOneCall", testBatch},
		{"TenantsAreIsolated", testIsolation},
		{"EverySubscriberReceives", testFanOut},
		{"CancelClosesTheChannel", testCancel},
		{"SlowSubscriberIsDropped", testSlow},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, b := newPair(t)
			tt.run(t, a, b)
		})
	}
}

func tenant() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "tenant-" + hex.EncodeToString(b)
}

func event(tenantID string, i int) coditect.SessionEvent {
	return coditect.SessionEvent{
		Type: coditect.EventSessionAcquired, TenantID: tenantID, At: time.Now().UTC().Truncate(time.Millisecond),
		Session: coditect.Session{ID: fmt.Sprintf("s-%04d", i), TenantID: tenantID, LicenseID: "l-1", Status: coditect.SessionActive},
	}
}

func subscribe(t *testing.T, bus coditect.EventBus, tenantID string) (<-chan coditect.SessionEvent, context.CancelFunc) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	ch, err := bus.Subscribe(ctx, tenantID)
	if err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	return ch, cancel
}

func publish(t *testing.T, bus coditect.EventBus, e coditect.SessionEvent) {
	t.Helper()
	if err := bus.Publish(t.Context(), e); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func receive(t *testing.T, ch <-chan coditect.SessionEvent) coditect.SessionEvent {
	t.Helper()
	select {
	case e, ok := <-ch:
		if !ok {
			t.Fatal("channel closed, want an event")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return coditect.SessionEvent{}
}

func testInOrder(t *testing.T, a, b coditect.EventBus) {
	tn := tenant()
	ch, _ := subscribe(t, b, tn)
	for i := range 50 {
		publish(t, a, event(tn, i))
	}
	for i := range 50 {
		e := receive(t, ch)
		if want := fmt.Sprintf("s-%04d", i); e.Session.ID != want || e.Type != coditect.EventSessionAcquired || e.TenantID != tn {
			t.Fatalf("event %d: got %s %s %s, want %s of tenant %s", i, e.Type, e.Session.ID, e.TenantID, want, tn)
		}
	}
}

// One Publish of many events, for several tenants, delivers each tenant's
// events in order and to that tenant only.
func testBatch(t *testing.T, a, b coditect.EventBus) {
	one, two := tenant(), tenant()
	ch1, _ := subscribe(t, b, one)
	ch2, _ := subscribe(t, b, two)
	var batch []coditect.SessionEvent
	for i := range 40 {
		tn := one
		if i%3 == 0 {
			tn = two
		}
		batch = append(batch, event(tn, i))
	}
	if err := a.Publish(t.Context(), batch...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if err := a.Publish(t.Context()); err != nil {
		t.Fatalf("Publish of nothing: %v", err)
	}
	for _, tc := range []struct {
		tenant string
		ch     <-chan coditect.SessionEvent
	}{{one, ch1}, {two, ch2}} {
		for _, want := range batch {
			if want.TenantID != tc.tenant {
				continue
			}
			if e := receive(t, tc.ch); e.Session.ID != want.Session.ID || e.TenantID != tc.tenant {
				t.Fatalf("tenant %s: got %s of %s, want %s", tc.tenant, e.Session.ID, e.TenantID, want.Session.ID)
			}
		}
	}
}

func testIsolation(t *testing.T, a, b coditect.EventBus) {
	mine, other := tenant(), tenant()
	ch, _ := subscribe(t, b, mine)
	publish(t, a, event(other, 1))
	publish(t, a, event(mine, 2))
	if e := receive(t, ch); e.TenantID != mine || e.Session.ID != "s-0002" {
		t.Fatalf("got %s of tenant %s, want only tenant %s's event", e.Session.ID, e.TenantID, mine)
	}
}

func testFanOut(t *testing.T, a, b coditect.EventBus) {
	tn := tenant()
	ch1, _ := subscribe(t, a, tn)
	ch2, _ := subscribe(t, b, tn)
	publish(t, a, event(tn, 7))
	for _, ch := range []<-chan coditect.SessionEvent{ch1, ch2} {
		if e := receive(t, ch); e.Session.ID != "s-0007" {
			t.Fatalf("got %s, want s-0007", e.Session.ID)
		}
	}
}

func testCancel(t *testing.T, _, b coditect.EventBus) {
	ch, cancel := subscribe(t, b, tenant())
	cancel()
	select {
	case _, ok := <-ch:
		if ok {
			t.Fatal("got an event after cancel, want the channel closed")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed within 5s of cancel")
	}
}

func testSlow(t *testing.T, a, b coditect.EventBus) {
	tn := tenant()
	ch, _ := subscribe(t, b, tn)
	const n = 5000
	for i := range n {
		publish(t, a, event(tn, i))
	}
	got := 0
	deadline := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				if got >= n {
					t.Fatalf("received all %d events, want the slow subscriber dropped", got)
				}
				return
			}
			got++
		case <-deadline:
			t.Fatalf("received %d events and the channel is still open, want a dropped subscriber", got)
		}
	}
}
