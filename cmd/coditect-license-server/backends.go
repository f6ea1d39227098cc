package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/memory"
	"github.com/coditect/coditect-license/postgres"
	"github.com/coditect/coditect-license/redis"
	"github.com/coditect/coditect-license/sqlite"
)

// openStore opens the durable store the configuration names.
func openStore(ctx context.Context, c Config) (coditect.Store, error) {
	if path, ok := strings.CutPrefix(c.Database, "sqlite:"); ok {
		return sqlite.Open(ctx, path)
	}
	return postgres.Open(ctx, postgres.Config{URL: c.Database, MaxConns: int32(c.DatabaseMaxConns)})
}

// ledger is a seat ledger with what the server needs to run and stop it.
type ledger struct {
	coditect.Ledger
	// rebuildAtStart is true for a ledger that forgets everything when the
	// process ends: the server restores it whole before it listens.
	rebuildAtStart bool
	// limiter keeps rate-limit budgets where the ledger keeps leases, so
	// replicas share them when Redis is configured.
	limiter coditect.RateLimiter
	// events carries live session events between the replicas.
	events coditect.EventBus
	close  func() error
}

// openLedger opens the seat ledger the configuration names: in memory, or
// Redis (single node or Cluster) after checking that Redis will never evict
// seat state.
func openLedger(ctx context.Context, c Config, logger *slog.Logger) (*ledger, error) {
	if c.Redis == "" {
		return &ledger{Ledger: memory.NewLedger(), rebuildAtStart: true, limiter: memory.NewRateLimiter(), events: memory.NewEventBus(), close: func() error { return nil }}, nil
	}
	client, err := redis.ParseURL(c.Redis, redis.ClientOptions{PoolSize: c.RedisPoolSize, DialTimeout: c.RedisTimeout, Timeout: c.RedisTimeout})
	if err != nil {
		return nil, fmt.Errorf("--redis: %w", err)
	}
	l := redis.New(client, redis.Options{Prefix: c.RedisPrefix})
	if err := l.Ping(ctx); err != nil {
		client.Close()
		return nil, fmt.Errorf("reach Redis at %s: %w", redactURL(c.Redis), err)
	}
	switch err := redis.CheckEvictionPolicy(ctx, client); {
	case err == nil:
	case errors.Is(err, redis.ErrPolicyUnknown):
		logger.Warn("could not read Redis' maxmemory-policy; make sure it is noeviction or volatile-*", "err", err)
	case errors.Is(err, redis.ErrEvictingPolicy) && c.RedisAllowEviction:
		logger.Warn("Redis may evict seat state; starting anyway because --redis-allow-eviction is set", "err", err)
	default:
		client.Close()
		return nil, err
	}
	opts := redis.Options{Prefix: c.RedisPrefix}
	return &ledger{
		Ledger: l, limiter: redis.NewRateLimiter(client, opts), events: redis.NewEventBus(client, opts),
		close: client.Close,
	}, nil
}
