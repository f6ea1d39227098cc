package redis_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/coditect/coditect-license"
)

// The benchmarks run against the shared test Redis in production mode
// (server time), one call at a time: they measure a ledger call's round
// trip and allocations, not Redis's throughput.

func BenchmarkAcquire(b *testing.B) {
	l, lic := newLedger(b, sharedClient(b), false), newLicense()
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

func BenchmarkHeartbeat(b *testing.B) {
	l, lic := newLedger(b, sharedClient(b), false), newLicense()
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

func BenchmarkRelease(b *testing.B) {
	l, lic := newLedger(b, sharedClient(b), false), newLicense()
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
