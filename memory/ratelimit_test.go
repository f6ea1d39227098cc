package memory_test

import (
	"fmt"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/memory"
	"github.com/coditect/coditect-license/ratelimittest"
)

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	ratelimittest.Run(t, func(*testing.T) coditect.RateLimiter { return memory.NewRateLimiter() })
}

func TestRateLimiterForgetsRefilledKeys(t *testing.T) {
	t.Parallel()
	r := memory.NewRateLimiter()
	now := time.Now()
	lim := coditect.Limit{Rate: 100, Burst: 1}
	for i := range 5000 {
		if _, err := r.Allow(t.Context(), fmt.Sprint("k", i), lim, now); err != nil {
			t.Fatal(err)
		}
	}
	// A second later every key has refilled; further traffic prunes them.
	later := now.Add(time.Second)
	for i := range 20000 {
		if _, err := r.Allow(t.Context(), fmt.Sprint("hot", i%200), lim, later.Add(time.Duration(i)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
	}
	if n := r.Len(); n > 300 {
		t.Fatalf("got %d remembered keys, want the refilled ones forgotten", n)
	}
}
