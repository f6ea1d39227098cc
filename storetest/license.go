package storetest

import (
	"reflect"
	"slices"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// storedLicense is what a store gives back for l.
func storedLicense(l *coditect.License) *coditect.License {
	w := *l
	w.ExpiresAt = storedPtr(l.ExpiresAt)
	w.CreatedAt = stored(l.CreatedAt)
	w.UpdatedAt = stored(l.UpdatedAt)
	return &w
}

func testLicenses(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	t.Run("RoundTripsEveryField", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l := createLicense(t, s, tn.ID, func(l *coditect.License) {
			l.Status = coditect.LicenseSuspended
			l.Seats = 42
			l.ExpiresAt = ptr(base.Add(365 * 24 * time.Hour))
			l.Features = []string{"export", "sso", "ünïcode"}
			l.LeaseTTLSeconds = 600
			l.HeartbeatIntervalSeconds = 200
			l.OfflineGraceSeconds = 3600
			l.Metadata = map[string]any{
				"customer": "ACME",
				"tier":     float64(3),
				"nested":   map[string]any{"ok": true, "list": []any{"a", float64(1)}},
			}
			l.UpdatedAt = base.Add(time.Hour)
		})
		want := storedLicense(l)

		got, err := s.GetLicense(t.Context(), tn.ID, l.ID)
		noError(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GetLicense: got %s, want %s", show(got), show(want))
		}
		got, err = s.FindLicenseByKeyDigest(t.Context(), l.KeyDigest)
		noError(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("FindLicenseByKeyDigest: got %s, want %s", show(got), show(want))
		}
	})

	t.Run("EmptyValuesComeBackEmpty", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l := createLicense(t, s, tn.ID, func(l *coditect.License) {
			l.Status = ""
			l.ExpiresAt = nil
			l.Features = nil
			l.Metadata = nil
		})
		got, err := s.GetLicense(t.Context(), tn.ID, l.ID)
		noError(t, err)
		if got.Status != coditect.LicenseActive {
			t.Errorf("got status %q, want %q", got.Status, coditect.LicenseActive)
		}
		if got.ExpiresAt != nil {
			t.Errorf("got expires_at %v, want nil", *got.ExpiresAt)
		}
		if got.Features == nil || len(got.Features) != 0 {
			t.Errorf("got features %#v, want an empty non-nil slice", got.Features)
		}
		if got.Metadata == nil || len(got.Metadata) != 0 {
			t.Errorf("got metadata %#v, want an empty non-nil map", got.Metadata)
		}
	})

	t.Run("FindByUnknownKeyDigestIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		_, err := s.FindLicenseByKeyDigest(t.Context(), newID())
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("DuplicateKeyDigestIsConflictAcrossTenants", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		l := createLicense(t, s, a.ID)
		dup := storedLicense(l)
		dup.ID, dup.TenantID = newID(), b.ID
		wantCode(t, s.CreateLicense(t.Context(), dup), coditect.CodeConflict)
	})

	t.Run("DuplicateIDIsConflict", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l := createLicense(t, s, tn.ID)
		dup := storedLicense(l)
		dup.KeyDigest = newID()
		wantCode(t, s.CreateLicense(t.Context(), dup), coditect.CodeConflict)
	})

	t.Run("UnknownTenantIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		l := &coditect.License{
			ID: newID(), TenantID: newID(), Name: "orphan", Status: coditect.LicenseActive, Seats: 1,
			LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120, KeyDigest: newID(), KeyPrefix: "cl_x",
			CreatedAt: base, UpdatedAt: base,
		}
		wantCode(t, s.CreateLicense(t.Context(), l), coditect.CodeNotFound)
	})

	t.Run("GetIsTenantScoped", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		l := createLicense(t, s, a.ID)
		_, err := s.GetLicense(t.Context(), b.ID, l.ID)
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.GetLicense(t.Context(), a.ID, newID())
		wantCode(t, err, coditect.CodeNotFound)
	})

	t.Run("ListPagesNewestFirstExactlyOnce", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		var want []string
		for range 7 {
			want = append(want, createLicense(t, s, tn.ID).ID)
		}
		slices.Reverse(want)

		var got []string
		after := ""
		for page := 0; ; page++ {
			if page > 10 {
				t.Fatal("pagination does not end")
			}
			ls, err := s.ListLicenses(t.Context(), tn.ID, coditect.LicenseFilter{After: after, Limit: 3})
			noError(t, err)
			if len(ls) > 3 {
				t.Fatalf("got page of %d, want at most 3", len(ls))
			}
			if len(ls) == 0 {
				break
			}
			got = append(got, licenseIDs(ls)...)
			after = ls[len(ls)-1].ID
		}
		if !slices.Equal(got, want) {
			t.Errorf("got IDs %v, want %v", got, want)
		}
	})

	t.Run("ListLimitDefaultsAndClamps", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		for range 51 {
			createLicense(t, s, tn.ID)
		}
		for _, tc := range []struct{ limit, want int }{{0, 50}, {-3, 1}, {1, 1}, {10, 10}, {1000, 51}} {
			ls, err := s.ListLicenses(t.Context(), tn.ID, coditect.LicenseFilter{Limit: tc.limit})
			noError(t, err)
			if len(ls) != tc.want {
				t.Errorf("limit %d: got %d licenses, want %d", tc.limit, len(ls), tc.want)
			}
		}
	})

	t.Run("ListFilters", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		name := func(n string) func(*coditect.License) {
			return func(l *coditect.License) { l.Name = n }
		}
		alpha := createLicense(t, s, tn.ID, name("Alpha Studio"))
		beta := createLicense(t, s, tn.ID, name("Beta studio"), func(l *coditect.License) {
			l.Status = coditect.LicenseSuspended
		})
		pct := createLicense(t, s, tn.ID, name("100% off_season"))
		plain := createLicense(t, s, tn.ID, name("Gamma"), func(l *coditect.License) {
			l.KeyPrefix = "cl_studio1"
		})

		for _, tc := range []struct {
			name   string
			filter coditect.LicenseFilter
			want   []*coditect.License
		}{
			{"no filter", coditect.LicenseFilter{}, []*coditect.License{plain, pct, beta, alpha}},
			{"name substring, any case", coditect.LicenseFilter{Q: "STUDIO"}, []*coditect.License{beta, alpha}},
			{"exact key prefix", coditect.LicenseFilter{Q: "cl_studio1"}, []*coditect.License{plain}},
			{"key prefix is not a substring match", coditect.LicenseFilter{Q: "cl_studio"}, nil},
			{"percent is literal", coditect.LicenseFilter{Q: "0%"}, []*coditect.License{pct}},
			{"underscore is literal", coditect.LicenseFilter{Q: "f_s"}, []*coditect.License{pct}},
			{"percent alone matches only a percent", coditect.LicenseFilter{Q: "%"}, []*coditect.License{pct}},
			{"status", coditect.LicenseFilter{Status: coditect.LicenseSuspended}, []*coditect.License{beta}},
			{"status and q", coditect.LicenseFilter{Status: coditect.LicenseActive, Q: "studio"}, []*coditect.License{alpha}},
			{"after", coditect.LicenseFilter{After: beta.ID}, []*coditect.License{alpha}},
		} {
			ls, err := s.ListLicenses(t.Context(), tn.ID, tc.filter)
			noError(t, err)
			if got, want := licenseIDs(ls), licenseIDs(tc.want); !slices.Equal(got, want) {
				t.Errorf("%s: got %v, want %v", tc.name, got, want)
			}
		}
	})

	t.Run("ListIsTenantScoped", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		la := createLicense(t, s, a.ID)
		lb := createLicense(t, s, b.ID)
		for _, tc := range []struct {
			tenant string
			want   []string
		}{{a.ID, []string{la.ID}}, {b.ID, []string{lb.ID}}, {newID(), []string{}}} {
			ls, err := s.ListLicenses(t.Context(), tc.tenant, coditect.LicenseFilter{})
			noError(t, err)
			if got := licenseIDs(ls); !slices.Equal(got, tc.want) {
				t.Errorf("tenant %s: got %v, want %v", tc.tenant, got, tc.want)
			}
		}
		ls, err := s.ListLicenses(t.Context(), a.ID, coditect.LicenseFilter{Q: lb.KeyPrefix})
		noError(t, err)
		if len(ls) != 0 {
			t.Errorf("got %v searching another tenant's key prefix, want none", licenseIDs(ls))
		}
	})
	t.Run("UpdateWritesEveryMutableField", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l := createLicense(t, s, tn.ID, func(l *coditect.License) {
			l.Features = []string{"sso"}
			l.Metadata = map[string]any{"customer": "ACME"}
		})
		oldDigest := l.KeyDigest

		edit := storedLicense(l)
		edit.Name = "Renamed"
		edit.Status = coditect.LicenseSuspended
		edit.Seats = 99
		edit.ExpiresAt = ptr(base.Add(30*24*time.Hour + 777))
		edit.Features = []string{"export", "ünïcode"}
		edit.LeaseTTLSeconds = 900
		edit.HeartbeatIntervalSeconds = 300
		edit.OfflineGraceSeconds = 0
		edit.KeyDigest = newID()
		edit.KeyPrefix = "cl_rotated"
		edit.Metadata = map[string]any{"tier": float64(2), "nested": map[string]any{"ok": true}}
		edit.UpdatedAt = base.Add(time.Hour + 999)
		// The creation time is not mutable.
		edit.CreatedAt = base.Add(-time.Hour)
		noError(t, s.UpdateLicense(t.Context(), edit))

		want := storedLicense(edit)
		want.CreatedAt = stored(l.CreatedAt)
		got, err := s.GetLicense(t.Context(), tn.ID, l.ID)
		noError(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("GetLicense: got %s, want %s", show(got), show(want))
		}
		got, err = s.FindLicenseByKeyDigest(t.Context(), edit.KeyDigest)
		noError(t, err)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("FindLicenseByKeyDigest with the new digest: got %s, want %s", show(got), show(want))
		}
		_, err = s.FindLicenseByKeyDigest(t.Context(), oldDigest)
		wantCode(t, err, coditect.CodeNotFound)

		// And back: an expiry can be removed again.
		edit.ExpiresAt = nil
		noError(t, s.UpdateLicense(t.Context(), edit))
		got, err = s.GetLicense(t.Context(), tn.ID, l.ID)
		noError(t, err)
		if got.ExpiresAt != nil {
			t.Errorf("got expires_at %v, want nil", *got.ExpiresAt)
		}
	})

	t.Run("UpdateEmptyValuesComeBackEmpty", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l := createLicense(t, s, tn.ID, func(l *coditect.License) {
			l.Status = coditect.LicenseSuspended
			l.Features = []string{"sso"}
			l.Metadata = map[string]any{"a": "b"}
		})
		edit := storedLicense(l)
		edit.Status, edit.Features, edit.Metadata = "", nil, nil
		noError(t, s.UpdateLicense(t.Context(), edit))
		got, err := s.GetLicense(t.Context(), tn.ID, l.ID)
		noError(t, err)
		if got.Status != coditect.LicenseActive {
			t.Errorf("got status %q, want %q", got.Status, coditect.LicenseActive)
		}
		if got.Features == nil || len(got.Features) != 0 {
			t.Errorf("got features %#v, want an empty non-nil slice", got.Features)
		}
		if got.Metadata == nil || len(got.Metadata) != 0 {
			t.Errorf("got metadata %#v, want an empty non-nil map", got.Metadata)
		}
	})

	t.Run("UpdateUnknownIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		l := createLicense(t, s, a.ID)

		unknown := storedLicense(l)
		unknown.ID, unknown.KeyDigest = newID(), newID()
		wantCode(t, s.UpdateLicense(t.Context(), unknown), coditect.CodeNotFound)
		foreign := storedLicense(l)
		foreign.TenantID = b.ID
		foreign.Seats = 1
		wantCode(t, s.UpdateLicense(t.Context(), foreign), coditect.CodeNotFound)
		got, err := s.GetLicense(t.Context(), a.ID, l.ID)
		noError(t, err)
		if want := storedLicense(l); !reflect.DeepEqual(got, want) {
			t.Errorf("after another tenant's update: got %s, want %s", show(got), show(want))
		}
	})

	t.Run("UpdateToTakenKeyDigestIsConflictAcrossTenants", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		la := createLicense(t, s, a.ID)
		lb := createLicense(t, s, b.ID)
		sibling := createLicense(t, s, b.ID)
		for _, taken := range []string{la.KeyDigest, sibling.KeyDigest} {
			edit := storedLicense(lb)
			edit.KeyDigest = taken
			wantCode(t, s.UpdateLicense(t.Context(), edit), coditect.CodeConflict)
		}
		got, err := s.GetLicense(t.Context(), b.ID, lb.ID)
		noError(t, err)
		if got.KeyDigest != lb.KeyDigest {
			t.Errorf("got key digest %q, want %q unchanged", got.KeyDigest, lb.KeyDigest)
		}
	})

	t.Run("DeleteRemovesTheLicenseAndItsSessions", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		doomed := createLicense(t, s, tn.ID)
		kept := createLicense(t, s, tn.ID)
		var gone []*coditect.Session
		for range 3 {
			gone = append(gone, createSession(t, s, tn.ID, doomed.ID))
		}
		ended := createSession(t, s, tn.ID, doomed.ID)
		_, err := s.EndSession(t.Context(), tn.ID, ended.ID, coditect.EndReleased, base)
		noError(t, err)
		gone = append(gone, ended)
		stays := createSession(t, s, tn.ID, kept.ID)

		noError(t, s.DeleteLicense(t.Context(), tn.ID, doomed.ID))

		_, err = s.GetLicense(t.Context(), tn.ID, doomed.ID)
		wantCode(t, err, coditect.CodeNotFound)
		_, err = s.FindLicenseByKeyDigest(t.Context(), doomed.KeyDigest)
		wantCode(t, err, coditect.CodeNotFound)
		for _, sess := range gone {
			_, err := s.GetSession(t.Context(), tn.ID, sess.ID)
			if got := coditect.ErrorCode(err); got != coditect.CodeNotFound {
				t.Errorf("session %s of the deleted license: got error code %q, want %q", sess.ID, got, coditect.CodeNotFound)
			}
		}
		ss, err := s.ListSessions(t.Context(), tn.ID, coditect.SessionFilter{})
		noError(t, err)
		if got, want := sessionIDs(ss), []string{stays.ID}; !slices.Equal(got, want) {
			t.Errorf("sessions left: got %v, want %v", got, want)
		}
		ls, err := s.ListLicenses(t.Context(), tn.ID, coditect.LicenseFilter{})
		noError(t, err)
		if got, want := licenseIDs(ls), []string{kept.ID}; !slices.Equal(got, want) {
			t.Errorf("licenses left: got %v, want %v", got, want)
		}
		// The key digest is free again.
		createLicense(t, s, tn.ID, func(l *coditect.License) { l.KeyDigest = doomed.KeyDigest })

		wantCode(t, s.DeleteLicense(t.Context(), tn.ID, doomed.ID), coditect.CodeNotFound)
	})

	t.Run("DeleteIsTenantScoped", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		l := createLicense(t, s, a.ID)
		sess := createSession(t, s, a.ID, l.ID)
		wantCode(t, s.DeleteLicense(t.Context(), b.ID, l.ID), coditect.CodeNotFound)
		wantCode(t, s.DeleteLicense(t.Context(), a.ID, newID()), coditect.CodeNotFound)
		_, err := s.GetLicense(t.Context(), a.ID, l.ID)
		noError(t, err)
		_, err = s.GetSession(t.Context(), a.ID, sess.ID)
		noError(t, err)
	})
}
