package redis

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license"
)

var (
	// ErrEvictingPolicy is wrapped by CheckEvictionPolicy's error when a
	// Redis server may evict keys without a TTL, i.e. the seat state.
	ErrEvictingPolicy = errors.New("redis maxmemory-policy can evict seat state")
	// ErrPolicyUnknown is wrapped by CheckEvictionPolicy's error when a
	// Redis server does not tell its maxmemory-policy: managed services
	// often disable or rename CONFIG, or an ACL denies it.
	ErrPolicyUnknown = errors.New("redis maxmemory-policy is unknown")
)

// CheckEvictionPolicy reads maxmemory-policy from the server, or from every
// master of a cluster, and returns an error wrapping ErrEvictingPolicy if any
// of them is an allkeys-* policy: those evict keys without a TTL, the seat
// ledger's state, under memory pressure, and an evicted license lets seats
// be oversold until it is restored. noeviction and the volatile-* policies
// are fine: the ledger's keys have no TTL, so volatile policies never evict
// them (writes fail with OOM instead, which the ledger reports as
// unavailable).
//
// A server that does not answer CONFIG GET yields an error wrapping
// ErrPolicyUnknown: the caller should then log a warning and go on (the
// policy cannot be checked, which is not a failure of the server); a
// network failure yields a coditect.Unavailable error. When several
// masters disagree, the worst finding wins: evicting, then unreachable,
// then unknown.
func CheckEvictionPolicy(ctx context.Context, client goredis.UniversalClient) error {
	c, ok := client.(*goredis.ClusterClient)
	if !ok {
		addr := "redis"
		if s, ok := client.(*goredis.Client); ok {
			addr = s.Options().Addr
		}
		return checkPolicy(ctx, client, addr)
	}
	var (
		mu    sync.Mutex
		worst error
	)
	err := c.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		err := checkPolicy(ctx, node, node.Options().Addr)
		mu.Lock()
		defer mu.Unlock()
		if severity(err) > severity(worst) {
			worst = err
		}
		return nil
	})
	if err != nil { // the cluster's slots could not be loaded
		return coditect.Unavailable("seat ledger", fmt.Errorf("check maxmemory-policy: %w", err))
	}
	return worst
}

func severity(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrPolicyUnknown):
		return 1
	case errors.Is(err, ErrEvictingPolicy):
		return 3
	}
	return 2
}

func checkPolicy(ctx context.Context, c goredis.Cmdable, addr string) error {
	got, err := c.ConfigGet(ctx, "maxmemory-policy").Result()
	if err != nil {
		var reply goredis.Error
		if errors.As(err, &reply) && !transient(err) {
			return fmt.Errorf("%w: %s refused CONFIG GET maxmemory-policy (%v); make sure the policy is noeviction", ErrPolicyUnknown, addr, err)
		}
		return coditect.Unavailable("seat ledger", fmt.Errorf("check maxmemory-policy of %s: %w", addr, err))
	}
	policy, ok := got["maxmemory-policy"]
	switch {
	case !ok:
		return fmt.Errorf("%w: %s did not report it; make sure the policy is noeviction", ErrPolicyUnknown, addr)
	case policy == "noeviction" || strings.HasPrefix(policy, "volatile-"):
		return nil
	case strings.HasPrefix(policy, "allkeys-"):
		return fmt.Errorf("%w: %s has maxmemory-policy %s, which can evict the seat ledger's keys and let seats be oversold; "+
			"run CONFIG SET maxmemory-policy noeviction on it (and set it in redis.conf), "+
			"or start the server with --redis-allow-eviction to accept the risk", ErrEvictingPolicy, addr, policy)
	}
	return fmt.Errorf("%w: %s has maxmemory-policy %q, which this version does not know; make sure it never evicts keys without a TTL", ErrPolicyUnknown, addr, policy)
}
