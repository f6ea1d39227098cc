package seat_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/memory"
	"github.com/coditect/coditect-license/seat"
)

// forgetfulLedger behaves like the Redis ledger after a flush: Forget drops
// every lease, and calls on a license then report ErrLedgerLost until the
// license is restored.
type forgetfulLedger struct {
	mu    sync.Mutex
	inner *memory.Ledger
	known map[string]bool
}

func newForgetful() *forgetfulLedger {
	return &forgetfulLedger{inner: memory.NewLedger(), known: map[string]bool{}}
}

func (f *forgetfulLedger) Forget() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inner, f.known = memory.NewLedger(), map[string]bool{}
}

func (f *forgetfulLedger) get(licenseID string) (*memory.Ledger, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.known[licenseID] {
		return nil, fmt.Errorf("license %s: %w", licenseID, coditect.ErrLedgerLost)
	}
	return f.inner, nil
}

func (f *forgetfulLedger) Acquire(ctx context.Context, p coditect.AcquireParams) (coditect.AcquireResult, error) {
	l, err := f.get(p.LicenseID)
	if err != nil {
		return coditect.AcquireResult{}, err
	}
	return l.Acquire(ctx, p)
}

func (f *forgetfulLedger) Heartbeat(ctx context.Context, p coditect.HeartbeatParams) (time.Time, bool, error) {
	l, err := f.get(p.LicenseID)
	if err != nil {
		return time.Time{}, false, err
	}
	return l.Heartbeat(ctx, p)
}

func (f *forgetfulLedger) Release(ctx context.Context, licenseID, sessionID string) error {
	f.mu.Lock()
	l := f.inner
	f.mu.Unlock()
	return l.Release(ctx, licenseID, sessionID)
}

func (f *forgetfulLedger) Count(ctx context.Context, licenseID string, now time.Time) (int, error) {
	l, err := f.get(licenseID)
	if err != nil {
		return 0, err
	}
	return l.Count(ctx, licenseID, now)
}

func (f *forgetfulLedger) Lookup(ctx context.Context, licenseID, sessionID string, now time.Time) (time.Time, bool, error) {
	l, err := f.get(licenseID)
	if err != nil {
		return time.Time{}, false, err
	}
	return l.Lookup(ctx, licenseID, sessionID, now)
}

func (f *forgetfulLedger) Restore(ctx context.Context, licenseID string, leases []coditect.Lease, now time.Time) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.inner.Restore(ctx, licenseID, leases, now); err != nil {
		return err
	}
	f.known[licenseID] = true
	return nil
}

func (f *forgetfulLedger) Ping(context.Context) error { return nil }

func TestLostLedger(t *testing.T) {
	t.Parallel()

	t.Run("held seats stay held after the ledger forgets them", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ledger := newForgetful()
		svc := e.service(e.store, ledger)
		l, key := e.license(2, 60, nil)
		var grants []*seat.Grant
		for _, fpr := range []string{"a", "b"} {
			g, err := svc.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: fpr})
			if err != nil {
				t.Fatal(err)
			}
			grants = append(grants, g)
		}
		ledger.Forget()
		_, err := svc.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: "c"})
		wantCode(t, err, coditect.CodeSeatsExhausted)
		if n, err := svc.SeatsInUse(context.Background(), e.tenant, l.ID); err != nil || n != 2 {
			t.Fatalf("got %d seats in use (%v), want 2", n, err)
		}
		ledger.Forget()
		if _, err := svc.Heartbeat(context.Background(), grants[0].Session.ID, grants[0].SessionToken); err != nil {
			t.Fatalf("heartbeat after the loss: %v", err)
		}
	})

	t.Run("a grant that straddles the loss is never handed out twice", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ledger := newForgetful()
		l, key := e.license(1, 60, nil)
		replica := e.service(e.store, ledger)
		hooked := &failingStore{Store: e.store}
		svc := e.service(hooked, ledger)
		var other *seat.Grant
		hooked.beforeCreate = func(*coditect.Session) {
			hooked.beforeCreate = nil
			// The ledger is flushed after the grant, before the row exists:
			// the other replica restores without this session and takes the
			// seat that looks free.
			ledger.Forget()
			g, err := replica.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: "other"})
			if err != nil {
				t.Errorf("the other replica's acquire: %v", err)
			}
			other = g
		}
		_, err := svc.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: "straddler"})
		wantCode(t, err, coditect.CodeUnavailable)
		if other == nil {
			t.Fatal("the other replica got no seat")
		}
		active, err := e.store.ListSessions(context.Background(), e.tenant, coditect.SessionFilter{LicenseID: l.ID, Status: coditect.SessionActive, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(active) != 1 || active[0].ID != other.Session.ID {
			t.Fatalf("got %d active sessions, want only the other replica's", len(active))
		}
		if n, _ := svc.SeatsInUse(context.Background(), e.tenant, l.ID); n != 1 {
			t.Fatalf("got %d seats in use, want 1", n)
		}
	})

	t.Run("the sweeper restores a forgotten license and ends what expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		ledger := newForgetful()
		svc := e.service(e.store, ledger)
		_, key := e.license(2, 10, nil)
		if _, err := svc.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: "a"}); err != nil {
			t.Fatal(err)
		}
		ledger.Forget()
		e.clock.Add(11 * time.Second)
		if n, err := svc.Sweep(context.Background()); err != nil || n != 1 {
			t.Fatalf("got %d swept (%v), want 1", n, err)
		}
	})
}

// replyLostLedger grants an acquire and then reports a failure, as a Redis
// call whose reply timed out after the script ran.
type replyLostLedger struct {
	*memory.Ledger
}

func (l replyLostLedger) Acquire(ctx context.Context, p coditect.AcquireParams) (coditect.AcquireResult, error) {
	if _, err := l.Ledger.Acquire(ctx, p); err != nil {
		return coditect.AcquireResult{}, err
	}
	return coditect.AcquireResult{}, coditect.Unavailable("seat ledger", context.DeadlineExceeded)
}

func TestAcquireWhoseReplyIsLostGivesTheLeaseBack(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	inner := memory.NewLedger()
	svc := e.service(e.store, replyLostLedger{inner})
	l, key := e.license(1, 360, nil)
	_, err := svc.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: "a"})
	wantCode(t, err, coditect.CodeUnavailable)
	if n, _ := inner.Count(context.Background(), l.ID, e.clock.Now()); n != 0 {
		t.Fatalf("got %d leases held after a failed acquire, want 0: nobody holds that seat", n)
	}
}
