package ledgertest

import (
	"testing"
	"time"

	"github.com/coditect/coditect-license"
)

func testLimitHolds(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	const limit = 3
	for i := range limit {
		res := mustGrant(t, l, lic, session(i), limit, now, false)
		checkInUse(t, res, i+1)
	}
	res := mustRefuse(t, l, lic, session(limit), limit, now)
	checkInUse(t, res, limit)
	checkCount(t, l, lic, now, limit)
	checkLookup(t, l, lic, session(limit), now, false, time.Time{})
}

func testReacquireRenewsLease(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 2, now, false)
	mustGrant(t, l, lic, session(2), 2, now.Add(time.Second), false)
	later := now.Add(10 * time.Second)
	res := mustGrant(t, l, lic, session(1), 2, later, true)
	checkInUse(t, res, 2)
	checkCount(t, l, lic, later, 2)
	checkLookup(t, l, lic, session(1), later, true, later.Add(ttl))
	// The renewed lease no longer expires first.
	res = mustRefuse(t, l, lic, session(3), 2, later)
	checkTime(t, "EarliestExpiry", res.EarliestExpiry, now.Add(time.Second+ttl))
	checkCount(t, l, lic, now.Add(time.Second+ttl), 1)
	checkLookup(t, l, lic, session(1), now.Add(time.Second+ttl), true, later.Add(ttl))
}

func testReacquireWhenFullRenews(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	res := mustGrant(t, l, lic, session(1), 1, now.Add(time.Second), true)
	checkInUse(t, res, 1)
	mustRefuse(t, l, lic, session(2), 1, now.Add(time.Second))
}

func testReacquireAfterExpiryIsNewGrant(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	res := mustGrant(t, l, lic, session(1), 1, now.Add(ttl), false)
	checkInUse(t, res, 1)
}

func testLowerLimit(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	for i := range 3 {
		mustGrant(t, l, lic, session(i), 3, now, false)
	}
	res := mustGrant(t, l, lic, session(0), 2, now.Add(time.Second), true)
	checkInUse(t, res, 3)
	res = mustRefuse(t, l, lic, session(3), 2, now.Add(time.Second))
	checkInUse(t, res, 3)
}

func testExpiryFreesSeat(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	mustRefuse(t, l, lic, session(2), 1, now.Add(ttl-time.Millisecond))
	checkCount(t, l, lic, now.Add(ttl-time.Millisecond), 1)
	checkCount(t, l, lic, now.Add(ttl), 0)
	res := mustGrant(t, l, lic, session(2), 1, now.Add(ttl), false)
	checkInUse(t, res, 1)
	checkLookup(t, l, lic, session(1), now.Add(ttl), false, time.Time{})
}

func testLeaseAtExpiryInstantIsExpired(t *testing.T, l coditect.Ledger) {
	now := base()
	at := now.Add(ttl)
	t.Run("Lookup", func(t *testing.T) {
		lic := newLicense()
		mustGrant(t, l, lic, session(1), 1, now, false)
		checkLookup(t, l, lic, session(1), at.Add(-time.Millisecond), true, at)
		checkLookup(t, l, lic, session(1), at, false, time.Time{})
	})
	t.Run("Count", func(t *testing.T) {
		lic := newLicense()
		mustGrant(t, l, lic, session(1), 1, now, false)
		checkCount(t, l, lic, at, 0)
	})
	t.Run("Heartbeat", func(t *testing.T) {
		lic := newLicense()
		mustGrant(t, l, lic, session(1), 1, now, false)
		checkLost(t, l, lic, session(1), at)
	})
	t.Run("Acquire", func(t *testing.T) {
		lic := newLicense()
		mustGrant(t, l, lic, session(1), 1, now, false)
		mustGrant(t, l, lic, session(2), 1, at, false)
	})
	t.Run("Restore", func(t *testing.T) {
		lic := newLicense()
		if err := l.Restore(t.Context(), lic, []coditect.Lease{{LicenseID: lic, SessionID: session(1), ExpiresAt: now}}, now); err != nil {
			t.Fatalf("Restore: got error %v, want nil", err)
		}
		checkCount(t, l, lic, now, 0)
	})
}

func testHeartbeatExtendsLiveLease(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	hb := now.Add(30 * time.Second)
	exp, live := heartbeat(t, l, lic, session(1), hb)
	if !live {
		t.Fatalf("Heartbeat.live: got false, want true")
	}
	checkTime(t, "Heartbeat.expiresAt", exp, hb.Add(ttl))
	checkLookup(t, l, lic, session(1), hb, true, hb.Add(ttl))
	checkCount(t, l, lic, now.Add(ttl), 1)
	checkCount(t, l, lic, hb.Add(ttl), 0)
}

func testHeartbeatAfterExpiryIsLost(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	checkLost(t, l, lic, session(1), now.Add(ttl+time.Second))
}

func testHeartbeatDoesNotResurrect(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	late := now.Add(ttl + time.Second)
	checkLost(t, l, lic, session(1), late)
	checkLost(t, l, lic, session(1), late)
	checkLookup(t, l, lic, session(1), late, false, time.Time{})
	checkCount(t, l, lic, late, 0)
	mustGrant(t, l, lic, session(2), 1, late, false)
}

func testHeartbeatUnknownIsLost(t *testing.T, l coditect.Ledger) {
	now := base()
	t.Run("UnknownLicense", func(t *testing.T) {
		lic := newLicense()
		checkLost(t, l, lic, session(1), now)
		checkCount(t, l, lic, now, 0)
	})
	t.Run("UnknownSession", func(t *testing.T) {
		lic := newLicense()
		mustGrant(t, l, lic, session(1), 2, now, false)
		checkLost(t, l, lic, session(2), now)
		checkCount(t, l, lic, now, 1)
	})
	t.Run("Released", func(t *testing.T) {
		lic := newLicense()
		mustGrant(t, l, lic, session(1), 2, now, false)
		release(t, l, lic, session(1))
		checkLost(t, l, lic, session(1), now)
		checkCount(t, l, lic, now, 0)
	})
}

func testReleaseFreesSeat(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	release(t, l, lic, session(1))
	checkCount(t, l, lic, now, 0)
	checkLookup(t, l, lic, session(1), now, false, time.Time{})
	res := mustGrant(t, l, lic, session(2), 1, now, false)
	checkInUse(t, res, 1)
}

func testReleaseIsIdempotent(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 2, now, false)
	mustGrant(t, l, lic, session(2), 2, now, false)
	release(t, l, lic, session(1))
	release(t, l, lic, session(1))
	release(t, l, lic, session(3))
	release(t, l, newLicense(), session(1))
	checkCount(t, l, lic, now, 1)
	checkLookup(t, l, lic, session(2), now, true, now.Add(ttl))
}

func testRefusalCarriesEarliestExpiry(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 3, now, false)
	mustGrant(t, l, lic, session(2), 3, now.Add(5*time.Second), false)
	mustGrant(t, l, lic, session(3), 3, now.Add(10*time.Second), false)
	// The first lease is no longer the earliest once it is extended.
	later := now.Add(20 * time.Second)
	if _, live := heartbeat(t, l, lic, session(1), later); !live {
		t.Fatalf("Heartbeat.live: got false, want true")
	}
	res := mustRefuse(t, l, lic, session(4), 3, later)
	checkInUse(t, res, 3)
	checkTime(t, "EarliestExpiry", res.EarliestExpiry, now.Add(5*time.Second+ttl))
}

func testCountIgnoresExpired(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 2, now, false)
	mustGrant(t, l, lic, session(2), 2, now.Add(10*time.Second), false)
	checkCount(t, l, lic, now.Add(10*time.Second), 2)
	checkCount(t, l, lic, now.Add(ttl), 1)
	checkCount(t, l, lic, now.Add(10*time.Second+ttl), 0)
	checkCount(t, l, newLicense(), now, 0)
}

func testLicensesAreIndependent(t *testing.T, l coditect.Ledger) {
	a, b, now := newLicense(), newLicense(), base()
	mustGrant(t, l, a, session(1), 1, now, false)
	mustGrant(t, l, b, session(1), 1, now, false)
	mustRefuse(t, l, a, session(2), 1, now)
	release(t, l, a, session(1))
	checkCount(t, l, a, now, 0)
	checkCount(t, l, b, now, 1)
	checkLookup(t, l, b, session(1), now, true, now.Add(ttl))
	mustRefuse(t, l, b, session(2), 1, now)
}

func testLookupReturnsLiveExpiry(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	checkLookup(t, l, lic, session(1), now.Add(time.Second), true, now.Add(ttl))
}

func testLookupMissesExpiredAndUnknown(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	checkLookup(t, l, lic, session(1), now.Add(ttl+time.Second), false, time.Time{})
	checkLookup(t, l, lic, session(2), now, false, time.Time{})
	checkLookup(t, l, newLicense(), session(1), now, false, time.Time{})
}

func restore(t *testing.T, l coditect.Ledger, licenseID string, leases []coditect.Lease, now time.Time) {
	t.Helper()
	if err := l.Restore(t.Context(), licenseID, leases, now); err != nil {
		t.Fatalf("Restore: got error %v, want nil", err)
	}
}

func testRestoreIgnoresLimit(t *testing.T, l coditect.Ledger) {
	lic, other, now := newLicense(), newLicense(), base()
	var leases []coditect.Lease
	for i := range 5 {
		leases = append(leases, coditect.Lease{LicenseID: lic, SessionID: session(i), ExpiresAt: now.Add(time.Duration(i+1) * time.Second)})
	}
	restore(t, l, lic, leases, now)
	restore(t, l, other, []coditect.Lease{{SessionID: session(0), ExpiresAt: now.Add(ttl)}}, now)
	checkCount(t, l, lic, now, 5)
	checkCount(t, l, other, now, 1)
	for i, le := range leases[:5] {
		checkLookup(t, l, lic, session(i), now, true, le.ExpiresAt)
	}
	res := mustRefuse(t, l, lic, session(9), 3, now)
	checkInUse(t, res, 5)
	checkTime(t, "EarliestExpiry", res.EarliestExpiry, now.Add(time.Second))
	// Still refused while two restored leases leave more than the limit live.
	res = mustRefuse(t, l, lic, session(9), 3, now.Add(2*time.Second))
	checkInUse(t, res, 3)
	mustGrant(t, l, lic, session(9), 3, now.Add(3*time.Second), false)
	restore(t, l, lic, nil, now)
	checkCount(t, l, lic, now.Add(3*time.Second), 3)
}

func testRestoreSkipsExpired(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	restore(t, l, lic, []coditect.Lease{
		{LicenseID: lic, SessionID: session(1), ExpiresAt: now.Add(-time.Second)},
		{LicenseID: lic, SessionID: session(2), ExpiresAt: now},
		{LicenseID: lic, SessionID: session(3), ExpiresAt: now.Add(time.Second)},
	}, now)
	checkCount(t, l, lic, now, 1)
	checkLookup(t, l, lic, session(1), now, false, time.Time{})
	checkLookup(t, l, lic, session(2), now, false, time.Time{})
	checkLookup(t, l, lic, session(3), now, true, now.Add(time.Second))
}

func testRestoredLeasesAreLeases(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	restore(t, l, lic, []coditect.Lease{
		{LicenseID: lic, SessionID: session(1), ExpiresAt: now.Add(ttl)},
		{LicenseID: lic, SessionID: session(2), ExpiresAt: now.Add(ttl)},
	}, now)
	mustRefuse(t, l, lic, session(3), 2, now)
	later := now.Add(time.Second)
	mustGrant(t, l, lic, session(1), 2, later, true)
	exp, live := heartbeat(t, l, lic, session(2), later)
	if !live {
		t.Fatalf("Heartbeat.live: got false, want true")
	}
	checkTime(t, "Heartbeat.expiresAt", exp, later.Add(ttl))
	release(t, l, lic, session(2))
	mustGrant(t, l, lic, session(3), 2, later, false)
}

func testInvalidAcquireIsRefused(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	valid := coditect.AcquireParams{LicenseID: lic, SessionID: session(1), TTL: ttl, Limit: 1, Now: now}
	tests := []struct {
		name   string
		change func(p *coditect.AcquireParams)
	}{
		{"ZeroTTL", func(p *coditect.AcquireParams) { p.TTL = 0 }},
		{"NegativeTTL", func(p *coditect.AcquireParams) { p.TTL = -time.Second }},
		{"ZeroLimit", func(p *coditect.AcquireParams) { p.Limit = 0 }},
		{"NegativeLimit", func(p *coditect.AcquireParams) { p.Limit = -1 }},
		{"EmptySessionID", func(p *coditect.AcquireParams) { p.SessionID = "" }},
		{"EmptyLicenseID", func(p *coditect.AcquireParams) { p.LicenseID = "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := valid
			tt.change(&p)
			res, err := l.Acquire(t.Context(), p)
			checkInvalidRequest(t, "Acquire", err)
			if res.Granted {
				t.Errorf("Granted: got true, want false")
			}
		})
	}
	checkCount(t, l, lic, now, 0)
}

func testInvalidHeartbeatIsRefused(t *testing.T, l coditect.Ledger) {
	lic, now := newLicense(), base()
	mustGrant(t, l, lic, session(1), 1, now, false)
	for _, d := range []time.Duration{0, -time.Second} {
		_, live, err := l.Heartbeat(t.Context(), coditect.HeartbeatParams{LicenseID: lic, SessionID: session(1), TTL: d, Now: now.Add(time.Second)})
		checkInvalidRequest(t, "Heartbeat", err)
		if live {
			t.Errorf("Heartbeat(TTL %v).live: got true, want false", d)
		}
	}
	checkLookup(t, l, lic, session(1), now, true, now.Add(ttl))
}

func testPing(t *testing.T, l coditect.Ledger) {
	if err := l.Ping(t.Context()); err != nil {
		t.Errorf("Ping: got %v, want nil", err)
	}
}

func testRestoreRefusesForeignLeases(t *testing.T, l coditect.Ledger) {
	lic, other, now := newLicense(), newLicense(), base()
	err := l.Restore(t.Context(), lic, []coditect.Lease{
		{LicenseID: lic, SessionID: session(1), ExpiresAt: now.Add(ttl)},
		{LicenseID: other, SessionID: session(2), ExpiresAt: now.Add(ttl)},
	}, now)
	checkInvalidRequest(t, "Restore(foreign lease)", err)
	checkInvalidRequest(t, "Restore(no license)", l.Restore(t.Context(), "", nil, now))
	checkInvalidRequest(t, "Restore(no session)", l.Restore(t.Context(), lic, []coditect.Lease{{ExpiresAt: now.Add(ttl)}}, now))
	checkCount(t, l, lic, now, 0)
	checkCount(t, l, other, now, 0)
}
