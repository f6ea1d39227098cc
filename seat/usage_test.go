package seat_test

import (
	"context"
	"errors"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/seat"
)

// failingUsage fails the first calls to AddUsage, then passes them on.
type failingUsage struct {
	seat.UsageWriter
	fails atomic.Int32
}

func (f *failingUsage) AddUsage(ctx context.Context, bs []coditect.UsageBucket) error {
	if f.fails.Add(-1) >= 0 {
		return errors.New("store down")
	}
	return f.UsageWriter.AddUsage(ctx, bs)
}

// newUsageEnv is newEnv with usage recorded into its SQLite store, through
// w when given.
func newUsageEnv(t *testing.T, w seat.UsageWriter) *env {
	t.Helper()
	e := newEnv(t)
	if w == nil {
		w = e.sqlite
	}
	svc, err := seat.New(seat.Config{
		Store: e.store, Ledger: e.ledger, Signer: e.signer, SessionTokens: e.tokens,
		Issuer: "test", Now: e.clock.Now, NewID: newID, Usage: w,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func (e *env) acquireAs(key, fpr, user, instance string) (*seat.Grant, error) {
	return e.svc.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: fpr, User: user, InstanceID: instance})
}

func (e *env) usage(licenseID string, r coditect.UsageResolution, from, to time.Time) []coditect.UsageBucket {
	e.t.Helper()
	got, err := e.sqlite.ListUsage(context.Background(), e.tenant, licenseID, r, from, to)
	if err != nil {
		e.t.Fatal(err)
	}
	return got
}

func (e *env) flushUsage() {
	e.t.Helper()
	if err := e.svc.FlushUsage(context.Background()); err != nil {
		e.t.Fatalf("flush usage: %v", err)
	}
}

func minuteBucket(e *env, licenseID string, start time.Time, peak, acquires, denials, users, machines int) coditect.UsageBucket {
	return coditect.UsageBucket{
		TenantID: e.tenant, LicenseID: licenseID, Resolution: coditect.UsageMinute, Start: start,
		PeakInUse: peak, Acquires: acquires, Denials: denials, DistinctUsers: users, DistinctMachines: machines,
	}
}

func wantBuckets(t *testing.T, got, want []coditect.UsageBucket) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got usage %+v, want %+v", got, want)
	}
}

func TestUsage(t *testing.T) {
	t.Parallel()

	t.Run("counts acquires, denials, users and machines per minute", func(t *testing.T) {
		t.Parallel()
		e := newUsageEnv(t, nil)
		l, key := e.license(2, 300, nil)
		m0 := e.clock.Now()
		expect := func(err error, code string) {
			t.Helper()
			if coditect.ErrorCode(err) != code {
				t.Fatalf("got error %v, want %q", err, code)
			}
		}
		_, err := e.acquireAs(key, "m1", "ann", "i1")
		expect(err, "")
		g, err := e.acquireAs(key, "m2", "bob", "")
		expect(err, "")
		_, err = e.acquireAs(key, "m3", "carl", "")
		expect(err, coditect.CodeSeatsExhausted)
		_, err = e.acquireAs(key, "m1", "ann", "i1") // a renewal, not an acquire
		expect(err, "")

		e.clock.Add(time.Minute)
		if err := e.svc.Release(context.Background(), g.Session.ID, g.SessionToken); err != nil {
			t.Fatal(err)
		}
		_, err = e.acquireAs(key, "m4", "dan", "")
		expect(err, "")
		for range 2 {
			_, err = e.acquireAs(key, "m5", "eve", "")
			expect(err, coditect.CodeSeatsExhausted)
		}
		e.flushUsage()
		wantBuckets(t, e.usage(l.ID, coditect.UsageMinute, m0, m0.Add(time.Hour)), []coditect.UsageBucket{
			minuteBucket(e, l.ID, m0, 2, 2, 1, 2, 2),
			minuteBucket(e, l.ID, m0.Add(time.Minute), 2, 1, 2, 1, 1),
		})

		// Nobody acquires in the third minute, but two seats are held: the
		// flush counts them.
		e.clock.Add(time.Minute)
		e.flushUsage()
		wantBuckets(t, e.usage(l.ID, coditect.UsageMinute, m0.Add(2*time.Minute), m0.Add(time.Hour)), []coditect.UsageBucket{
			minuteBucket(e, l.ID, m0.Add(2*time.Minute), 2, 0, 0, 0, 0),
		})
		hour := e.usage("", coditect.UsageHour, m0, m0.Add(time.Hour))
		if len(hour) != 1 || hour[0].PeakInUse != 2 || hour[0].Acquires != 3 || hour[0].Denials != 3 {
			t.Fatalf("got hour %+v, want peak 2, 3 acquires, 3 denials", hour)
		}
	})

	t.Run("a minute written again as it grows counts each acquire once", func(t *testing.T) {
		t.Parallel()
		e := newUsageEnv(t, nil)
		l, key := e.license(5, 300, nil)
		m0 := e.clock.Now()
		if _, err := e.acquireAs(key, "m1", "ann", ""); err != nil {
			t.Fatal(err)
		}
		e.flushUsage()
		e.flushUsage() // nothing new: nothing written
		e.clock.Add(10 * time.Second)
		if _, err := e.acquireAs(key, "m2", "bob", ""); err != nil {
			t.Fatal(err)
		}
		e.flushUsage()
		wantBuckets(t, e.usage(l.ID, coditect.UsageMinute, m0, m0.Add(time.Minute)), []coditect.UsageBucket{
			minuteBucket(e, l.ID, m0, 2, 2, 0, 2, 2),
		})
	})

	t.Run("counts a failed write again at the next flush", func(t *testing.T) {
		t.Parallel()
		f := &failingUsage{}
		f.fails.Store(1)
		e := newUsageEnv(t, f)
		f.UsageWriter = e.sqlite
		l, key := e.license(1, 300, nil)
		m0 := e.clock.Now()
		e.mustAcquire(key, "m1", "")
		if _, err := e.acquire(key, "m2", ""); coditect.ErrorCode(err) != coditect.CodeSeatsExhausted {
			t.Fatalf("got %v, want seats_exhausted", err)
		}
		if err := e.svc.FlushUsage(context.Background()); err == nil {
			t.Fatal("got no error from a failing store, want one")
		}
		e.clock.Add(time.Minute) // the minute is over, but not written yet
		e.flushUsage()
		got := e.usage(l.ID, coditect.UsageMinute, m0, m0.Add(time.Minute))
		wantBuckets(t, got, []coditect.UsageBucket{minuteBucket(e, l.ID, m0, 1, 1, 1, 0, 1)})
	})

	t.Run("heartbeats keep a license counted until its leases lapse", func(t *testing.T) {
		t.Parallel()
		e := newUsageEnv(t, nil)
		l, key := e.license(3, 120, nil)
		m0 := e.clock.Now()
		g := e.mustAcquire(key, "m1", "")
		e.clock.Add(90 * time.Second)
		if _, err := e.svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(90 * time.Second) // minute 3, lease live until 3:30
		e.flushUsage()
		e.clock.Add(3 * time.Minute) // minute 6: the lease lapsed
		e.flushUsage()
		wantBuckets(t, e.usage(l.ID, coditect.UsageMinute, m0, m0.Add(time.Hour)), []coditect.UsageBucket{
			minuteBucket(e, l.ID, m0, 1, 1, 0, 0, 1),
			minuteBucket(e, l.ID, m0.Add(3*time.Minute), 1, 0, 0, 0, 0),
		})
	})

	t.Run("sweep writes usage back", func(t *testing.T) {
		t.Parallel()
		e := newUsageEnv(t, nil)
		l, key := e.license(1, 300, nil)
		e.mustAcquire(key, "m1", "")
		if _, err := e.svc.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := e.usage(l.ID, coditect.UsageMinute, e.clock.Now(), e.clock.Now().Add(time.Minute)); len(got) != 1 || got[0].Acquires != 1 {
			t.Fatalf("got %+v, want one acquire", got)
		}
	})

	t.Run("a service without a usage store records nothing", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 300, nil)
		e.mustAcquire(key, "m1", "")
		if err := e.svc.FlushUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
	})
}

func TestRetainUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l, _ := e.license(1, 300, nil)
	ctx := context.Background()
	now := e.clock.Now() // 12:00 UTC
	day := 24 * time.Hour
	old := func(age time.Duration, r coditect.UsageResolution) coditect.UsageBucket {
		return coditect.UsageBucket{TenantID: e.tenant, LicenseID: l.ID, Resolution: r, Start: r.Truncate(now.Add(-age)), PeakInUse: 1, Acquires: 1}
	}
	if err := e.sqlite.AddUsage(ctx, []coditect.UsageBucket{
		old(15*day, coditect.UsageMinute),  // rolled up into an hour
		old(13*day, coditect.UsageMinute),  // kept
		old(31*day, coditect.UsageHour),    // rolled up into a day
		old(29*day, coditect.UsageHour),    // kept
		old(401*day, coditect.UsageDay),    // deleted
		old(399*day, coditect.UsageDay),    // kept
		old(402*day, coditect.UsageMinute), // deleted, whatever its resolution
	}); err != nil {
		t.Fatal(err)
	}
	rolled, deleted, err := seat.RetainUsage(ctx, e.sqlite, seat.DefaultUsageRetention, now)
	if err != nil || rolled != 2 || deleted != 2 {
		t.Fatalf("got rolled %d, deleted %d (error %v), want 2 and 2", rolled, deleted, err)
	}
	count := func(r coditect.UsageResolution, from time.Time) int {
		n := 0
		for _, b := range e.usage(l.ID, r, from, now) {
			n += b.Acquires
		}
		return n
	}
	all := now.Add(-500 * day)
	if got := count(coditect.UsageMinute, all); got != 1 {
		t.Errorf("minute buckets: got %d, want 1 (13 days old)", got)
	}
	if got := count(coditect.UsageHour, all); got != 3 {
		t.Errorf("hour and finer buckets: got %d, want 3", got)
	}
	if got := count(coditect.UsageDay, all); got != 5 {
		t.Errorf("all buckets: got %d, want 5", got)
	}
	if rolled, deleted, err := seat.RetainUsage(ctx, e.sqlite, seat.DefaultUsageRetention, now); err != nil || rolled != 0 || deleted != 0 {
		t.Errorf("the same pass again: got rolled %d, deleted %d (error %v), want nothing", rolled, deleted, err)
	}
}
