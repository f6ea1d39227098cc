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
}
