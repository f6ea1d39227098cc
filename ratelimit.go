package coditect

import (
	"context"
	"time"
)

// Limit is a rate with a burst: Burst requests may arrive at once, after
// which they are admitted at Rate per second (GCRA, the generic cell rate
// algorithm).
type Limit struct {
	Rate  float64
	Burst int
}

// Valid reports whether the limit admits anything at all.
func (l Limit) Valid() bool { return l.Rate > 0 && l.Burst >= 1 }

// RateDecision is a rate limiter's answer for one request.
type RateDecision struct {
	Allowed bool
	// Remaining is how many more requests would be admitted right now.
	Remaining int
	// RetryAfter is, when refused, how long until one request is admitted.
	RetryAfter time.Duration
	// ResetAfter is how long until the full burst is available again.
	ResetAfter time.Duration
}

// RateLimiter admits or refuses requests per key. Implementations keep
// their state in memory (one node) or in Redis (shared by replicas).
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit Limit, now time.Time) (RateDecision, error)
}

// GCRA computes one GCRA step. tat is the stored theoretical arrival time
// (zero for a new key); it returns the decision and the tat to store when
// the request is allowed. Both the memory and the Redis limiter follow it,
// so they agree to the nanosecond.
func GCRA(tat, now time.Time, l Limit) (RateDecision, time.Time) {
	interval := time.Duration(float64(time.Second) / l.Rate)
	burst := time.Duration(l.Burst) * interval
	if tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(interval)
	allowAt := newTAT.Add(-burst)
	if now.Before(allowAt) {
		return RateDecision{
			Allowed:    false,
			RetryAfter: allowAt.Sub(now),
			ResetAfter: tat.Sub(now),
		}, tat
	}
	remaining := int(now.Sub(allowAt) / interval)
	return RateDecision{Allowed: true, Remaining: remaining, ResetAfter: newTAT.Sub(now)}, newTAT
}
