package redis_test

import (
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license"
)

// The benchmarks run in production mode (server time), one call at a time:
// they measure a ledger call's round trip and allocations, not Redis's
// throughput. The top-level ones use the shared test Redis; BenchmarkCluster
// repeats them on a Redis Cluster of three masters started for it.

func BenchmarkAcquire(b *testing.B)   { benchAcquire(b, sharedClient(b)) }
func BenchmarkHeartbeat(b *testing.B) { benchHeartbeat(b, sharedClient(b)) }
func BenchmarkRelease(b *testing.B)   { benchRelease(b, sharedClient(b)) }

// BenchmarkCluster runs the ledger benchmarks through a cluster client. One
// license's keys share a hash slot, so each call is one round trip to the
// master that owns the license.
func BenchmarkCluster(b *testing.B) {
	client, _ := startCluster(b)
	b.Run("Acquire", func(b *testing.B) { benchAcquire(b, client) })
	b.Run("Heartbeat", func(b *testing.B) { benchHeartbeat(b, client) })
	b.Run("Release", func(b *testing.B) { benchRelease(b, client) })
}

func benchAcquire(b *testing.B, client goredis.UniversalClient) {
	l, lic := newLedger(b, client, false), newLicense()
	ctx := b.Context()
	if err := l.Restore(ctx, lic, nil, time.Time{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		// New sessions while seats are free, then renewals of held ones.
		p := coditect.AcquireParams{LicenseID: lic, SessionID: "s" + strconv.Itoa(i%1000), TTL: time.Minute, Limit: 1000}
		if res, err := l.Acquire(ctx, p); err != nil || !res.Granted {
			b.Fatalf("Acquire: got %+v, error %v, want granted", res, err)
		}
	}
}

func benchHeartbeat(b *testing.B, client goredis.UniversalClient) {
	l, lic := newLedger(b, client, false), newLicense()
	ctx := b.Context()
	if err := l.Restore(ctx, lic, nil, time.Time{}); err != nil {
		b.Fatal(err)
	}
	if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: lic, SessionID: "s1", TTL: time.Minute, Limit: 1}); err != nil {
		b.Fatal(err)
	}
	p := coditect.HeartbeatParams{LicenseID: lic, SessionID: "s1", TTL: time.Minute}
	b.ReportAllocs()
	for b.Loop() {
		if _, live, err := l.Heartbeat(ctx, p); err != nil || !live {
			b.Fatalf("Heartbeat: got live=%t, error %v, want true, nil", live, err)
		}
	}
}

func benchRelease(b *testing.B, client goredis.UniversalClient) {
	l, lic := newLedger(b, client, false), newLicense()
	ctx := b.Context()
	// One restore puts every lease the loop releases in place.
	leases := make([]coditect.Lease, b.N)
	for i := range leases {
		leases[i] = coditect.Lease{SessionID: "s" + strconv.Itoa(i), ExpiresAt: time.Now().Add(time.Hour)}
	}
	if err := l.Restore(ctx, lic, leases, time.Time{}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := l.Release(ctx, lic, leases[i].SessionID); err != nil {
			b.Fatal(err)
		}
	}
}
