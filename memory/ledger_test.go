package memory_test

import (
	"fmt"
	"math"
	"runtime"
	"testing"
	"time"

	"github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/ledgertest"
	"github.com/coditect/coditect-license/memory"
)

func TestLedger(t *testing.T) {
	t.Parallel()
	ledgertest.Run(t, func(*testing.T) coditect.Ledger { return memory.NewLedger() })
}

const ttl = time.Minute

func acquire(t *testing.T, l *memory.Ledger, licenseID, sessionID string, now time.Time) {
	t.Helper()
	res, err := l.Acquire(t.Context(), coditect.AcquireParams{LicenseID: licenseID, SessionID: sessionID, TTL: ttl, Limit: 10, Now: now})
	if err != nil || !res.Granted {
		t.Fatalf("Acquire(%s, %s): got %+v, error %v, want granted, nil", licenseID, sessionID, res, err)
	}
}

func checkState(t *testing.T, l *memory.Ledger, wantLicenses, wantLeases int) {
	t.Helper()
	if got := l.LicenseCount(); got != wantLicenses {
		t.Errorf("LicenseCount: got %d, want %d", got, wantLicenses)
	}
	if got := l.Len(); got != wantLeases {
		t.Errorf("Len: got %d, want %d", got, wantLeases)
	}
}

func TestEmptyLicensesAreRemoved(t *testing.T) {
	t.Parallel()
	now := time.Now()
	expired := now.Add(ttl)
	tests := []struct {
		name   string
		forget func(t *testing.T, l *memory.Ledger)
	}{
		{"Release", func(t *testing.T, l *memory.Ledger) {
			_ = l.Release(t.Context(), "lic", "s1")
		}},
		{"Count", func(t *testing.T, l *memory.Ledger) {
			_, _ = l.Count(t.Context(), "lic", expired)
		}},
		{"Heartbeat", func(t *testing.T, l *memory.Ledger) {
			_, _, _ = l.Heartbeat(t.Context(), coditect.HeartbeatParams{LicenseID: "lic", SessionID: "s1", TTL: ttl, Now: expired})
		}},
		{"HeartbeatOfOtherSession", func(t *testing.T, l *memory.Ledger) {
			_, _, _ = l.Heartbeat(t.Context(), coditect.HeartbeatParams{LicenseID: "lic", SessionID: "s2", TTL: ttl, Now: expired})
		}},
		{"Prune", func(t *testing.T, l *memory.Ledger) {
			if got := l.Prune(expired); got != 1 {
				t.Errorf("Prune: got %d, want 1", got)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l := memory.NewLedger()
			acquire(t, l, "lic", "s1", now)
			checkState(t, l, 1, 1)
			tt.forget(t, l)
			checkState(t, l, 0, 0)
		})
	}
}

func TestPruneDropsOnlyExpired(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	now := time.Now()
	for i := range 10 {
		acquire(t, l, fmt.Sprintf("lic-%d", i%3), fmt.Sprintf("s%d", i), now.Add(time.Duration(i)*time.Second))
	}
	checkState(t, l, 3, 10)
	if got := l.Prune(now.Add(ttl + 4*time.Second)); got != 5 {
		t.Errorf("Prune: got %d, want 5", got)
	}
	checkState(t, l, 3, 5)
	if got := l.Prune(now.Add(ttl + 8*time.Second)); got != 4 {
		t.Errorf("Prune: got %d, want 4", got)
	}
	checkState(t, l, 1, 1)
}

func TestZeroTimeUsesClock(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	now := time.Unix(1_700_000_000, 0)
	l.Now = func() time.Time { return now }
	ctx := t.Context()

	res, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: "s1", TTL: ttl, Limit: 1})
	if err != nil || !res.Granted || !res.ExpiresAt.Equal(now.Add(ttl)) {
		t.Fatalf("Acquire: got %+v, error %v, want granted until %v", res, err, now.Add(ttl))
	}
	now = now.Add(time.Second)
	exp, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: "lic", SessionID: "s1", TTL: ttl})
	if err != nil || !live || !exp.Equal(now.Add(ttl)) {
		t.Fatalf("Heartbeat: got %v, %t, error %v, want %v, true, nil", exp, live, err, now.Add(ttl))
	}
	now = now.Add(ttl)
	if _, ok, _ := l.Lookup(ctx, "lic", "s1", time.Time{}); ok {
		t.Errorf("Lookup.ok at expiry: got true, want false")
	}
	if n, _ := l.Count(ctx, "lic", time.Time{}); n != 0 {
		t.Errorf("Count at expiry: got %d, want 0", n)
	}
}

func TestRestoreKeepsLaterExpiry(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	ctx := t.Context()
	now := time.Now()
	acquire(t, l, "lic", "s1", now)
	acquire(t, l, "lic", "s2", now)
	err := l.Restore(ctx, "lic", []coditect.Lease{
		{LicenseID: "lic", SessionID: "s1", ExpiresAt: now.Add(2 * ttl)},
		{LicenseID: "lic", SessionID: "s2", ExpiresAt: now.Add(ttl / 2)},
	}, now)
	if err != nil {
		t.Fatalf("Restore: got error %v, want nil", err)
	}
	for sess, want := range map[string]time.Time{"s1": now.Add(2 * ttl), "s2": now.Add(ttl)} {
		if got, ok, _ := l.Lookup(ctx, "lic", sess, now); !ok || !got.Equal(want) {
			t.Errorf("Lookup(%s): got %v, %t, want %v, true", sess, got, ok, want)
		}
	}
	if n, _ := l.Count(ctx, "lic", now.Add(ttl)); n != 1 {
		t.Errorf("Count after s2 expired: got %d, want 1", n)
	}
}

func TestRestoreRejectsMissingIDs(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	now := time.Now()
	err := l.Restore(t.Context(), "lic", []coditect.Lease{
		{LicenseID: "lic", SessionID: "s1", ExpiresAt: now.Add(ttl)},
		{LicenseID: "lic", ExpiresAt: now.Add(ttl)},
	}, now)
	if got := coditect.ErrorCode(err); got != coditect.CodeInvalidRequest {
		t.Errorf("Restore: got code %q, want %q", got, coditect.CodeInvalidRequest)
	}
	err = l.Restore(t.Context(), "lic", []coditect.Lease{{LicenseID: "other", SessionID: "s1", ExpiresAt: now.Add(ttl)}}, now)
	if got := coditect.ErrorCode(err); got != coditect.CodeInvalidRequest {
		t.Errorf("Restore of a foreign lease: got code %q, want %q", got, coditect.CodeInvalidRequest)
	}
	err = l.Restore(t.Context(), "", nil, now)
	if got := coditect.ErrorCode(err); got != coditect.CodeInvalidRequest {
		t.Errorf("Restore: got code %q, want %q", got, coditect.CodeInvalidRequest)
	}
	checkState(t, l, 0, 0)
}

func TestExtremeTimesSaturate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	t.Run("HugeTTL", func(t *testing.T) {
		l := memory.NewLedger()
		now := time.Now()
		res, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: "s1", TTL: math.MaxInt64, Limit: 1, Now: now})
		if err != nil || !res.Granted || !res.ExpiresAt.After(now) {
			t.Errorf("Acquire: got %+v, error %v, want granted after %v", res, err, now)
		}
	})
	t.Run("FarFutureRestore", func(t *testing.T) {
		l := memory.NewLedger()
		now := time.Now()
		far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
		if err := l.Restore(ctx, "lic", []coditect.Lease{{LicenseID: "lic", SessionID: "s1", ExpiresAt: far}}, now); err != nil {
			t.Fatalf("Restore: got error %v, want nil", err)
		}
		if exp, ok, _ := l.Lookup(ctx, "lic", "s1", now); !ok || !exp.After(now) {
			t.Errorf("Lookup: got %v, %t, want a time after %v, true", exp, ok, now)
		}
	})
	t.Run("AncientNow", func(t *testing.T) {
		l := memory.NewLedger()
		acquire(t, l, "lic", "s1", time.Now())
		if n, _ := l.Count(ctx, "lic", time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)); n != 1 {
			t.Errorf("Count: got %d, want 1", n)
		}
	})
}

// sessionID is shaped like a UUID, the usual size of a real session ID.
func sessionID(i int) string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", i)
}

func sessionIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = sessionID(i)
	}
	return ids
}

// BenchmarkAcquire measures a steady state of 1024 live leases on one
// license, in which every acquire drops the lease that just expired and
// grants a new one.
func BenchmarkAcquire(b *testing.B) {
	const n = 1024
	l := memory.NewLedger()
	ctx := b.Context()
	ids := sessionIDs(n)
	now := time.Now()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		res, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: ids[i%n], TTL: n, Limit: n, Now: now.Add(time.Duration(i))})
		if err != nil || !res.Granted || res.Renewed {
			b.Fatalf("Acquire: got %+v, error %v, want a new grant", res, err)
		}
		i++
	}
}

// BenchmarkHeartbeat measures heartbeats over 1024 licenses of 8 leases.
func BenchmarkHeartbeat(b *testing.B) {
	const licenses, seats = 1024, 8
	l := memory.NewLedger()
	ctx := b.Context()
	now := time.Now()
	lics, ids := make([]string, licenses), sessionIDs(seats)
	for i := range lics {
		lics[i] = fmt.Sprintf("lic-%d", i)
		for _, id := range ids {
			if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: lics[i], SessionID: id, TTL: time.Hour, Limit: seats, Now: now}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: lics[i%licenses], SessionID: ids[i/licenses%seats], TTL: time.Hour, Now: now.Add(time.Duration(i))})
		if err != nil || !live {
			b.Fatalf("Heartbeat: got live=%t, error %v, want true, nil", live, err)
		}
		i++
	}
}

// BenchmarkRelease releases b.N leases spread over 1024 licenses.
func BenchmarkRelease(b *testing.B) {
	const licenses = 1024
	l := memory.NewLedger()
	ctx := b.Context()
	now := time.Now()
	ids := sessionIDs(b.N)
	lics := make([]string, licenses)
	for i := range lics {
		lics[i] = fmt.Sprintf("lic-%d", i)
	}
	for i, id := range ids {
		if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: lics[i%licenses], SessionID: id, TTL: time.Hour, Limit: math.MaxInt, Now: now}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := l.Release(ctx, lics[i%licenses], ids[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if n := l.Len(); n != 0 {
		b.Fatalf("Len: got %d, want 0", n)
	}
}

// BenchmarkHeartbeatLive measures heartbeats on one license holding n live
// leases, round robin, so every heartbeat extends the lease that expires
// first: with an eagerly ordered expiry queue, the worst case. It also
// reports the heap the ledger holds per lease, session ID included, and
// fails if a million leases take more than 300 MB.
func BenchmarkHeartbeatLive(b *testing.B) {
	for _, size := range []struct {
		name string
		n    int
	}{{"1k", 1_000}, {"100k", 100_000}, {"1M", 1_000_000}} {
		b.Run(size.name, func(b *testing.B) {
			n := size.n
			ctx := b.Context()
			now := time.Now()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			l := memory.NewLedger()
			for i := range n {
				if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: sessionID(i), TTL: time.Hour, Limit: n, Now: now}); err != nil {
					b.Fatal(err)
				}
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			held := float64(after.HeapAlloc) - float64(before.HeapAlloc)
			if n == 1_000_000 && held > 300e6 {
				b.Errorf("heap for %d leases: got %.0f MB, want <= 300 MB", n, held/1e6)
			}

			ids := sessionIDs(n)
			b.ReportAllocs()
			stopCPU := reportCPU(b)
			i := 0
			for b.Loop() {
				_, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: "lic", SessionID: ids[i%n], TTL: time.Hour, Now: now.Add(time.Duration(i + 1))})
				if err != nil || !live {
					b.Fatalf("Heartbeat: got live=%t, error %v, want true, nil", live, err)
				}
				i++
			}
			stopCPU()
			b.ReportMetric(held/float64(n), "bytes/lease")
			runtime.KeepAlive(l)
		})
	}
}

// BenchmarkHeartbeatParallel measures heartbeats from all CPUs over 1024
// licenses, which the ledger's lock shards keep mostly uncontended.
func BenchmarkHeartbeatParallel(b *testing.B) {
	const licenses, seats = 1024, 8
	l := memory.NewLedger()
	ctx := b.Context()
	now := time.Now()
	lics, ids := make([]string, licenses), sessionIDs(seats)
	for i := range lics {
		lics[i] = fmt.Sprintf("lic-%d", i)
		for _, id := range ids {
			if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: lics[i], SessionID: id, TTL: time.Hour, Limit: seats, Now: now}); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := int(time.Now().UnixNano()) & 0xffff
		for pb.Next() {
			if _, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: lics[i%licenses], SessionID: ids[i/licenses%seats], TTL: time.Hour, Now: now.Add(time.Duration(i))}); err != nil || !live {
				b.Errorf("Heartbeat: got live=%t, error %v, want true, nil", live, err)
				return
			}
			i++
		}
	})
}
