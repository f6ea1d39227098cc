package clienttest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coditect/coditect-license/client/clienttest"
)

func TestClock(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

	t.Run("a sleeper wakes when its time has elapsed", func(t *testing.T) {
		t.Parallel()
		c := clienttest.NewClock(start)
		woke := make(chan error, 1)
		go func() { woke <- c.Sleep(context.Background(), time.Minute) }()
		if !c.WaitForSleepers(1, 5*time.Second) {
			t.Fatal("the sleeper did not register")
		}
		c.Advance(59 * time.Second)
		select {
		case <-woke:
			t.Fatal("woke after 59s of a 1m sleep")
		case <-time.After(10 * time.Millisecond):
		}
		if d, ok := c.AdvanceToNext(time.Second); !ok || d != time.Second {
			t.Fatalf("got AdvanceToNext %v %v, want 1s", d, ok)
		}
		if err := <-woke; err != nil || !c.Now().Equal(start.Add(time.Minute)) {
			t.Fatalf("got %v at %v, want nil at start+1m", err, c.Now())
		}
	})

	t.Run("Set moves the wall clock only", func(t *testing.T) {
		t.Parallel()
		c := clienttest.NewClock(start)
		woke := make(chan error, 1)
		go func() { woke <- c.Sleep(context.Background(), time.Minute) }()
		c.WaitForSleepers(1, 5*time.Second)
		c.Set(start.Add(time.Hour))
		if c.Sleepers() != 1 || !c.Now().Equal(start.Add(time.Hour)) {
			t.Fatalf("got %d sleepers at %v, want 1 at start+1h", c.Sleepers(), c.Now())
		}
		c.Advance(time.Minute)
		if err := <-woke; err != nil {
			t.Fatal(err)
		}
	})

	t.Run("a cancelled sleep returns the context's error", func(t *testing.T) {
		t.Parallel()
		c := clienttest.NewClock(start)
		ctx, cancel := context.WithCancel(context.Background())
		woke := make(chan error, 1)
		go func() { woke <- c.Sleep(ctx, time.Minute) }()
		c.WaitForSleepers(1, 5*time.Second)
		cancel()
		if err := <-woke; !errors.Is(err, context.Canceled) || c.Sleepers() != 0 {
			t.Fatalf("got %v with %d sleepers, want context.Canceled and none", err, c.Sleepers())
		}
		if err := c.Sleep(context.Background(), 0); err != nil {
			t.Fatalf("a zero sleep: got %v, want nil", err)
		}
		if _, ok := c.AdvanceToNext(10 * time.Millisecond); ok {
			t.Fatal("AdvanceToNext reported a sleeper where there is none")
		}
	})
}
