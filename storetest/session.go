package storetest

import (
	"context"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// storedSession is what a store gives back for sess.
func storedSession(sess *coditect.Session) *coditect.Session {
	w := *sess
	w.StartedAt = stored(sess.StartedAt)
	w.LastHeartbeatAt = stored(sess.LastHeartbeatAt)
	w.ExpiresAt = stored(sess.ExpiresAt)
	w.EndedAt = storedPtr(sess.EndedAt)
	return &w
}

// fixture is a tenant with one license, the parent of most session tests.
type fixture struct {
	tenant  *coditect.Tenant
	license *coditect.License
}

func newFixture(t *testing.T, s coditect.Store) fixture {
	t.Helper()
	tn := createTenant(t, s)
	return fixture{tenant: tn, license: createLicense(t, s, tn.ID)}
}

func (f fixture) session(t *testing.T, s coditect.Store, edit ...func(*coditect.Session)) *coditect.Session {
	t.Helper()
	return createSession(t, s, f.tenant.ID, f.license.ID, edit...)
}

func (f fixture) end(t *testing.T, s coditect.Store, id string) {
	t.Helper()
	changed, err := s.EndSession(t.Context(), f.tenant.ID, id, coditect.EndReleased, base.Add(time.Minute))
	noError(t, err)
	if !changed {
		t.Fatalf("ending session %s: got changed false, want true", id)
	}
}

func instance(id string) func(*coditect.Session) {
	return func(s *coditect.Session) { s.InstanceID = id }
}

func expiring(at time.Time) func(*coditect.Session) {
	return func(s *coditect.Session) { s.ExpiresAt = at }
}

func testSessions(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	t.Run("RoundTripsEveryField", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		sess := f.session(t, s, func(x *coditect.Session) {
			x.InstanceID = "instance-1"
			x.User = "ana"
			x.Hostname = "ws-17.example.com"
			x.ClientName = "coditect-cli"
			x.ClientVersion = "1.4.2"
			x.IP = "2001:db8::7"
			x.Metadata = map[string]any{"os": "linux", "cores": float64(16), "tags": []any{"ci"}}
			x.StartedAt = base
			x.LastHeartbeatAt = base.Add(90 * time.Second)
			x.ExpiresAt = base.Add(7 * time.Minute)
		})
		got, err := s.GetSession(t.Context(), f.tenant.ID, sess.ID)
		noError(t, err)
		if want := storedSession(sess); !reflect.DeepEqual(got, want) {
			t.Errorf("got %s, want %s", show(got), show(want))
		}
	})

	t.Run("EmptyStatusIsActive", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		sess := f.session(t, s, func(x *coditect.Session) { x.Status = ""; x.Metadata = nil })
		got, err := s.GetSession(t.Context(), f.tenant.ID, sess.ID)
		noError(t, err)
		if got.Status != coditect.SessionActive {
			t.Errorf("got status %q, want %q", got.Status, coditect.SessionActive)
		}
		if got.Metadata == nil || len(got.Metadata) != 0 {
			t.Errorf("got metadata %#v, want an empty non-nil map", got.Metadata)
		}
	})

	t.Run("AnotherTenantsLicenseIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		other := createTenant(t, s)
		err := s.CreateSession(t.Context(), newSession(other.ID, f.license.ID))
		wantCode(t, err, coditect.CodeNotFound)
		err = s.CreateSession(t.Context(), newSession(f.tenant.ID, newID()))
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("DuplicateIDIsConflict", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		sess := f.session(t, s)
		dup := newSession(f.tenant.ID, f.license.ID, func(x *coditect.Session) { x.ID = sess.ID })
		wantCode(t, s.CreateSession(t.Context(), dup), coditect.CodeConflict)
	})

	t.Run("GetIsTenantScoped", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		other := createTenant(t, s)
		sess := f.session(t, s)
		_, err := s.GetSession(t.Context(), other.ID, sess.ID)
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.GetSession(t.Context(), f.tenant.ID, newID())
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("FindActive", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		sess := f.session(t, s, instance("i-1"))
		f.session(t, s, instance("i-2"), func(x *coditect.Session) { x.Fingerprint = sess.Fingerprint })

		got, err := s.FindActiveSession(t.Context(), f.tenant.ID, f.license.ID, sess.Fingerprint, "i-1")
		noError(t, err)
		if want := storedSession(sess); !reflect.DeepEqual(got, want) {
			t.Errorf("got %s, want %s", show(got), show(want))
		}
		for _, tc := range []struct{ name, tenant, license, fingerprint, instance string }{
			{"other instance", f.tenant.ID, f.license.ID, sess.Fingerprint, "i-3"},
			{"other fingerprint", f.tenant.ID, f.license.ID, "fp-other", "i-1"},
			{"other license", f.tenant.ID, newID(), sess.Fingerprint, "i-1"},
			{"other tenant", newID(), f.license.ID, sess.Fingerprint, "i-1"},
		} {
			_, err := s.FindActiveSession(t.Context(), tc.tenant, tc.license, tc.fingerprint, tc.instance)
			if got := coditect.ErrorCode(err); got != coditect.CodeNotFound {
				t.Errorf("%s: got error code %q, want %q", tc.name, got, coditect.CodeNotFound)
			}
		}

		f.end(t, s, sess.ID)
		_, err = s.FindActiveSession(t.Context(), f.tenant.ID, f.license.ID, sess.Fingerprint, "i-1")
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("ActiveInstanceIsUnique", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		first := f.session(t, s, instance("i-1"))
		same := func(x *coditect.Session) { x.Fingerprint = first.Fingerprint; x.InstanceID = "i-1" }

		err := s.CreateSession(t.Context(), newSession(f.tenant.ID, f.license.ID, same))
		wantCode(t, err, coditect.CodeConflict)

		// Another fingerprint, instance or license is a different seat holder.
		f.session(t, s, instance("i-1"))
		f.session(t, s, same, instance("i-2"))
		other := createLicense(t, s, f.tenant.ID)
		createSession(t, s, f.tenant.ID, other.ID, same)

		// Once the first session ends, the instance may start a new one.
		f.end(t, s, first.ID)
		f.session(t, s, same)
	})

	t.Run("EmptyInstanceNeverConflicts", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		a := f.session(t, s)
		f.session(t, s, func(x *coditect.Session) { x.Fingerprint = a.Fingerprint })
		// An empty instance ID names no instance: nothing to find.
		_, err := s.FindActiveSession(t.Context(), f.tenant.ID, f.license.ID, a.Fingerprint, "")
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("ConcurrentSameInstanceOneWins", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				errs[i] = s.CreateSession(t.Context(), newSession(f.tenant.ID, f.license.ID, func(x *coditect.Session) {
					x.Fingerprint = "fp-shared"
					x.InstanceID = "i-shared"
				}))
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch coditect.ErrorCode(err) {
			case "":
				created++
			case coditect.CodeConflict:
			default:
				t.Errorf("got error %v, want none or conflict", err)
			}
		}
		if created != 1 {
			t.Errorf("got %d sessions created, want 1", created)
		}
	})

	t.Run("ListFiltersNewestFirst", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		l2 := createLicense(t, s, f.tenant.ID)
		a1 := f.session(t, s)
		e1 := f.session(t, s)
		b1 := createSession(t, s, f.tenant.ID, l2.ID)
		a2 := f.session(t, s)
		f.end(t, s, e1.ID)
		other := newFixture(t, s)
		other.session(t, s)

		for _, tc := range []struct {
			name   string
			filter coditect.SessionFilter
			want   []*coditect.Session
		}{
			{"all", coditect.SessionFilter{}, []*coditect.Session{a2, b1, e1, a1}},
			{"license", coditect.SessionFilter{LicenseID: f.license.ID}, []*coditect.Session{a2, e1, a1}},
			{"active", coditect.SessionFilter{Status: coditect.SessionActive}, []*coditect.Session{a2, b1, a1}},
			{"ended", coditect.SessionFilter{Status: coditect.SessionEnded}, []*coditect.Session{e1}},
			{"license and active", coditect.SessionFilter{LicenseID: f.license.ID, Status: coditect.SessionActive}, []*coditect.Session{a2, a1}},
			{"other license", coditect.SessionFilter{LicenseID: l2.ID}, []*coditect.Session{b1}},
			{"another tenant's license", coditect.SessionFilter{LicenseID: other.license.ID}, nil},
			{"after", coditect.SessionFilter{After: b1.ID}, []*coditect.Session{e1, a1}},
			{"license after", coditect.SessionFilter{LicenseID: f.license.ID, After: a2.ID, Limit: 1}, []*coditect.Session{e1}},
		} {
			ss, err := s.ListSessions(t.Context(), f.tenant.ID, tc.filter)
			noError(t, err)
			if got, want := sessionIDs(ss), sessionIDs(tc.want); !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, want)
			}
		}
	})

	t.Run("ListPagesExactlyOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		var want []string
		for range 8 {
			want = append(want, f.session(t, s).ID)
		}
		slices.Reverse(want)
		for _, licenseID := range []string{"", f.license.ID} {
			var got []string
			after := ""
			for page := 0; ; page++ {
				if page > 10 {
					t.Fatal("pagination does not end")
				}
				ss, err := s.ListSessions(t.Context(), f.tenant.ID, coditect.SessionFilter{LicenseID: licenseID, After: after, Limit: 3})
				noError(t, err)
				if len(ss) > 3 {
					t.Fatalf("got page of %d, want at most 3", len(ss))
				}
				if len(ss) == 0 {
					break
				}
				got = append(got, sessionIDs(ss)...)
				after = ss[len(ss)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Errorf("license filter %q: got IDs %v, want %v", licenseID, got, want)
			}
		}
	})

	t.Run("End", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		other := createTenant(t, s)
		sess := f.session(t, s)
		at := base.Add(3*time.Minute + 123456789)

		_, err := s.EndSession(t.Context(), other.ID, sess.ID, coditect.EndRevoked, at)
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.EndSession(t.Context(), f.tenant.ID, newID(), coditect.EndRevoked, at)
		wantCode(t, err, coditect.CodeNotFound)

		changed, err := s.EndSession(t.Context(), f.tenant.ID, sess.ID, coditect.EndRevoked, at)
		noError(t, err)
		if !changed {
			t.Errorf("first end: got changed false, want true")
		}
		want := storedSession(sess)
		want.Status = coditect.SessionEnded
		want.EndedAt = ptr(stored(at))
		want.EndReason = coditect.EndRevoked
		got, err := s.GetSession(t.Context(), f.tenant.ID, sess.ID)
		noError(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after end: got %s, want %s", show(got), show(want))
		}

		changed, err = s.EndSession(t.Context(), f.tenant.ID, sess.ID, coditect.EndExpired, at.Add(time.Hour))
		noError(t, err)
		if changed {
			t.Errorf("second end: got changed true, want false")
		}
		got, err = s.GetSession(t.Context(), f.tenant.ID, sess.ID)
		noError(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("after second end: got %s, want %s", show(got), show(want))
		}
	})

	t.Run("TouchBatch", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f := newFixture(t, s)
		other := newFixture(t, s)
		a := f.session(t, s)
		b := other.session(t, s)
		late := f.session(t, s, expiring(base.Add(time.Hour)))
		ended := f.session(t, s)
		f.end(t, s, ended.ID)

		hb := base.Add(2*time.Minute + 555)
		exp := base.Add(8 * time.Minute)
		noError(t, s.TouchSessions(t.Context(), []coditect.SessionTouch{
			{TenantID: f.tenant.ID, SessionID: a.ID, LastHeartbeatAt: hb, ExpiresAt: exp},
			{TenantID: other.tenant.ID, SessionID: b.ID, LastHeartbeatAt: hb, ExpiresAt: exp},
			{TenantID: f.tenant.ID, SessionID: late.ID, LastHeartbeatAt: hb, ExpiresAt: exp},
			{TenantID: f.tenant.ID, SessionID: ended.ID, LastHeartbeatAt: hb, ExpiresAt: exp},
			{TenantID: f.tenant.ID, SessionID: newID(), LastHeartbeatAt: hb, ExpiresAt: exp},
			// b's ID under the wrong tenant must not touch it a second time.
			{TenantID: f.tenant.ID, SessionID: b.ID, LastHeartbeatAt: hb.Add(time.Hour), ExpiresAt: exp.Add(time.Hour)},
		}))
		noError(t, s.TouchSessions(t.Context(), nil))

		check := func(tenantID string, sess *coditect.Session, wantHB, wantExp time.Time) {
			t.Helper()
			got, err := s.GetSession(t.Context(), tenantID, sess.ID)
			noError(t, err)
			if !got.LastHeartbeatAt.Equal(stored(wantHB)) || !got.ExpiresAt.Equal(stored(wantExp)) {
				t.Errorf("session %s: got heartbeat %v, expiry %v; want %v, %v",
					sess.ID, got.LastHeartbeatAt, got.ExpiresAt, stored(wantHB), stored(wantExp))
			}
		}
		check(f.tenant.ID, a, hb, exp)
		check(other.tenant.ID, b, hb, exp)
		check(f.tenant.ID, late, hb, late.ExpiresAt)
		check(f.tenant.ID, ended, ended.LastHeartbeatAt, ended.ExpiresAt)

		// A late batch carrying older values moves nothing backwards.
		noError(t, s.TouchSessions(t.Context(), []coditect.SessionTouch{
			{TenantID: f.tenant.ID, SessionID: a.ID, LastHeartbeatAt: base, ExpiresAt: base.Add(time.Minute)},
		}))
		check(f.tenant.ID, a, hb, exp)
	})

	t.Run("ListExpired", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		// Decades before every other test's times, so on a shared database
		// only this test's sessions (or earlier runs') are expired at now.
		now := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
		f, g := newFixture(t, s), newFixture(t, s)
		e3 := f.session(t, s, expiring(now.Add(-time.Hour)))
		e1 := g.session(t, s, expiring(now.Add(-3*time.Hour)))
		atNow := f.session(t, s, expiring(now))
		e2 := g.session(t, s, expiring(now.Add(-2*time.Hour)))
		f.session(t, s, expiring(now.Add(time.Millisecond)))
		gone := f.session(t, s, expiring(now.Add(-4*time.Hour)))
		f.end(t, s, gone.ID)
		// t.Context is already canceled when cleanups run.
		t.Cleanup(func() {
			for _, x := range []*coditect.Session{e1, e2, e3, atNow} {
				_, _ = s.EndSession(context.Background(), x.TenantID, x.ID, coditect.EndExpired, now)
			}
		})
		ours := func(ss []*coditect.Session) []string {
			var out []string
			for _, x := range ss {
				if x.TenantID == f.tenant.ID || x.TenantID == g.tenant.ID {
					out = append(out, x.ID)
				}
			}
			return out
		}

		all, err := s.ListExpiredSessions(t.Context(), now, 10_000)
		noError(t, err)
		if got, want := ours(all), sessionIDs([]*coditect.Session{e1, e2, e3, atNow}); !slices.Equal(got, want) {
			t.Errorf("got %v, want %v (oldest expiry first)", got, want)
		}
		for i, x := range all {
			if x.Status != coditect.SessionActive || x.ExpiresAt.After(now) {
				t.Errorf("got %s session expiring %v, want active and expired at %v", x.Status, x.ExpiresAt, now)
			}
			if i > 0 && x.ExpiresAt.Before(all[i-1].ExpiresAt) {
				t.Errorf("got expiry %v after %v, want oldest first", x.ExpiresAt, all[i-1].ExpiresAt)
			}
		}

		two, err := s.ListExpiredSessions(t.Context(), now, 2)
		noError(t, err)
		if len(two) != 2 {
			t.Errorf("got %d sessions with limit 2, want 2", len(two))
		}
	})

	t.Run("ListActivePagesAcrossTenants", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		f, g := newFixture(t, s), newFixture(t, s)
		var want []string
		for i := range 6 {
			fx := f
			if i%2 == 1 {
				fx = g
			}
			want = append(want, fx.session(t, s).ID)
		}
		ended := g.session(t, s)
		g.end(t, s, ended.ID)
		ourTenant := map[string]bool{f.tenant.ID: true, g.tenant.ID: true}

		var got []string
		after := ""
		for {
			page, err := s.ListActiveSessions(t.Context(), after, 4)
			noError(t, err)
			if len(page) > 4 {
				t.Fatalf("got page of %d, want at most 4", len(page))
			}
			for _, x := range page {
				if x.ID <= after {
					t.Fatalf("got ID %s after %s, want ascending IDs", x.ID, after)
				}
				if x.Status != coditect.SessionActive {
					t.Errorf("got %s session %s, want only active ones", x.Status, x.ID)
				}
				if ourTenant[x.TenantID] {
					got = append(got, x.ID)
				}
				after = x.ID
			}
			if len(page) < 4 {
				break
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
}
