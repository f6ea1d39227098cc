package sqlite

import (
	"database/sql"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

// filterKey is the i-th of a family of distinct keys; families never share
// a key, so keys of one are certainly absent from a filter of another's.
func filterKey(family string, i int) [4]string {
	s := strconv.Itoa(i)
	return [4]string{"tenant-" + s[len(s)/2:], "license-" + family, "fp-" + s, "instance-" + s}
}

func TestInstanceFilter(t *testing.T) {
	t.Parallel()

	// At the design load, every key added is found and about 1 % of keys
	// never added are reported as maybe present. The rate depends on the
	// keys per bit only, so a filter 1/16 of the store's, loaded with 1/16
	// of the keys, shows it at a sixteenth of the cost.
	t.Run("NoFalseNegativesAndDesignFalsePositiveRate", func(t *testing.T) {
		t.Parallel()
		const added, absent = 1_750_000 / 16, 100_000
		f := newInstanceFilter(filterLog2Bits - 4)
		for i := range added {
			k := filterKey("added", i)
			f.add(k[0], k[1], k[2], k[3])
		}
		for i := range added {
			if k := filterKey("added", i); !f.mayContain(k[0], k[1], k[2], k[3]) {
				t.Fatalf("key %d added: got absent, want maybe present", i)
			}
		}
		fp := 0
		for i := range absent {
			if k := filterKey("absent", i); f.mayContain(k[0], k[1], k[2], k[3]) {
				fp++
			}
		}
		// Binomial with p = 1 %, n = 100,000: a standard deviation is 0.03
		// percentage points, so 0.7..1.4 % fails only if the filter is off.
		rate := float64(fp) / absent
		if want := designRate(added*16, filterLog2Bits); rate < 0.7*want || rate > 1.4*want {
			t.Errorf("false positives: got %.3f %%, want about %.3f %%", 100*rate, 100*want)
		}
	})

	t.Run("EmptyFilterHoldsNothing", func(t *testing.T) {
		t.Parallel()
		f := newInstanceFilter(filterLog2Bits)
		for i := range 10_000 {
			if k := filterKey("absent", i); f.mayContain(k[0], k[1], k[2], k[3]) {
				t.Fatalf("key %d: got maybe present in an empty filter, want absent", i)
			}
		}
	})

	// The separator keeps the parts apart: moving a character from one
	// part to the next makes another key.
	t.Run("PartsAreSeparated", func(t *testing.T) {
		t.Parallel()
		f := newInstanceFilter(filterLog2Bits)
		f.add("ab", "c", "d", "e")
		for _, k := range [][4]string{{"a", "bc", "d", "e"}, {"ab", "", "cd", "e"}, {"ab", "c", "", "de"}, {"abcde", "", "", ""}} {
			if f.mayContain(k[0], k[1], k[2], k[3]) {
				t.Errorf("%q: got maybe present, want absent (only %q was added)", k, [4]string{"ab", "c", "d", "e"})
			}
		}
	})

	// Goroutines adding and at once looking up their own keys always find
	// them, while others set bits in the same words; -race checks the
	// accesses.
	t.Run("ConcurrentAddsAreSeenAtOnce", func(t *testing.T) {
		t.Parallel()
		// A small filter, so that the goroutines share its words.
		f := newInstanceFilter(16)
		const goroutines, each = 32, 500
		var wg sync.WaitGroup
		errs := make(chan string, goroutines)
		for g := range goroutines {
			wg.Go(func() {
				for i := range each {
					k := filterKey("g"+strconv.Itoa(g), i)
					f.add(k[0], k[1], k[2], k[3])
					if !f.mayContain(k[0], k[1], k[2], k[3]) {
						errs <- fmt.Sprintf("goroutine %d, key %d: got absent right after adding it, want maybe present", g, i)
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
		for g := range goroutines {
			for i := range each {
				if k := filterKey("g"+strconv.Itoa(g), i); !f.mayContain(k[0], k[1], k[2], k[3]) {
					t.Fatalf("goroutine %d, key %d: got absent after all adds, want maybe present", g, i)
				}
			}
		}
	})
}

// designRate is the expected false-positive rate of a filter of 2^log2Bits
// bits after n keys, (1 - e^(-kn/m))^k.
func designRate(n int, log2Bits uint) float64 {
	return math.Pow(1-math.Exp(-filterProbes*float64(n)/float64(uint64(1)<<log2Bits)), filterProbes)
}

func TestInstanceFilterDesignRate(t *testing.T) {
	t.Parallel()
	// The sizing the doc comment of filterLog2Bits promises.
	for _, tc := range []struct {
		keys     int
		min, max float64
	}{{1_000_000, 0, 0.001}, {1_750_000, 0.009, 0.011}, {2_000_000, 0.015, 0.02}} {
		if got := designRate(tc.keys, filterLog2Bits); got < tc.min || got > tc.max {
			t.Errorf("%d keys: got a false-positive rate of %.4f, want %.4f..%.4f", tc.keys, got, tc.min, tc.max)
		}
	}
}

// A miss in the filter answers without touching the database: with the
// read pool closed, a key never added is still CodeNotFound, with the same
// message as a query that found no row, while a key that may be present
// has to query and fails.
func TestFindActiveSessionMissesWithoutAQuery(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	tenant, license := seedInternal(t, s)
	now := time.Now()
	sess := &coditect.Session{
		ID: "s-1", TenantID: tenant, LicenseID: license, Fingerprint: "fp", InstanceID: "i-1",
		StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
	}
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	_, queried := s.FindActiveSession(t.Context(), tenant, license, "fp", "i-unknown")
	if got := coditect.ErrorCode(queried); got != coditect.CodeNotFound {
		t.Fatalf("unknown instance, read pool open: got %v, want %s", queried, coditect.CodeNotFound)
	}

	if err := s.read.Close(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, instance string }{
		{"unknown instance", "i-unknown"},
		{"empty instance", ""},
	} {
		_, err := s.FindActiveSession(t.Context(), tenant, license, "fp", tc.instance)
		if got := coditect.ErrorCode(err); got != coditect.CodeNotFound {
			t.Errorf("%s, read pool closed: got %v, want %s", tc.name, err, coditect.CodeNotFound)
		}
		if err != nil && err.Error() != queried.Error() {
			t.Errorf("%s, read pool closed: got message %q, want %q as from a query", tc.name, err, queried)
		}
	}
	_, err := s.FindActiveSession(t.Context(), tenant, license, "fp", "i-1")
	if err == nil || !strings.Contains(err.Error(), "database is closed") {
		t.Errorf("known instance, read pool closed: got %v, want the closed pool's error", err)
	}
}

// The Open scan adds the key of every active session with an instance ID,
// over several pages, and none of the others: ended sessions and sessions
// without an instance ID cannot be found, so the filter need not hold them.
func TestLoadInstanceFilterPagesThroughActiveInstances(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	tenant, license := seedInternal(t, s)
	other, otherLicense := seedInternal(t, s)

	// Written straight into the file, as by a previous run of the server.
	// Pages of 7 over several tenants and fingerprints, so that page
	// boundaries fall inside runs of equal leading columns.
	const page, active = 7, 6*7 + 3
	type row struct {
		tenant, license, fingerprint, instance, status string
	}
	var rows []row
	for i := range active {
		tn, l := tenant, license
		if i%3 == 0 {
			tn, l = other, otherLicense
		}
		rows = append(rows, row{tn, l, "fp-" + strconv.Itoa(i%4), "i-" + strconv.Itoa(i), "active"})
	}
	ended := row{tenant, license, "fp-0", "i-ended", "ended"}
	noInstance := row{tenant, license, "fp-0", "", "active"}
	rows = append(rows, ended, noInstance)
	err := s.inTx(t.Context(), func(q *sqlcdb.Queries) error {
		for i, r := range rows {
			p := sqlcdb.CreateSessionParams{
				TenantID: r.tenant, ID: "s-" + strconv.Itoa(i), LicenseID: r.license, Fingerprint: r.fingerprint,
				InstanceID: r.instance, Metadata: "{}", Status: r.status, StartedAt: 1, LastHeartbeatAt: 1, ExpiresAt: 2,
			}
			if r.status == "ended" {
				p.EndedAt = sql.NullInt64{Int64: 2, Valid: true}
				p.EndReason = sql.NullString{String: "released", Valid: true}
			}
			if err := q.CreateSession(t.Context(), p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	for _, n := range []int{page, active, filterPage} { // several pages, one full page and an empty one, one page
		f := newInstanceFilter(filterLog2Bits)
		if err := loadInstanceFilter(t.Context(), s.read, f, n); err != nil {
			t.Fatalf("pages of %d: got error %v, want none", n, err)
		}
		for _, r := range rows[:active] {
			if !f.mayContain(r.tenant, r.license, r.fingerprint, r.instance) {
				t.Fatalf("pages of %d: active session %v: got absent, want present", n, r)
			}
		}
		for name, r := range map[string]row{"ended": ended, "without an instance": noInstance} {
			if f.mayContain(r.tenant, r.license, r.fingerprint, r.instance) {
				t.Errorf("pages of %d: session %s: got maybe present, want absent", n, name)
			}
		}
	}
}

// The Open scan reads only the partial index of active instances, never
// the table with its ended history.
func TestActiveInstanceKeysReadsOnlyTheIndex(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+activeInstanceKeys, "", "", "", "", filterPage)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(plan, "; ")
	if !strings.Contains(got, "USING COVERING INDEX sessions_active_instance") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("got plan %q, want a search of the covering index sessions_active_instance and no sort", got)
	}
}

// seedInternal creates a tenant and a license of it and returns their IDs.
func seedInternal(t *testing.T, s *Store) (tenantID, licenseID string) {
	t.Helper()
	tenantID, licenseID = uuid.NewString(), uuid.NewString()
	now := time.Now()
	if err := s.CreateTenant(t.Context(), &coditect.Tenant{ID: tenantID, Name: "Acme", CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	l := &coditect.License{
		ID: licenseID, TenantID: tenantID, Name: "Studio", Seats: 10, LeaseTTLSeconds: 360,
		HeartbeatIntervalSeconds: 120, OfflineGraceSeconds: 3600, KeyDigest: licenseID, KeyPrefix: "cl_abc",
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.CreateLicense(t.Context(), l); err != nil {
		t.Fatal(err)
	}
	return tenantID, licenseID
}

// After enough adds the store swaps its filter for one of the sessions
// active at that time: ended sessions drop out, active ones stay, also
// those created while the rebuild ran.
func TestInstanceFilterIsRebuiltFromActiveSessions(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	s.instances.after = 40
	tenant, license := seedInternal(t, s)
	now := time.Now()
	create := func(i int) *coditect.Session {
		sess := &coditect.Session{
			ID: fmt.Sprintf("s-%d", i), TenantID: tenant, LicenseID: license, Fingerprint: "fp", InstanceID: fmt.Sprintf("i-%d", i),
			StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
		}
		if err := s.CreateSession(t.Context(), sess); err != nil {
			t.Fatal(err)
		}
		return sess
	}
	// 30 sessions, 25 of them ended: not yet enough adds for a rebuild.
	for i := range 30 {
		sess := create(i)
		if i >= 5 {
			if _, err := s.EndSession(t.Context(), tenant, sess.ID, coditect.EndReleased, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	first := s.instances.cur.Load()
	// Ten more cross the threshold and start the rebuild.
	for i := 30; i < 40; i++ {
		create(i)
	}
	deadline := time.Now().Add(10 * time.Second)
	for s.instances.cur.Load() == first || s.instances.rebuilding.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the filter was not rebuilt within 10s of crossing the threshold")
		}
		time.Sleep(10 * time.Millisecond)
	}
	for i := range 40 {
		k := fmt.Sprintf("i-%d", i)
		active := i < 5 || i >= 30
		if got := s.instances.mayContain(tenant, license, "fp", k); active && !got {
			t.Errorf("%s (active): not in the rebuilt filter", k)
		} else if !active && got {
			t.Errorf("%s (ended before the rebuild): still in the rebuilt filter", k)
		}
		_, err := s.FindActiveSession(t.Context(), tenant, license, "fp", k)
		if active && err != nil {
			t.Errorf("%s (active): FindActiveSession got %v, want the session", k, err)
		}
	}
}

// Creates that race rebuilds, many of them, never lose a key: each session
// is found right after it was created.
func TestInstanceFilterRebuildsUnderConcurrentCreates(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	s.instances.after = 16
	tenant, license := seedInternal(t, s)
	now := time.Now()
	first := s.instances.cur.Load()
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			for i := range 25 {
				k := fmt.Sprintf("w%d-%d", w, i)
				sess := &coditect.Session{
					ID: "s-" + k, TenantID: tenant, LicenseID: license, Fingerprint: "fp", InstanceID: k,
					StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
				}
				if err := s.CreateSession(t.Context(), sess); err != nil {
					t.Error(err)
					return
				}
				for _, j := range []int{i, i / 2} { // its own and an older one, maybe from before a swap
					k := fmt.Sprintf("w%d-%d", w, j)
					if _, err := s.FindActiveSession(t.Context(), tenant, license, "fp", k); err != nil {
						t.Errorf("session %s right after it was created: %v", k, err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	if s.instances.cur.Load() == first {
		t.Error("no rebuild happened: the test did not test the race")
	}
}

// openTemp opens a store on a new file that the test removes.
func openTemp(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "coditect.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
