package memory_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/memory"
)

// The tests in this file pin down the lazy expiry queue: heartbeats only
// write a lease's expiry, and the queue catches up when a stale key comes
// due. Each would fail if the queue dropped a lease by its stale key, kept
// one past its real expiry, or reported a stale key as the earliest expiry.

func checkInvariants(t *testing.T, l *memory.Ledger) {
	t.Helper()
	if err := l.CheckInvariants(); err != nil {
		t.Fatalf("invariants: %v", err)
	}
}

func heartbeatFor(t *testing.T, l *memory.Ledger, licenseID, sessionID string, d time.Duration, now time.Time) (time.Time, bool) {
	t.Helper()
	exp, live, err := l.Heartbeat(t.Context(), coditect.HeartbeatParams{LicenseID: licenseID, SessionID: sessionID, TTL: d, Now: now})
	if err != nil {
		t.Fatalf("Heartbeat(%s): got error %v, want nil", sessionID, err)
	}
	return exp, live
}

func checkCount(t *testing.T, l *memory.Ledger, licenseID string, now time.Time, want int) {
	t.Helper()
	if got, err := l.Count(t.Context(), licenseID, now); err != nil || got != want {
		t.Errorf("Count at %v: got %d, error %v, want %d, nil", now.Format(time.StampNano), got, err, want)
	}
	checkInvariants(t, l)
}

func TestStaleKeyComesDue(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	now := time.Unix(1_700_000_000, 0)
	acquire(t, l, "lic", sessionID(1), now)
	acquire(t, l, "lic", sessionID(2), now)
	// s1's queue key stays now+ttl; its expiry moves to now+2ttl-1ns.
	if _, live := heartbeatFor(t, l, "lic", sessionID(1), ttl, now.Add(ttl-time.Nanosecond)); !live {
		t.Fatal("Heartbeat before expiry: got lost, want live")
	}
	checkCount(t, l, "lic", now.Add(ttl-time.Nanosecond), 2)
	// At now+ttl both keys are due: s2 expires, s1 goes back in the queue.
	checkCount(t, l, "lic", now.Add(ttl), 1)
	if exp, ok, _ := l.Lookup(t.Context(), "lic", sessionID(1), now.Add(ttl)); !ok || !exp.Equal(now.Add(2*ttl-time.Nanosecond)) {
		t.Errorf("Lookup(s1): got %v, %t, want %v, true", exp, ok, now.Add(2*ttl-time.Nanosecond))
	}
	checkCount(t, l, "lic", now.Add(2*ttl-2*time.Nanosecond), 1)
	checkCount(t, l, "lic", now.Add(2*ttl-time.Nanosecond), 0)
	checkState(t, l, 0, 0)
}

func TestHeartbeatAtExpiry(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	t.Run("OneNanosecondBefore", func(t *testing.T) {
		t.Parallel()
		l := memory.NewLedger()
		acquire(t, l, "lic", sessionID(1), now)
		exp, live := heartbeatFor(t, l, "lic", sessionID(1), ttl, now.Add(ttl-time.Nanosecond))
		if !live || !exp.Equal(now.Add(2*ttl-time.Nanosecond)) {
			t.Errorf("Heartbeat: got %v, %t, want %v, true", exp, live, now.Add(2*ttl-time.Nanosecond))
		}
		checkCount(t, l, "lic", now.Add(ttl), 1)
	})
	t.Run("AtExpiry", func(t *testing.T) {
		t.Parallel()
		l := memory.NewLedger()
		acquire(t, l, "lic", sessionID(1), now)
		acquire(t, l, "lic", sessionID(2), now.Add(time.Second))
		if _, live := heartbeatFor(t, l, "lic", sessionID(1), ttl, now.Add(ttl)); live {
			t.Error("Heartbeat at the expiry instant: got live, want lost")
		}
		checkInvariants(t, l)
		checkState(t, l, 1, 1)
		if _, live := heartbeatFor(t, l, "lic", sessionID(1), ttl, now.Add(ttl)); live {
			t.Error("second Heartbeat: got live, want lost")
		}
	})
	t.Run("ExtendedLeaseAtItsNewExpiry", func(t *testing.T) {
		t.Parallel()
		l := memory.NewLedger()
		acquire(t, l, "lic", sessionID(1), now)
		acquire(t, l, "lic", sessionID(2), now)
		heartbeatFor(t, l, "lic", sessionID(1), ttl, now.Add(time.Second))
		// The queue key of s1 is stale; its expiry, not the key, decides.
		if _, live := heartbeatFor(t, l, "lic", sessionID(1), ttl, now.Add(ttl)); !live {
			t.Error("Heartbeat after the old expiry: got lost, want live")
		}
		if _, live := heartbeatFor(t, l, "lic", sessionID(1), ttl, now.Add(2*ttl)); live {
			t.Error("Heartbeat at the new expiry: got live, want lost")
		}
		checkInvariants(t, l)
		checkState(t, l, 0, 0)
	})
}

func TestManyHeartbeatsThenExpiry(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	now := time.Unix(1_700_000_000, 0)
	const n = 50
	for i := range n {
		if _, err := l.Acquire(t.Context(), coditect.AcquireParams{LicenseID: "lic", SessionID: sessionID(i), TTL: ttl, Limit: n, Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	// Every tenth of a TTL, heartbeat the even sessions; the odd ones expire
	// at now+ttl while the even ones' keys keep coming due.
	step := ttl / 10
	last := now
	for k := 1; k <= 100; k++ {
		last = now.Add(time.Duration(k) * step)
		want := n / 2
		if last.Before(now.Add(ttl)) {
			want = n
		}
		checkCount(t, l, "lic", last, want)
		for i := 0; i < n; i += 2 {
			if _, live := heartbeatFor(t, l, "lic", sessionID(i), ttl, last); !live {
				t.Fatalf("heartbeat %d of %s: got lost, want live", k, sessionID(i))
			}
		}
	}
	checkCount(t, l, "lic", last.Add(ttl-time.Nanosecond), n/2)
	checkCount(t, l, "lic", last.Add(ttl), 0)
	checkState(t, l, 0, 0)
}

func TestRefusalReportsRealEarliestExpiry(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 0)
	const n = 20
	for i := range n {
		if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: sessionID(i), TTL: ttl, Limit: n, Now: now.Add(time.Duration(i) * time.Second)}); err != nil {
			t.Fatal(err)
		}
	}
	// Extend the first half: their keys, the smallest, are now all stale.
	later := now.Add(30 * time.Second)
	for i := range n / 2 {
		heartbeatFor(t, l, "lic", sessionID(i), ttl, later)
	}
	res, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: "newcomer", TTL: ttl, Limit: n, Now: later})
	if want := now.Add(n/2*time.Second + ttl); err != nil || res.Granted || !res.EarliestExpiry.Equal(want) {
		t.Errorf("Acquire when full: got %+v, error %v, want refused with EarliestExpiry %v", res, err, want)
	}
	checkInvariants(t, l)
}

func TestShorterTTLMovesLeaseForward(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 0)
	for i, d := range []time.Duration{10 * time.Minute, 5 * time.Minute} {
		if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: sessionID(i), TTL: d, Limit: 2, Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	// s0's expiry drops from now+10m to now+1m, before s1's.
	if exp, live := heartbeatFor(t, l, "lic", sessionID(0), time.Minute, now); !live || !exp.Equal(now.Add(time.Minute)) {
		t.Fatalf("Heartbeat: got %v, %t, want %v, true", exp, live, now.Add(time.Minute))
	}
	res, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: sessionID(2), TTL: ttl, Limit: 2, Now: now})
	if err != nil || res.Granted || !res.EarliestExpiry.Equal(now.Add(time.Minute)) {
		t.Errorf("Acquire when full: got %+v, error %v, want refused with EarliestExpiry %v", res, err, now.Add(time.Minute))
	}
	checkCount(t, l, "lic", now.Add(time.Minute), 1)
	if _, ok, _ := l.Lookup(ctx, "lic", sessionID(0), now.Add(time.Minute)); ok {
		t.Error("Lookup(s0) at its shortened expiry: got live, want expired")
	}
}

func TestSessionIDsThatAreNotUUIDs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 0)
	lower := "0190a8c4-7b3e-7d1a-9f00-00000000abcd"
	ids := []string{
		lower,
		strings.ToUpper(lower),                 // same value, another string
		"0190a8c4-7b3e-7d1a-9f00-00000000abcg", // 36 characters, not hex
		"0190a8c4x7b3e-7d1a-9f00-00000000abcd", // a hyphen missing
		"{0190a8c4-7b3e-7d1a-9f00-00000000abcd}",
		"00000000-0000-0000-0000-000000000000",
		"session-1",
	}
	t.Run("EachIsItsOwnSession", func(t *testing.T) {
		t.Parallel()
		l := memory.NewLedger()
		for i, id := range ids {
			res, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: id, TTL: ttl, Limit: len(ids), Now: now})
			if err != nil || !res.Granted || res.Renewed || res.InUse != i+1 {
				t.Fatalf("Acquire(%q): got %+v, error %v, want a new grant, InUse %d", id, res, err, i+1)
			}
		}
		checkInvariants(t, l)
		for _, id := range ids {
			if _, live := heartbeatFor(t, l, "lic", id, ttl, now.Add(time.Second)); !live {
				t.Errorf("Heartbeat(%q): got lost, want live", id)
			}
		}
		for i, id := range ids {
			if err := l.Release(ctx, "lic", id); err != nil {
				t.Fatal(err)
			}
			for _, other := range ids[i+1:] {
				if _, ok, _ := l.Lookup(ctx, "lic", other, now); !ok {
					t.Errorf("Lookup(%q) after releasing %q: got not live, want live", other, id)
				}
			}
			checkInvariants(t, l)
		}
		checkState(t, l, 0, 0)
	})
	t.Run("SameIDOnLicensesOfOneShard", func(t *testing.T) {
		t.Parallel()
		l := memory.NewLedger()
		a, b := sameShard(l, "lic-%d")
		for _, lic := range []string{a, b} {
			for _, id := range ids {
				acquire(t, l, lic, id, now)
			}
		}
		for _, id := range ids {
			if err := l.Release(ctx, a, id); err != nil {
				t.Fatal(err)
			}
			if exp, ok, _ := l.Lookup(ctx, b, id, now); !ok || !exp.Equal(now.Add(ttl)) {
				t.Errorf("Lookup(%s, %q) after releasing it on %s: got %v, %t, want %v, true", b, id, a, exp, ok, now.Add(ttl))
			}
			checkInvariants(t, l)
		}
		checkState(t, l, 1, len(ids))
		checkCount(t, l, b, now.Add(ttl), 0)
		checkState(t, l, 0, 0)
	})
}

// sameShard returns two license IDs made by format from an integer that
// share a shard.
func sameShard(l *memory.Ledger, format string) (string, string) {
	seen := make(map[int]string)
	for i := 0; ; i++ {
		id := fmt.Sprintf(format, i)
		if other, ok := seen[l.ShardOf(id)]; ok {
			return other, id
		}
		seen[l.ShardOf(id)] = id
	}
}

func TestTableGrowsAndShrinks(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 0)
	const n = 5000
	for i := range n {
		if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: sessionID(i), TTL: time.Duration(1+i%97) * time.Second, Limit: n, Now: now}); err != nil {
			t.Fatal(err)
		}
	}
	checkInvariants(t, l)
	if got := l.TableSlots(); got < n*4/3 || got > 4*n {
		t.Errorf("TableSlots with %d leases: got %d, want between %d and %d", n, got, n*4/3, 4*n)
	}
	for i := 0; i < n; i += 2 {
		if err := l.Release(ctx, "lic", sessionID(i)); err != nil {
			t.Fatal(err)
		}
	}
	checkInvariants(t, l)
	want := 0
	for i := 1; i < n; i += 2 {
		if 1+i%97 > 48 {
			want++
		}
	}
	checkCount(t, l, "lic", now.Add(48*time.Second), want)
	checkCount(t, l, "lic", now.Add(97*time.Second), 0)
	if got := l.TableSlots(); got != 0 {
		t.Errorf("TableSlots once empty: got %d, want 0", got)
	}
	checkState(t, l, 0, 0)
}

func TestManyLicenses(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 0)
	const n = 6000
	lics := make([]string, n)
	for i := range lics {
		switch i % 3 {
		case 0:
			lics[i] = fmt.Sprintf("0190a8c4-7b3e-7d1a-9f00-%012x", i)
		case 1:
			lics[i] = fmt.Sprintf("license-%d", i)
		case 2:
			lics[i] = fmt.Sprintf("a license ID longer than 16 bytes, %d", i)
		}
		acquire(t, l, lics[i], sessionID(i), now.Add(time.Duration(i%3)*time.Second))
		acquire(t, l, lics[i], fmt.Sprintf("s%d", i), now)
	}
	checkInvariants(t, l)
	checkState(t, l, n, 2*n)
	for i, lic := range lics {
		if i%4 == 0 {
			if err := l.Release(ctx, lic, fmt.Sprintf("s%d", i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// At now+ttl only the leases acquired a second or two later are live.
	if got, want := l.Prune(now.Add(ttl)), 2*n-n/4-n*2/3; got != want {
		t.Errorf("Prune: got %d, want %d", got, want)
	}
	checkInvariants(t, l)
	checkState(t, l, n*2/3, n*2/3)
	for i, lic := range lics {
		if exp, ok, _ := l.Lookup(ctx, lic, sessionID(i), now.Add(ttl)); ok != (i%3 != 0) || ok && !exp.Equal(now.Add(ttl+time.Duration(i%3)*time.Second)) {
			t.Fatalf("Lookup(%s): got %v, %t", lic, exp, ok)
		}
	}
	l.Prune(now.Add(ttl + 2*time.Second))
	checkInvariants(t, l)
	checkState(t, l, 0, 0)
}

// inOneShard returns n license IDs made by format from an integer that
// share a shard.
func inOneShard(l *memory.Ledger, format string, n int) []string {
	byShard := make(map[int][]string)
	for i := 0; ; i++ {
		id := fmt.Sprintf(format, i)
		shard := l.ShardOf(id)
		if byShard[shard] = append(byShard[shard], id); len(byShard[shard]) == n {
			return byShard[shard]
		}
	}
}

// TestLicenseChurnInOneShard adds and removes licenses in one shard, which
// leaves tombstones in its license index and makes it rebuild, grow and
// shrink, while other licenses of the shard keep their leases.
func TestLicenseChurnInOneShard(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 0)
	lics := inOneShard(l, "license-%d", 200)
	// These outlive every Prune below.
	keep := lics[:5]
	for i, lic := range keep {
		acquire(t, l, lic, sessionID(i), now.Add(time.Hour))
		acquire(t, l, lic, fmt.Sprintf("s%d", i), now.Add(time.Hour))
	}
	checkSurvivors := func() {
		t.Helper()
		checkInvariants(t, l)
		for i, lic := range keep {
			for _, sess := range []string{sessionID(i), fmt.Sprintf("s%d", i)} {
				if _, ok, _ := l.Lookup(ctx, lic, sess, now); !ok {
					t.Fatalf("Lookup(%s, %s): got not live, want live", lic, sess)
				}
			}
		}
	}
	// One at a time: tombstones pile up and the index rebuilds in place.
	for _, lic := range lics[5:100] {
		acquire(t, l, lic, "s", now)
		if err := l.Release(ctx, lic, "s"); err != nil {
			t.Fatal(err)
		}
		checkSurvivors()
	}
	// Many at once: the index grows, then shrinks as they expire.
	for i, lic := range lics[100:] {
		acquire(t, l, lic, sessionID(1000+i), now.Add(time.Duration(i)*time.Second))
		checkSurvivors()
	}
	checkState(t, l, 105, 110)
	grown := l.LicenseEntries()
	for i := range lics[100:] {
		l.Prune(now.Add(ttl + time.Duration(i)*time.Second))
		checkSurvivors()
	}
	checkState(t, l, 5, 10)
	// Down to 5 licenses, the index is at most 5*16 entries again.
	if got := l.LicenseEntries(); got >= grown || got > 5*16 {
		t.Errorf("LicenseEntries: got %d, want fewer than %d and at most %d", got, grown, 5*16)
	}
}

// TestSessionIDOnLicensesOfOneShard holds one session ID that is not a UUID
// on several licenses of a shard, which chains its numbers, and removes it
// from the middle, the ends and across a rebuild of the license index.
func TestSessionIDOnLicensesOfOneShard(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	ctx := t.Context()
	now := time.Unix(1_700_000_000, 0)
	lics := inOneShard(l, "license-%d", 40)
	for _, lic := range lics[:5] {
		acquire(t, l, lic, "s", now)
	}
	checkInvariants(t, l)
	held := map[string]bool{lics[0]: true, lics[1]: true, lics[2]: true, lics[3]: true, lics[4]: true}
	release := func(lic string) {
		t.Helper()
		if err := l.Release(ctx, lic, "s"); err != nil {
			t.Fatal(err)
		}
		delete(held, lic)
		checkInvariants(t, l)
		for _, other := range lics[:5] {
			if _, ok, _ := l.Lookup(ctx, other, "s", now); ok != held[other] {
				t.Fatalf("Lookup(%s, s) after releasing it on %s: got %t, want %t", other, lic, ok, held[other])
			}
		}
	}
	release(lics[2]) // the middle of the chain
	release(lics[4]) // its head: the last added
	release(lics[0]) // its tail
	// More licenses make the index grow: it moves the licenses still held.
	for _, lic := range lics[5:] {
		acquire(t, l, lic, "s", now)
	}
	checkInvariants(t, l)
	release(lics[1])
	release(lics[3])
	checkState(t, l, len(lics)-5, len(lics)-5)
}

func TestLicenseIDsAreComparedExactly(t *testing.T) {
	t.Parallel()
	l := memory.NewLedger()
	now := time.Unix(1_700_000_000, 0)
	ids := []string{
		"x", "x\x00", "\x00", "123456789012345", "1234567890123456", "12345678901234567",
		"0190a8c4-7b3e-7d1a-9f00-00000000abcd", "0190A8C4-7B3E-7D1A-9F00-00000000ABCD",
		"0190a8c4-7b3e-7d1a-9f00-00000000abcd\x00",
	}
	for _, id := range ids {
		res, err := l.Acquire(t.Context(), coditect.AcquireParams{LicenseID: id, SessionID: "s", TTL: ttl, Limit: 1, Now: now})
		if err != nil || !res.Granted || res.Renewed || res.InUse != 1 {
			t.Errorf("Acquire on license %q: got %+v, error %v, want a new grant, InUse 1", id, res, err)
		}
	}
	checkInvariants(t, l)
	checkState(t, l, len(ids), len(ids))
	for _, id := range ids {
		if err := l.Release(t.Context(), id, "s"); err != nil {
			t.Fatal(err)
		}
	}
	checkInvariants(t, l)
	checkState(t, l, 0, 0)
}

// TestRandomOperationsKeepInvariants runs random calls over licenses that
// share a shard, with UUID and other session IDs, TTLs that grow and
// shrink, restores and prunes, and checks every answer against a model and
// the ledger's internal bookkeeping after every call.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	t.Parallel()
	for run := range 4 {
		t.Run(fmt.Sprint(run), func(t *testing.T) {
			t.Parallel()
			seed := rand.Uint64()
			t.Cleanup(func() {
				if t.Failed() {
					t.Logf("seed: %d", seed)
				}
			})
			randomOperations(t, rand.New(rand.NewPCG(seed, seed)))
		})
	}
}

func randomOperations(t *testing.T, r *rand.Rand) {
	const (
		ops  = 4000
		step = time.Second
	)
	l := memory.NewLedger()
	ctx := t.Context()
	a, b := sameShard(l, "lic-%d")
	c, d := sameShard(l, "0190a8c4-7b3e-7d1a-9f00-%012x")
	lics := []string{a, b, c, d, strings.ToUpper(c)}
	var sessions []string
	for i := range 40 {
		sessions = append(sessions, fmt.Sprintf("0190a8c4-7b3e-7d1a-9f00-%012x", i))
	}
	for i := range 8 {
		sessions = append(sessions, strings.ToUpper(sessions[i]), fmt.Sprintf("s%d", i))
	}
	model := make(map[string]map[string]time.Time)
	for _, lic := range lics {
		model[lic] = make(map[string]time.Time)
	}
	dropExpired := func(lic string, now time.Time) {
		for s, exp := range model[lic] {
			if !exp.After(now) {
				delete(model[lic], s)
			}
		}
	}
	now := time.Unix(1_700_000_000, 0)
	for op := range ops {
		now = now.Add(time.Duration(r.IntN(3)) * step)
		lic, sess := lics[r.IntN(len(lics))], sessions[r.IntN(len(sessions))]
		dropExpired(lic, now)
		leases := model[lic]
		d := time.Duration(1+r.IntN(12)) * step
		switch r.IntN(12) {
		case 0, 1, 2:
			limit := 1 + r.IntN(30)
			got, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: lic, SessionID: sess, TTL: d, Limit: limit, Now: now})
			want := coditect.AcquireResult{Granted: true, ExpiresAt: now.Add(d)}
			if _, ok := leases[sess]; ok {
				want.Renewed = true
			} else if len(leases) >= limit {
				want = coditect.AcquireResult{}
				for _, exp := range leases {
					if want.EarliestExpiry.IsZero() || exp.Before(want.EarliestExpiry) {
						want.EarliestExpiry = exp
					}
				}
			}
			if want.Granted {
				leases[sess] = want.ExpiresAt
			}
			want.InUse = len(leases)
			if err != nil || got.Granted != want.Granted || got.Renewed != want.Renewed || got.InUse != want.InUse ||
				!got.ExpiresAt.Equal(want.ExpiresAt) && want.Granted || !got.EarliestExpiry.Equal(want.EarliestExpiry) {
				t.Fatalf("op %d: Acquire(%s, %s, limit %d): got %+v, error %v, want %+v", op, lic, sess, limit, got, err, want)
			}
		case 3, 4, 5:
			exp, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: lic, SessionID: sess, TTL: d, Now: now})
			_, wantLive := leases[sess]
			if wantLive {
				leases[sess] = now.Add(d)
			}
			if err != nil || live != wantLive || live && !exp.Equal(now.Add(d)) {
				t.Fatalf("op %d: Heartbeat(%s, %s): got %v, %t, error %v, want %v, %t", op, lic, sess, exp, live, err, now.Add(d), wantLive)
			}
		case 6:
			if err := l.Release(ctx, lic, sess); err != nil {
				t.Fatalf("op %d: Release: got error %v", op, err)
			}
			delete(leases, sess)
		case 7:
			if got, err := l.Count(ctx, lic, now); err != nil || got != len(leases) {
				t.Fatalf("op %d: Count(%s): got %d, error %v, want %d", op, lic, got, err, len(leases))
			}
		case 8, 9:
			exp, ok, err := l.Lookup(ctx, lic, sess, now)
			want, wantOK := leases[sess]
			if err != nil || ok != wantOK || ok && !exp.Equal(want) {
				t.Fatalf("op %d: Lookup(%s, %s): got %v, %t, error %v, want %v, %t", op, lic, sess, exp, ok, err, want, wantOK)
			}
		case 10:
			var restored []coditect.Lease
			for range 1 + r.IntN(4) {
				s, exp := sessions[r.IntN(len(sessions))], now.Add(time.Duration(r.IntN(10)-2)*step)
				restored = append(restored, coditect.Lease{SessionID: s, ExpiresAt: exp})
				if exp.After(now) && exp.After(leases[s]) {
					leases[s] = exp
				}
			}
			if err := l.Restore(ctx, lic, restored, now); err != nil {
				t.Fatalf("op %d: Restore: got error %v", op, err)
			}
		case 11:
			l.Prune(now)
			live := 0
			for _, other := range lics {
				dropExpired(other, now)
				live += len(model[other])
			}
			if got := l.Len(); got != live {
				t.Fatalf("op %d: Len after Prune: got %d, want %d", op, got, live)
			}
		}
		if err := l.CheckInvariants(); err != nil {
			t.Fatalf("op %d: invariants: %v", op, err)
		}
	}
}
