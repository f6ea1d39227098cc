package redis_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/eventstest"
	"github.com/coditect/coditect-license/redis"
)

func TestEventBus(t *testing.T) {
	t.Parallel()
	client := sharedClient(t)
	eventstest.Run(t, func(t *testing.T) (coditect.EventBus, coditect.EventBus) {
		prefix := newPrefix(t, client)
		// Two buses on one Redis stand for two replicas.
		return redis.NewEventBus(client, redis.Options{Prefix: prefix}), redis.NewEventBus(client, redis.Options{Prefix: prefix})
	})
}

// spublishCounter counts SPUBLISH commands.
type spublishCounter struct{ n atomic.Int64 }

func (h *spublishCounter) DialHook(next goredis.DialHook) goredis.DialHook          { return next }
func (h *spublishCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook { return next }
func (h *spublishCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, c := range cmds {
			if c.Name() == "spublish" {
				h.n.Add(1)
			}
		}
		return next(ctx, cmds)
	}
}

// Heartbeat events skip a tenant channel that had no subscriber at its last
// publish, for a while; other events never do, and a subscriber gets
// heartbeats again once the while is over.
func TestEventBusSkipsHeartbeatsNobodyHears(t *testing.T) {
	t.Parallel()
	shared := sharedClient(t)
	h := &spublishCounter{}
	client := hookedClient(t, h)
	prefix := newPrefix(t, shared)
	bus := redis.NewEventBus(client, redis.Options{Prefix: prefix})
	bus.SetQuietFor(300 * time.Millisecond)
	listener := redis.NewEventBus(shared, redis.Options{Prefix: prefix})
	tenant := "tenant-" + prefix
	ev := func(typ, id string) coditect.SessionEvent {
		return coditect.SessionEvent{Type: typ, TenantID: tenant, At: time.Now().UTC(), Session: coditect.Session{ID: id, TenantID: tenant}}
	}
	publish := func(e ...coditect.SessionEvent) {
		t.Helper()
		if err := bus.Publish(t.Context(), e...); err != nil {
			t.Fatal(err)
		}
	}

	publish(ev(coditect.EventSessionHeartbeat, "s-1")) // nobody listens: learnt here
	publish(ev(coditect.EventSessionHeartbeat, "s-1"), ev(coditect.EventSessionHeartbeat, "s-2"))
	if got := h.n.Load(); got != 1 {
		t.Errorf("SPUBLISH for heartbeats to a channel without subscribers: got %d, want 1 (the first)", got)
	}
	publish(ev(coditect.EventSessionAcquired, "s-3"), ev(coditect.EventSessionReleased, "s-3"))
	if got := h.n.Load(); got != 3 {
		t.Errorf("SPUBLISH after an acquire and a release: got %d, want 3: other events are always sent", got)
	}

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ch, err := listener.Subscribe(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(400 * time.Millisecond) // the quiet while ends
	publish(ev(coditect.EventSessionHeartbeat, "s-4"))
	select {
	case e := <-ch:
		if e.Type != coditect.EventSessionHeartbeat || e.Session.ID != "s-4" {
			t.Fatalf("got %s %s, want the heartbeat of s-4", e.Type, e.Session.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a subscriber got no heartbeat after the quiet while")
	}
	// Heard now: the next heartbeat goes out at once.
	publish(ev(coditect.EventSessionHeartbeat, "s-5"))
	select {
	case e := <-ch:
		if e.Session.ID != "s-5" {
			t.Fatalf("got %s, want s-5", e.Session.ID)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a heartbeat to a channel with a subscriber was not sent")
	}
}
