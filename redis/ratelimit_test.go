package redis_test

import (
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/ratelimittest"
	"github.com/coditect/coditect-license/redis"
)

func TestRateLimiter(t *testing.T) {
	t.Parallel()
	client := sharedClient(t)
	ratelimittest.Run(t, func(t *testing.T) coditect.RateLimiter {
		return redis.NewRateLimiter(client, redis.Options{Prefix: newPrefix(t, client), ClientTime: true})
	})
}

func TestRateLimiterOnRedisTime(t *testing.T) {
	t.Parallel()
	client := sharedClient(t)
	rl := redis.NewRateLimiter(client, redis.Options{Prefix: newPrefix(t, client)})
	lim := coditect.Limit{Rate: 1, Burst: 2}
	// The caller's clock is ignored: a time far in the future changes nothing.
	future := time.Now().Add(time.Hour)
	for i, want := range []bool{true, true, false} {
		d, err := rl.Allow(t.Context(), "k", lim, future)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed != want {
			t.Fatalf("request %d: got allowed %v, want %v", i+1, d.Allowed, want)
		}
		if !want && (d.RetryAfter <= 0 || d.RetryAfter > time.Second) {
			t.Fatalf("got RetryAfter %v, want within the 1s interval", d.RetryAfter)
		}
	}
}

func TestRateLimiterUnavailable(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	client := srv.client(t, redis.ClientOptions{Timeout: 200 * time.Millisecond})
	rl := redis.NewRateLimiter(client, redis.Options{})
	srv.stop()
	_, err := rl.Allow(t.Context(), "k", coditect.Limit{Rate: 1, Burst: 1}, time.Time{})
	if got := coditect.ErrorCode(err); got != coditect.CodeUnavailable {
		t.Fatalf("got code %q (%v), want unavailable", got, err)
	}
	if _, err := rl.Allow(t.Context(), "k", coditect.Limit{}, time.Time{}); coditect.ErrorCode(err) != coditect.CodeInvalidRequest {
		t.Fatalf("got %v for an invalid limit, want invalid_request", err)
	}
}
