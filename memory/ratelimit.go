package memory

import (
	"context"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	coditect "github.com/coditect/coditect-license"
)

const limiterShards = 64

// RateLimiter is an in-process GCRA rate limiter. Keys whose bursts are
// fully replenished are forgotten, so memory follows the active keys.
type RateLimiter struct {
	seed   maphash.Seed
	calls  atomic.Uint64
	shards [limiterShards]limiterShard
}

type limiterShard struct {
	mu   sync.Mutex
	tats map[string]time.Time
}

// pruneEvery is how many calls pass between prunes of the next shard, so
// every shard is swept regularly whatever keys the traffic hits.
const pruneEvery = 256

var _ coditect.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns an empty limiter.
func NewRateLimiter() *RateLimiter {
	r := &RateLimiter{seed: maphash.MakeSeed()}
	for i := range r.shards {
		r.shards[i].tats = make(map[string]time.Time)
	}
	return r
}

// Allow decides one request for key under limit at now.
func (r *RateLimiter) Allow(_ context.Context, key string, limit coditect.Limit, now time.Time) (coditect.RateDecision, error) {
	if !limit.Valid() {
		return coditect.RateDecision{}, coditect.Errorf(coditect.CodeInvalidRequest, "A rate limit needs a positive rate and a burst of at least 1.")
	}
	s := &r.shards[maphash.String(r.seed, key)%limiterShards]
	s.mu.Lock()
	d, tat := coditect.GCRA(s.tats[key], now, limit)
	if d.Allowed {
		s.tats[key] = tat
	}
	s.mu.Unlock()
	if n := r.calls.Add(1); n%pruneEvery == 0 {
		r.shards[(n/pruneEvery)%limiterShards].prune(now)
	}
	return d, nil
}

// prune forgets keys whose theoretical arrival time has passed: they are
// back to a full burst, exactly as if never seen.
func (s *limiterShard) prune(now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, t := range s.tats {
		if !t.After(now) {
			delete(s.tats, k)
		}
	}
}

// Len returns the number of keys the limiter remembers.
func (r *RateLimiter) Len() int {
	n := 0
	for i := range r.shards {
		r.shards[i].mu.Lock()
		n += len(r.shards[i].tats)
		r.shards[i].mu.Unlock()
	}
	return n
}
