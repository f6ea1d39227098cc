package redis

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license"
)

var _ coditect.RateLimiter = (*RateLimiter)(nil)

var (
	//go:embed scripts/gcra.lua
	gcraSource string
	gcraScript = goredis.NewScript(gcraSource)
)

// RateLimiter is a GCRA rate limiter whose state lives in Redis, so every
// replica draws from the same budget per key. Like the Ledger it takes time
// from Redis TIME unless Options.ClientTime is set (tests).
type RateLimiter struct {
	client     goredis.UniversalClient
	prefix     string
	clientTime bool
}

// NewRateLimiter returns a RateLimiter on client.
func NewRateLimiter(client goredis.UniversalClient, opts Options) *RateLimiter {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	return &RateLimiter{client: client, prefix: opts.Prefix, clientTime: opts.ClientTime}
}

// Allow decides one request for key under limit.
func (r *RateLimiter) Allow(ctx context.Context, key string, limit coditect.Limit, now time.Time) (coditect.RateDecision, error) {
	if !limit.Valid() {
		return coditect.RateDecision{}, coditect.Errorf(coditect.CodeInvalidRequest, "A rate limit needs a positive rate and a burst of at least 1.")
	}
	interval := max(1, int64(float64(time.Second/time.Microsecond)/limit.Rate))
	clock := ""
	if r.clientTime {
		if now.IsZero() {
			now = time.Now()
		}
		clock = strconv.FormatInt(now.UnixMicro(), 10)
	}
	k := r.prefix + ":rl:{" + tagEscaper.Replace(key) + "}"
	cmd := gcraScript.Run(ctx, r.client, []string{k}, clock, interval, limit.Burst)
	if err := cmd.Err(); err != nil {
		return coditect.RateDecision{}, mapLimiterError(err)
	}
	v, err := cmd.Int64Slice()
	if err != nil || len(v) != 4 {
		return coditect.RateDecision{}, fmt.Errorf("rate limit: unexpected script reply %v: %v", v, err)
	}
	return coditect.RateDecision{
		Allowed:    v[0] == 1,
		Remaining:  int(v[1]),
		RetryAfter: time.Duration(v[2]) * time.Microsecond,
		ResetAfter: time.Duration(v[3]) * time.Microsecond,
	}, nil
}

func mapLimiterError(err error) error {
	err = fmt.Errorf("rate limit: %w", err)
	var reply goredis.Error
	if errors.As(err, &reply) && !transient(err) {
		return err
	}
	return coditect.Unavailable("rate limiter", err)
}
