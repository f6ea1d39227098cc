// Package ledgertest is the conformance suite for coditect.Ledger
// implementations (ARCHITECTURE §3). An implementation's test calls Run with
// a constructor, e.g.
//
//	func TestLedger(t *testing.T) {
//		ledgertest.Run(t, func(t *testing.T) coditect.Ledger { return memory.NewLedger() })
//	}
//
// Every behaviour is a parallel sub-test with a ledger of its own and license
// IDs with a random suffix, so implementations over a shared backend (Redis)
// can run the suite too.
//
// The suite moves time through the Now fields and arguments, never by
// sleeping, so an implementation must judge expiry by the time it is given.
// It compares times with a millisecond tolerance, because a backend may
// store milliseconds; it only uses whole-millisecond times and TTLs.
//
// Expiry is exclusive: a lease is live while now < expires_at, so a lease
// whose expiry equals now is expired. Acquire validates its input: a TTL
// that is not positive, a Limit below 1 or an empty license or session ID is
// a *coditect.Error with code invalid_request, as is a Heartbeat TTL that is
// not positive.
package ledgertest

import (
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/coditect/coditect-license"
)

const (
	// ttl is the lease TTL of most sub-tests.
	ttl = time.Minute
	// tolerance absorbs a backend that stores expiries in milliseconds.
	tolerance = time.Millisecond
)

// Run runs every conformance sub-test, each in parallel with a fresh ledger
// from newLedger.
func Run(t *testing.T, newLedger func(t *testing.T) coditect.Ledger) {
	tests := []struct {
		name string
		run  func(t *testing.T, l coditect.Ledger)
	}{
		{"LimitHolds", testLimitHolds},
		{"ReacquireRenewsLease", testReacquireRenewsLease},
		{"ReacquireWhenFullRenews", testReacquireWhenFullRenews},
		{"ReacquireAfterExpiryIsNewGrant", testReacquireAfterExpiryIsNewGrant},
		{"LowerLimitKeepsHoldersRefusesNewcomers", testLowerLimit},
		{"ExpiryFreesSeat", testExpiryFreesSeat},
		{"LeaseAtExpiryInstantIsExpired", testLeaseAtExpiryInstantIsExpired},
		{"HeartbeatExtendsLiveLease", testHeartbeatExtendsLiveLease},
		{"HeartbeatAfterExpiryIsLost", testHeartbeatAfterExpiryIsLost},
		{"HeartbeatDoesNotResurrect", testHeartbeatDoesNotResurrect},
		{"HeartbeatUnknownIsLost", testHeartbeatUnknownIsLost},
		{"ReleaseFreesSeat", testReleaseFreesSeat},
		{"ReleaseIsIdempotent", testReleaseIsIdempotent},
		{"RefusalCarriesEarliestExpiry", testRefusalCarriesEarliestExpiry},
		{"CountIgnoresExpired", testCountIgnoresExpired},
		{"LicensesAreIndependent", testLicensesAreIndependent},
		{"LookupReturnsLiveExpiry", testLookupReturnsLiveExpiry},
		{"LookupMissesExpiredAndUnknown", testLookupMissesExpiredAndUnknown},
		{"RestoreIgnoresLimit", testRestoreIgnoresLimit},
		{"RestoreSkipsExpired", testRestoreSkipsExpired},
		{"RestoredLeasesAreLeases", testRestoredLeasesAreLeases},
		{"RestoreRefusesForeignLeases", testRestoreRefusesForeignLeases},
		{"InvalidAcquireIsRefused", testInvalidAcquireIsRefused},
		{"InvalidHeartbeatIsRefused", testInvalidHeartbeatIsRefused},
		{"Ping", testPing},
		{"ConcurrentAcquireNeverExceedsLimit", testConcurrentAcquireNeverExceedsLimit},
		{"ConcurrentChurnNeverExceedsLimit", testConcurrentChurnNeverExceedsLimit},
		{"RandomOperationsMatchModel", testRandomOperationsMatchModel},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run(t, newLedger(t))
		})
	}
}

// newLicense returns a license ID no other test, run or process uses.
func newLicense() string {
	return "ledgertest-" + rand.Text()
}

func session(i int) string {
	return fmt.Sprintf("session-%d", i)
}

// base returns a start time in whole milliseconds, as a backend storing
// milliseconds would see it.
func base() time.Time {
	return time.Now().Truncate(time.Millisecond)
}

func acquire(t *testing.T, l coditect.Ledger, licenseID, sessionID string, limit int, now time.Time) coditect.AcquireResult {
	t.Helper()
	res, err := l.Acquire(t.Context(), coditect.AcquireParams{LicenseID: licenseID, SessionID: sessionID, TTL: ttl, Limit: limit, Now: now})
	if err != nil {
		t.Fatalf("Acquire(%s): got error %v, want nil", sessionID, err)
	}
	return res
}

// mustGrant acquires and fails the test unless a seat is granted with the
// given renewal flag and an expiry of now+ttl.
func mustGrant(t *testing.T, l coditect.Ledger, licenseID, sessionID string, limit int, now time.Time, renewed bool) coditect.AcquireResult {
	t.Helper()
	res := acquire(t, l, licenseID, sessionID, limit, now)
	if !res.Granted {
		t.Fatalf("Acquire(%s).Granted: got false, want true (InUse %d)", sessionID, res.InUse)
	}
	if res.Renewed != renewed {
		t.Errorf("Acquire(%s).Renewed: got %t, want %t", sessionID, res.Renewed, renewed)
	}
	checkTime(t, fmt.Sprintf("Acquire(%s).ExpiresAt", sessionID), res.ExpiresAt, now.Add(ttl))
	return res
}

// mustRefuse acquires and fails the test unless the seat is refused.
func mustRefuse(t *testing.T, l coditect.Ledger, licenseID, sessionID string, limit int, now time.Time) coditect.AcquireResult {
	t.Helper()
	res := acquire(t, l, licenseID, sessionID, limit, now)
	if res.Granted {
		t.Fatalf("Acquire(%s).Granted: got true, want false (InUse %d, limit %d)", sessionID, res.InUse, limit)
	}
	return res
}

func heartbeat(t *testing.T, l coditect.Ledger, licenseID, sessionID string, now time.Time) (time.Time, bool) {
	t.Helper()
	exp, live, err := l.Heartbeat(t.Context(), coditect.HeartbeatParams{LicenseID: licenseID, SessionID: sessionID, TTL: ttl, Now: now})
	if err != nil {
		t.Fatalf("Heartbeat(%s): got error %v, want nil", sessionID, err)
	}
	return exp, live
}

func checkLost(t *testing.T, l coditect.Ledger, licenseID, sessionID string, now time.Time) {
	t.Helper()
	if _, live := heartbeat(t, l, licenseID, sessionID, now); live {
		t.Errorf("Heartbeat(%s).live: got true, want false", sessionID)
	}
}

func release(t *testing.T, l coditect.Ledger, licenseID, sessionID string) {
	t.Helper()
	if err := l.Release(t.Context(), licenseID, sessionID); err != nil {
		t.Fatalf("Release(%s): got error %v, want nil", sessionID, err)
	}
}

func checkCount(t *testing.T, l coditect.Ledger, licenseID string, now time.Time, want int) {
	t.Helper()
	got, err := l.Count(t.Context(), licenseID, now)
	if err != nil {
		t.Fatalf("Count: got error %v, want nil", err)
	}
	if got != want {
		t.Errorf("Count: got %d, want %d", got, want)
	}
}

func checkLookup(t *testing.T, l coditect.Ledger, licenseID, sessionID string, now time.Time, wantOK bool, wantExpires time.Time) {
	t.Helper()
	exp, ok, err := l.Lookup(t.Context(), licenseID, sessionID, now)
	if err != nil {
		t.Fatalf("Lookup(%s): got error %v, want nil", sessionID, err)
	}
	if ok != wantOK {
		t.Fatalf("Lookup(%s).ok: got %t, want %t", sessionID, ok, wantOK)
	}
	if ok {
		checkTime(t, fmt.Sprintf("Lookup(%s).expiresAt", sessionID), exp, wantExpires)
	}
}

func checkInUse(t *testing.T, res coditect.AcquireResult, want int) {
	t.Helper()
	if res.InUse != want {
		t.Errorf("InUse: got %d, want %d", res.InUse, want)
	}
}

func checkTime(t *testing.T, what string, got, want time.Time) {
	t.Helper()
	if d := got.Sub(want); d < -tolerance || d > tolerance {
		t.Errorf("%s: got %v, want %v (±%v)", what, got, want, tolerance)
	}
}

func checkInvalidRequest(t *testing.T, what string, err error) {
	t.Helper()
	if got := coditect.ErrorCode(err); got != coditect.CodeInvalidRequest {
		t.Errorf("%s: got error code %q (%v), want %q", what, got, err, coditect.CodeInvalidRequest)
	}
}
