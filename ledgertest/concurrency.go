package ledgertest

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coditect/coditect-license"
)

func testConcurrentAcquireNeverExceedsLimit(t *testing.T, l coditect.Ledger) {
	const (
		racers = 500
		limit  = 7
	)
	lic, now := newLicense(), base()
	var (
		granted atomic.Int64
		start   = make(chan struct{})
		wg      sync.WaitGroup
	)
	for i := range racers {
		wg.Go(func() {
			<-start
			res, err := l.Acquire(t.Context(), coditect.AcquireParams{LicenseID: lic, SessionID: session(i), TTL: ttl, Limit: limit, Now: now})
			if err != nil {
				t.Errorf("Acquire(%s): got error %v, want nil", session(i), err)
				return
			}
			if res.InUse > limit {
				t.Errorf("Acquire(%s).InUse: got %d, want <= %d", session(i), res.InUse, limit)
			}
			if res.Granted {
				granted.Add(1)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := granted.Load(); got != limit {
		t.Errorf("grants: got %d, want %d", got, limit)
	}
	checkCount(t, l, lic, now, limit)
}

// testConcurrentChurnNeverExceedsLimit races acquires, renewals, heartbeats
// and releases over a few licenses. Time stands still, so no lease expires
// and the suite knows exactly who holds a seat: a holder is counted after
// its grant and uncounted before its release, so the count never runs ahead
// of the ledger.
func testConcurrentChurnNeverExceedsLimit(t *testing.T, l coditect.Ledger) {
	const (
		licenses = 3
		limit    = 4
		workers  = 32
		rounds   = 100
	)
	now := base()
	lics := make([]string, licenses)
	for i := range lics {
		lics[i] = newLicense()
	}
	holders := make([]atomic.Int64, licenses)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ctx := t.Context()
			held := make(map[int]string) // license index -> session holding it
			for r := range rounds {
				i := rand.IntN(licenses)
				p := coditect.AcquireParams{LicenseID: lics[i], TTL: ttl, Limit: limit, Now: now}
				if sess, ok := held[i]; !ok {
					p.SessionID = fmt.Sprintf("worker-%d-round-%d", w, r)
					res, err := l.Acquire(ctx, p)
					if err != nil {
						t.Errorf("Acquire: got error %v, want nil", err)
						return
					}
					if res.Granted {
						holders[i].Add(1)
						held[i] = p.SessionID
					}
					if res.Renewed {
						t.Errorf("Acquire(%s).Renewed: got true, want false", p.SessionID)
					}
					if res.InUse > limit {
						t.Errorf("Acquire(%s).InUse: got %d, want <= %d", p.SessionID, res.InUse, limit)
					}
				} else {
					switch rand.IntN(3) {
					case 0:
						_, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: lics[i], SessionID: sess, TTL: ttl, Now: now})
						if err != nil || !live {
							t.Errorf("Heartbeat(%s): got live=%t, error %v, want live=true, nil", sess, live, err)
						}
					case 1:
						p.SessionID = sess
						res, err := l.Acquire(ctx, p)
						if err != nil || !res.Granted || !res.Renewed {
							t.Errorf("Acquire(%s) of a held seat: got %+v, error %v, want granted and renewed", sess, res, err)
						}
					case 2:
						holders[i].Add(-1)
						delete(held, i)
						if err := l.Release(ctx, lics[i], sess); err != nil {
							t.Errorf("Release(%s): got error %v, want nil", sess, err)
						}
					}
				}
				if n := holders[i].Load(); n > limit {
					t.Errorf("holders: got %d, want <= %d", n, limit)
				}
				n, err := l.Count(ctx, lics[i], now)
				if err != nil || n > limit {
					t.Errorf("Count: got %d, error %v, want <= %d, nil", n, err, limit)
				}
			}
		})
	}
	wg.Wait()
	for i, lic := range lics {
		checkCount(t, l, lic, now, int(holders[i].Load()))
	}
}

// testRandomOperationsMatchModel runs a random sequence of calls with time
// moving forward in steps that often land exactly on an expiry, and checks
// every answer against a plain map that follows ARCHITECTURE §3 literally.
func testRandomOperationsMatchModel(t *testing.T, l coditect.Ledger) {
	const (
		ops  = 1000
		step = 250 * time.Millisecond
	)
	seed := rand.Uint64()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed: %d", seed)
		}
	})
	r := rand.New(rand.NewPCG(seed, seed))
	lics := []string{newLicense(), newLicense()}
	model := map[string]map[string]time.Time{}
	for _, lic := range lics {
		model[lic] = map[string]time.Time{}
	}
	now := base()
	ctx := t.Context()
	for op := range ops {
		now = now.Add(time.Duration(r.IntN(4)) * step)
		lic, sess := lics[r.IntN(len(lics))], session(r.IntN(6))
		leases := model[lic]
		for s, exp := range leases {
			if !exp.After(now) {
				delete(leases, s)
			}
		}
		d := time.Duration(1+r.IntN(8)) * step
		switch r.IntN(5) {
		case 0:
			limit := 1 + r.IntN(4)
			got, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: lic, SessionID: sess, TTL: d, Limit: limit, Now: now})
			if err != nil {
				t.Fatalf("op %d: Acquire: got error %v, want nil", op, err)
			}
			var want coditect.AcquireResult
			if _, ok := leases[sess]; ok {
				want = coditect.AcquireResult{Granted: true, Renewed: true, ExpiresAt: now.Add(d)}
				leases[sess] = now.Add(d)
			} else if len(leases) < limit {
				want = coditect.AcquireResult{Granted: true, ExpiresAt: now.Add(d)}
				leases[sess] = now.Add(d)
			} else {
				for _, exp := range leases {
					if want.EarliestExpiry.IsZero() || exp.Before(want.EarliestExpiry) {
						want.EarliestExpiry = exp
					}
				}
			}
			want.InUse = len(leases)
			if got.Granted != want.Granted || got.Renewed != want.Renewed || got.InUse != want.InUse {
				t.Fatalf("op %d: Acquire(%s, limit %d): got %+v, want %+v", op, sess, limit, got, want)
			}
			if want.Granted {
				checkTime(t, fmt.Sprintf("op %d: Acquire.ExpiresAt", op), got.ExpiresAt, want.ExpiresAt)
			} else {
				checkTime(t, fmt.Sprintf("op %d: Acquire.EarliestExpiry", op), got.EarliestExpiry, want.EarliestExpiry)
			}
		case 1:
			exp, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: lic, SessionID: sess, TTL: d, Now: now})
			if err != nil {
				t.Fatalf("op %d: Heartbeat: got error %v, want nil", op, err)
			}
			_, wantLive := leases[sess]
			if live != wantLive {
				t.Fatalf("op %d: Heartbeat(%s).live: got %t, want %t", op, sess, live, wantLive)
			}
			if wantLive {
				leases[sess] = now.Add(d)
				checkTime(t, fmt.Sprintf("op %d: Heartbeat.expiresAt", op), exp, now.Add(d))
			}
		case 2:
			if err := l.Release(ctx, lic, sess); err != nil {
				t.Fatalf("op %d: Release: got error %v, want nil", op, err)
			}
			delete(leases, sess)
		case 3:
			got, err := l.Count(ctx, lic, now)
			if err != nil || got != len(leases) {
				t.Fatalf("op %d: Count: got %d, error %v, want %d, nil", op, got, err, len(leases))
			}
		case 4:
			exp, ok, err := l.Lookup(ctx, lic, sess, now)
			want, wantOK := leases[sess]
			if err != nil || ok != wantOK {
				t.Fatalf("op %d: Lookup(%s): got ok=%t, error %v, want ok=%t, nil", op, sess, ok, err, wantOK)
			}
			if ok {
				checkTime(t, fmt.Sprintf("op %d: Lookup.expiresAt", op), exp, want)
			}
		}
		if t.Failed() {
			t.FailNow()
		}
	}
}
