// Package ratelimittest is the conformance suite every coditect.RateLimiter
// runs: Run(t, newLimiter). Time moves through the now argument; nothing
// sleeps. Keys carry a random suffix so a shared backend can run it.
package ratelimittest

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// Run runs every behaviour against fresh limiters from newLimiter.
func Run(t *testing.T, newLimiter func(t *testing.T) coditect.RateLimiter) {
	tests := []struct {
		name string
		run  func(*testing.T, coditect.RateLimiter)
	}{
		{"BurstThenRefuse", testBurstThenRefuse},
		{"RetryAfterIsExact", testRetryAfterIsExact},
		{"SustainedRate", testSustainedRate},
		{"RemainingCountsDown", testRemainingCountsDown},
		{"KeysAreIndependent", testKeysAreIndependent},
		{"RefusalsDoNotConsume", testRefusalsDoNotConsume},
		{"InvalidLimitIsRefused", testInvalidLimit},
		{"ConcurrentBurstIsExact", testConcurrentBurst},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newLimiter(t))
		})
	}
}

func key() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return "rl-" + hex.EncodeToString(b)
}

func base() time.Time { return time.Now().Truncate(time.Millisecond) }

func allow(t *testing.T, l coditect.RateLimiter, k string, lim coditect.Limit, now time.Time) coditect.RateDecision {
	t.Helper()
	d, err := l.Allow(t.Context(), k, lim, now)
	if err != nil {
		t.Fatalf("Allow: got error %v, want nil", err)
	}
	return d
}

func testBurstThenRefuse(t *testing.T, l coditect.RateLimiter) {
	k, now, lim := key(), base(), coditect.Limit{Rate: 10, Burst: 5}
	for i := range 5 {
		if d := allow(t, l, k, lim, now); !d.Allowed {
			t.Fatalf("request %d of the burst: got refused, want allowed", i+1)
		}
	}
	d := allow(t, l, k, lim, now)
	if d.Allowed {
		t.Fatal("request beyond the burst: got allowed, want refused")
	}
	if d.RetryAfter <= 0 {
		t.Fatalf("RetryAfter: got %v, want positive", d.RetryAfter)
	}
}

func testRetryAfterIsExact(t *testing.T, l coditect.RateLimiter) {
	k, now, lim := key(), base(), coditect.Limit{Rate: 4, Burst: 2}
	allow(t, l, k, lim, now)
	allow(t, l, k, lim, now)
	d := allow(t, l, k, lim, now)
	if d.Allowed || d.RetryAfter != 250*time.Millisecond {
		t.Fatalf("got allowed %v retry %v, want refused with 250ms", d.Allowed, d.RetryAfter)
	}
	if d := allow(t, l, k, lim, now.Add(249*time.Millisecond)); d.Allowed {
		t.Fatal("1ms early: got allowed, want refused")
	}
	if d := allow(t, l, k, lim, now.Add(250*time.Millisecond)); !d.Allowed {
		t.Fatal("after RetryAfter: got refused, want allowed")
	}
}

func testSustainedRate(t *testing.T, l coditect.RateLimiter) {
	k, now, lim := key(), base(), coditect.Limit{Rate: 5, Burst: 3}
	admitted := 0
	for ms := 0; ms < 10_000; ms += 10 {
		if allow(t, l, k, lim, now.Add(time.Duration(ms)*time.Millisecond)).Allowed {
			admitted++
		}
	}
	// The burst, then 5 per second for 10 seconds (the last slot may fall
	// just outside the window).
	if admitted < 3+49 || admitted > 3+50 {
		t.Fatalf("admitted %d in 10s, want %d or %d", admitted, 3+49, 3+50)
	}
}

func testRemainingCountsDown(t *testing.T, l coditect.RateLimiter) {
	k, now, lim := key(), base(), coditect.Limit{Rate: 1, Burst: 4}
	for want := 3; want >= 0; want-- {
		if d := allow(t, l, k, lim, now); !d.Allowed || d.Remaining != want {
			t.Fatalf("got allowed %v remaining %d, want true and %d", d.Allowed, d.Remaining, want)
		}
	}
	if d := allow(t, l, k, lim, now.Add(4*time.Second)); d.Remaining != 3 {
		t.Fatalf("after the burst refilled: got remaining %d, want 3", d.Remaining)
	}
}

func testKeysAreIndependent(t *testing.T, l coditect.RateLimiter) {
	a, b, now, lim := key(), key(), base(), coditect.Limit{Rate: 1, Burst: 1}
	allow(t, l, a, lim, now)
	if d := allow(t, l, a, lim, now); d.Allowed {
		t.Fatal("second request on a: got allowed, want refused")
	}
	if d := allow(t, l, b, lim, now); !d.Allowed {
		t.Fatal("first request on b: got refused, want allowed")
	}
}

func testRefusalsDoNotConsume(t *testing.T, l coditect.RateLimiter) {
	k, now, lim := key(), base(), coditect.Limit{Rate: 1, Burst: 1}
	allow(t, l, k, lim, now)
	for range 100 {
		allow(t, l, k, lim, now.Add(500*time.Millisecond))
	}
	if d := allow(t, l, k, lim, now.Add(time.Second)); !d.Allowed {
		t.Fatal("a flood of refused requests delayed the next admission")
	}
}

func testInvalidLimit(t *testing.T, l coditect.RateLimiter) {
	for _, lim := range []coditect.Limit{{Rate: 0, Burst: 1}, {Rate: 1, Burst: 0}, {Rate: -1, Burst: 5}} {
		_, err := l.Allow(t.Context(), key(), lim, base())
		if got := coditect.ErrorCode(err); got != coditect.CodeInvalidRequest {
			t.Errorf("Allow(%+v): got code %q, want %q", lim, got, coditect.CodeInvalidRequest)
		}
	}
}

func testConcurrentBurst(t *testing.T, l coditect.RateLimiter) {
	k, now, lim := key(), base(), coditect.Limit{Rate: 1, Burst: 10}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d, err := l.Allow(t.Context(), k, lim, now)
			if err != nil {
				t.Errorf("Allow: %v", err)
				return
			}
			if d.Allowed {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if got := allowed.Load(); got != 10 {
		t.Fatalf("got %d admitted by 200 racing requests, want exactly the burst of 10", got)
	}
}
