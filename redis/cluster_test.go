package redis_test

import (
	"context"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/eventstest"
	"github.com/coditect/coditect-license/ledgertest"
	"github.com/coditect/coditect-license/ratelimittest"
	"github.com/coditect/coditect-license/redis"
)

// startCluster starts a Redis Cluster of three masters without replicas,
// waits until every node reports cluster_state:ok, and returns a cluster
// client. The servers stop when the test ends.
func startCluster(t testing.TB) (goredis.UniversalClient, []*redisServer) {
	t.Helper()
	cli := lookRedis(t, "redis-cli")
	nodes := make([]*redisServer, 3)
	for i := range nodes {
		nodes[i] = startServer(t, true, "--cluster-node-timeout", "5000")
	}
	args := []string{"--cluster", "create"}
	for _, n := range nodes {
		args = append(args, n.addr)
	}
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, n := range nodes {
		waitClusterOK(t, n.addr)
	}
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.addr)
	}
	client, err := redis.ParseURL("redis+cluster://"+strings.Join(urls, ","), redis.ClientOptions{})
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	t.Cleanup(func() { client.Close() })
	return client, nodes
}

// waitClusterOK polls a node until it reports the cluster as ok.
func waitClusterOK(t testing.TB, addr string) {
	t.Helper()
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	defer c.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info, err := c.ClusterInfo(t.Context()).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster node %s: not ok after 30s: %v %s", addr, err, info)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestCluster(t *testing.T) {
	t.Parallel()
	client, nodes := startCluster(t)

	t.Run("Conformance", func(t *testing.T) {
		ledgertest.Run(t, func(t *testing.T) coditect.Ledger {
			return restoring{newLedger(t, client, true)}
		})
	})

	t.Run("RateLimiterConformance", func(t *testing.T) {
		ratelimittest.Run(t, func(t *testing.T) coditect.RateLimiter {
			return redis.NewRateLimiter(client, redis.Options{Prefix: newPrefix(t, client), ClientTime: true})
		})
	})

	t.Run("EventBusConformance", func(t *testing.T) {
		eventstest.Run(t, func(t *testing.T) (coditect.EventBus, coditect.EventBus) {
			prefix := newPrefix(t, client)
			return redis.NewEventBus(client, redis.Options{Prefix: prefix}), redis.NewEventBus(client, redis.Options{Prefix: prefix})
		})
	})

	t.Run("OddLicenseIDs", func(t *testing.T) {
		testOddLicenseIDs(t, restoring{newLedger(t, client, true)})
	})

	t.Run("LicensesSpreadOverEveryNode", func(t *testing.T) {
		l := newLedger(t, client, false)
		for range 60 {
			runEveryScript(t, l, newLicense())
		}
		var (
			mu     sync.Mutex
			counts = map[string]int64{}
		)
		err := client.(*goredis.ClusterClient).ForEachMaster(t.Context(), func(ctx context.Context, node *goredis.Client) error {
			n, err := node.DBSize(ctx).Result()
			mu.Lock()
			counts[node.Options().Addr] = n
			mu.Unlock()
			return err
		})
		if err != nil {
			t.Fatalf("DBSIZE: %v", err)
		}
		for _, n := range nodes {
			if counts[n.addr] == 0 {
				t.Errorf("node %s: got no keys, want some (keys per node: %v)", n.addr, counts)
			}
		}
	})

	t.Run("ScriptCacheFlush", func(t *testing.T) {
		cc := client.(*goredis.ClusterClient)
		ctx := t.Context()
		if err := cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
			return node.ScriptFlush(ctx).Err()
		}); err != nil {
			t.Fatalf("SCRIPT FLUSH: %v", err)
		}
		l := newLedger(t, client, true)
		for range 30 {
			runEveryScript(t, l, newLicense())
		}
		// Each node caches the scripts of the licenses whose slots it owns.
		if err := cc.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
			exists, err := node.ScriptExists(ctx, redis.ScriptHashes()...).Result()
			if err != nil {
				return err
			}
			for i, ok := range exists {
				if !ok {
					t.Errorf("node %s, script %d: got not cached, want cached", node.Options().Addr, i)
				}
			}
			return nil
		}); err != nil {
			t.Fatalf("SCRIPT EXISTS: %v", err)
		}
	})

	t.Run("EvictionPolicy", func(t *testing.T) {
		ctx := t.Context()
		if err := redis.CheckEvictionPolicy(ctx, client); err != nil {
			t.Fatalf("CheckEvictionPolicy: got %v, want nil", err)
		}
		one := goredis.NewClient(&goredis.Options{Addr: nodes[1].addr})
		defer one.Close()
		if err := one.ConfigSet(ctx, "maxmemory-policy", "allkeys-lfu").Err(); err != nil {
			t.Fatalf("CONFIG SET: %v", err)
		}
		defer one.ConfigSet(context.Background(), "maxmemory-policy", "noeviction")
		err := redis.CheckEvictionPolicy(ctx, client)
		checkIs(t, "CheckEvictionPolicy", err, redis.ErrEvictingPolicy)
		if err != nil && !strings.Contains(err.Error(), nodes[1].addr) {
			t.Errorf("error %q: want it to name the node %s", err, nodes[1].addr)
		}
	})

	t.Run("Unavailable", func(t *testing.T) {
		for _, n := range nodes {
			n.stop()
		}
		l := redis.New(client, redis.Options{ClientTime: true}) // no keys to clean up: nothing answers
		checkCode(t, "Ping", l.Ping(t.Context()), coditect.CodeUnavailable)
		_, err := l.Acquire(t.Context(), coditect.AcquireParams{LicenseID: newLicense(), SessionID: "s1", TTL: ttl, Limit: 1})
		checkCode(t, "Acquire", err, coditect.CodeUnavailable)
		checkCode(t, "CheckEvictionPolicy", redis.CheckEvictionPolicy(t.Context(), client), coditect.CodeUnavailable)
	})
}
