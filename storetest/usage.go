package storetest

import (
	"cmp"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// usageStart is the first minute of the usage tests that stay within
// their own tenants.
var usageStart = coditect.UsageMinute.Truncate(base)

func usageBucket(tenantID, licenseID string, r coditect.UsageResolution, start time.Time, peak, acquires, denials, users, machines int) coditect.UsageBucket {
	return coditect.UsageBucket{
		TenantID: tenantID, LicenseID: licenseID, Resolution: r, Start: start.UTC(),
		PeakInUse: peak, Acquires: acquires, Denials: denials, DistinctUsers: users, DistinctMachines: machines,
	}
}

// sortUsage orders buckets as ListUsage does: by start, then license ID.
func sortUsage(bs []coditect.UsageBucket) []coditect.UsageBucket {
	slices.SortFunc(bs, func(a, b coditect.UsageBucket) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.LicenseID, b.LicenseID))
	})
	return bs
}

func listUsage(t *testing.T, s coditect.Store, tenantID, licenseID string, r coditect.UsageResolution, from, to time.Time) []coditect.UsageBucket {
	t.Helper()
	got, err := s.ListUsage(t.Context(), tenantID, licenseID, r, from, to)
	noError(t, err)
	return got
}

func wantUsage(t *testing.T, got, want []coditect.UsageBucket) {
	t.Helper()
	if want == nil {
		want = []coditect.UsageBucket{}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %s, want %s", show(got), show(want))
	}
}

func testUsage(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	m := func(i int) time.Time { return usageStart.Add(time.Duration(i) * time.Minute) }

	t.Run("RoundTripsEveryField", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l1, l2 := createLicense(t, s, tn.ID), createLicense(t, s, tn.ID)
		in := []coditect.UsageBucket{
			usageBucket(tn.ID, l1.ID, coditect.UsageMinute, m(1), 3, 4, 1, 2, 3),
			usageBucket(tn.ID, l2.ID, coditect.UsageMinute, m(0), 1, 1, 0, 1, 1),
			usageBucket(tn.ID, l1.ID, coditect.UsageMinute, m(0), 5, 7, 2, 6, 7),
		}
		noError(t, s.AddUsage(t.Context(), in))
		got := listUsage(t, s, tn.ID, "", coditect.UsageMinute, m(0), m(60))
		wantUsage(t, got, sortUsage(slices.Clone(in)))
		for _, b := range got {
			if b.Start.Location() != time.UTC {
				t.Errorf("got start %v, want UTC", b.Start)
			}
		}
	})

	t.Run("MergesIntoStoredBuckets", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l := createLicense(t, s, tn.ID)
		noError(t, s.AddUsage(t.Context(), []coditect.UsageBucket{
			usageBucket(tn.ID, l.ID, coditect.UsageMinute, m(0), 3, 2, 1, 4, 1),
		}))
		// A second writer of the same minute, twice in one batch.
		noError(t, s.AddUsage(t.Context(), []coditect.UsageBucket{
			usageBucket(tn.ID, l.ID, coditect.UsageMinute, m(0), 2, 5, 0, 1, 6),
			usageBucket(tn.ID, l.ID, coditect.UsageMinute, m(0), 4, 1, 2, 2, 2),
		}))
		wantUsage(t, listUsage(t, s, tn.ID, l.ID, coditect.UsageMinute, m(0), m(1)), []coditect.UsageBucket{
			usageBucket(tn.ID, l.ID, coditect.UsageMinute, m(0), 4, 8, 3, 4, 6),
		})
		noError(t, s.AddUsage(t.Context(), nil))
	})

	t.Run("ListsOneLicenseOrAllInARange", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l1, l2 := createLicense(t, s, tn.ID), createLicense(t, s, tn.ID)
		a0 := usageBucket(tn.ID, l1.ID, coditect.UsageMinute, m(0), 1, 1, 0, 1, 1)
		a1 := usageBucket(tn.ID, l1.ID, coditect.UsageMinute, m(1), 2, 1, 0, 1, 1)
		a2 := usageBucket(tn.ID, l1.ID, coditect.UsageMinute, m(2), 3, 1, 0, 1, 1)
		b1 := usageBucket(tn.ID, l2.ID, coditect.UsageMinute, m(1), 4, 0, 9, 0, 0)
		noError(t, s.AddUsage(t.Context(), []coditect.UsageBucket{a0, a1, a2, b1}))
		// from is inclusive, to exclusive.
		wantUsage(t, listUsage(t, s, tn.ID, l1.ID, coditect.UsageMinute, m(1), m(2)), []coditect.UsageBucket{a1})
		wantUsage(t, listUsage(t, s, tn.ID, l1.ID, coditect.UsageMinute, m(0), m(3)), []coditect.UsageBucket{a0, a1, a2})
		wantUsage(t, listUsage(t, s, tn.ID, "", coditect.UsageMinute, m(1), m(3)), sortUsage([]coditect.UsageBucket{a1, b1, a2}))
		wantUsage(t, listUsage(t, s, tn.ID, l2.ID, coditect.UsageMinute, m(2), m(60)), nil)
		wantUsage(t, listUsage(t, s, tn.ID, newID(), coditect.UsageMinute, m(0), m(60)), nil)
	})

	t.Run("MergesFinerResolutionsIntoCoarserOnes", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l := createLicense(t, s, tn.ID)
		h0 := coditect.UsageDay.Truncate(base) // midnight: whole hour and day
		noError(t, s.AddUsage(t.Context(), []coditect.UsageBucket{
			usageBucket(tn.ID, l.ID, coditect.UsageMinute, h0, 2, 1, 0, 1, 1),
			usageBucket(tn.ID, l.ID, coditect.UsageMinute, h0.Add(30*time.Minute), 5, 2, 3, 2, 4),
			usageBucket(tn.ID, l.ID, coditect.UsageHour, h0, 4, 10, 1, 3, 3),
			usageBucket(tn.ID, l.ID, coditect.UsageHour, h0.Add(5*time.Hour), 1, 1, 1, 1, 1),
		}))
		wantUsage(t, listUsage(t, s, tn.ID, l.ID, coditect.UsageHour, h0, h0.Add(24*time.Hour)), []coditect.UsageBucket{
			usageBucket(tn.ID, l.ID, coditect.UsageHour, h0, 5, 13, 4, 3, 4),
			usageBucket(tn.ID, l.ID, coditect.UsageHour, h0.Add(5*time.Hour), 1, 1, 1, 1, 1),
		})
		wantUsage(t, listUsage(t, s, tn.ID, "", coditect.UsageDay, h0, h0.Add(24*time.Hour)), []coditect.UsageBucket{
			usageBucket(tn.ID, l.ID, coditect.UsageDay, h0, 5, 14, 5, 3, 4),
		})
		// Coarser buckets stay out of a finer list.
		wantUsage(t, listUsage(t, s, tn.ID, l.ID, coditect.UsageMinute, h0, h0.Add(24*time.Hour)), []coditect.UsageBucket{
			usageBucket(tn.ID, l.ID, coditect.UsageMinute, h0, 2, 1, 0, 1, 1),
			usageBucket(tn.ID, l.ID, coditect.UsageMinute, h0.Add(30*time.Minute), 5, 2, 3, 2, 4),
		})
		_, err := s.ListUsage(t.Context(), tn.ID, "", "week", h0, h0.Add(time.Hour))
		wantCode(t, err, coditect.CodeInvalidRequest)
	})

	t.Run("DropsBucketsOfUnknownLicenses", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		la := createLicense(t, s, a.ID)
		lb := createLicense(t, s, b.ID)
		noError(t, s.AddUsage(t.Context(), []coditect.UsageBucket{
			usageBucket(b.ID, la.ID, coditect.UsageMinute, m(0), 1, 1, 1, 1, 1), // a license of another tenant
			usageBucket(a.ID, newID(), coditect.UsageMinute, m(0), 1, 1, 1, 1, 1),
			usageBucket(b.ID, lb.ID, coditect.UsageMinute, m(0), 2, 2, 2, 2, 2),
		}))
		wantUsage(t, listUsage(t, s, a.ID, "", coditect.UsageMinute, m(0), m(1)), nil)
		wantUsage(t, listUsage(t, s, b.ID, "", coditect.UsageMinute, m(0), m(1)), []coditect.UsageBucket{
			usageBucket(b.ID, lb.ID, coditect.UsageMinute, m(0), 2, 2, 2, 2, 2),
		})
	})

	t.Run("RefusesInvalidBuckets", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l := createLicense(t, s, tn.ID)
		good := usageBucket(tn.ID, l.ID, coditect.UsageMinute, m(0), 1, 1, 1, 1, 1)
		for name, bad := range map[string]coditect.UsageBucket{
			"a start inside its minute": usageBucket(tn.ID, l.ID, coditect.UsageMinute, m(0).Add(time.Second), 1, 1, 1, 1, 1),
			"an hour not on the hour":   usageBucket(tn.ID, l.ID, coditect.UsageHour, m(0).Add(time.Minute), 1, 1, 1, 1, 1),
			"an unknown resolution":     usageBucket(tn.ID, l.ID, "week", m(0), 1, 1, 1, 1, 1),
			"a negative count":          usageBucket(tn.ID, l.ID, coditect.UsageMinute, m(0), 1, -1, 1, 1, 1),
			"no tenant":                 usageBucket("", l.ID, coditect.UsageMinute, m(0), 1, 1, 1, 1, 1),
		} {
			err := s.AddUsage(t.Context(), []coditect.UsageBucket{good, bad})
			if coditect.ErrorCode(err) != coditect.CodeInvalidRequest {
				t.Errorf("%s: got error %v, want %s", name, err, coditect.CodeInvalidRequest)
			}
		}
		wantUsage(t, listUsage(t, s, tn.ID, "", coditect.UsageMinute, m(0), m(1)), nil)
	})

	t.Run("KeepsTenantsApart", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		a, b := createTenant(t, s), createTenant(t, s)
		la := createLicense(t, s, a.ID)
		noError(t, s.AddUsage(t.Context(), []coditect.UsageBucket{
			usageBucket(a.ID, la.ID, coditect.UsageMinute, m(0), 1, 1, 1, 1, 1),
		}))
		wantUsage(t, listUsage(t, s, b.ID, "", coditect.UsageMinute, m(0), m(1)), nil)
		wantUsage(t, listUsage(t, s, b.ID, la.ID, coditect.UsageDay, coditect.UsageDay.Truncate(base), m(0).Add(48*time.Hour)), nil)
	})

	t.Run("GoesWithItsLicense", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		tn := createTenant(t, s)
		l := createLicense(t, s, tn.ID)
		noError(t, s.AddUsage(t.Context(), []coditect.UsageBucket{
			usageBucket(tn.ID, l.ID, coditect.UsageMinute, m(0), 1, 1, 1, 1, 1),
		}))
		noError(t, s.DeleteLicense(t.Context(), tn.ID, l.ID))
		wantUsage(t, listUsage(t, s, tn.ID, "", coditect.UsageMinute, m(0), m(1)), nil)
	})

	// The retention jobs span tenants, so on a shared database they would
	// touch each other's rows: they run one after another, each in an era
	// of its own, long before any other test's rows, and clear it after.
	t.Run("Retention", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		clearEra := func(t *testing.T, before time.Time) {
			t.Helper()
			for _, r := range []coditect.UsageResolution{coditect.UsageMinute, coditect.UsageHour, coditect.UsageDay} {
				_, err := s.DeleteUsage(t.Context(), r, before)
				noError(t, err)
			}
		}

		t.Run("RollsMinutesUpIntoHoursAndHoursIntoDays", func(t *testing.T) {
			era := time.Date(2001, 6, 1, 0, 0, 0, 0, time.UTC)
			defer clearEra(t, era.AddDate(1, 0, 0))
			a, b := createTenant(t, s), createTenant(t, s)
			l, lb := createLicense(t, s, a.ID), createLicense(t, s, b.ID)
			noError(t, s.AddUsage(t.Context(), []coditect.UsageBucket{
				usageBucket(a.ID, l.ID, coditect.UsageMinute, era, 2, 1, 0, 1, 1),
				usageBucket(a.ID, l.ID, coditect.UsageMinute, era.Add(59*time.Minute), 5, 2, 3, 2, 4),
				usageBucket(a.ID, l.ID, coditect.UsageMinute, era.Add(time.Hour), 1, 1, 0, 1, 1),
				usageBucket(a.ID, l.ID, coditect.UsageMinute, era.Add(2*time.Hour), 3, 7, 0, 1, 1),
				usageBucket(a.ID, l.ID, coditect.UsageHour, era, 4, 10, 1, 3, 3), // rolled up before
				usageBucket(b.ID, lb.ID, coditect.UsageMinute, era.Add(time.Minute), 1, 1, 1, 1, 1),
			}))

			n, err := s.RollupUsage(t.Context(), coditect.UsageMinute, coditect.UsageHour, era.Add(2*time.Hour))
			noError(t, err)
			if n != 4 {
				t.Errorf("minutes rolled up: got %d, want 4 (of both tenants)", n)
			}
			wantUsage(t, listUsage(t, s, a.ID, "", coditect.UsageMinute, era, era.AddDate(0, 0, 1)), []coditect.UsageBucket{
				usageBucket(a.ID, l.ID, coditect.UsageMinute, era.Add(2*time.Hour), 3, 7, 0, 1, 1),
			})
			wantUsage(t, listUsage(t, s, a.ID, "", coditect.UsageHour, era, era.AddDate(0, 0, 1)), []coditect.UsageBucket{
				usageBucket(a.ID, l.ID, coditect.UsageHour, era, 5, 13, 4, 3, 4),
				usageBucket(a.ID, l.ID, coditect.UsageHour, era.Add(time.Hour), 1, 1, 0, 1, 1),
				usageBucket(a.ID, l.ID, coditect.UsageHour, era.Add(2*time.Hour), 3, 7, 0, 1, 1),
			})
			wantUsage(t, listUsage(t, s, b.ID, "", coditect.UsageHour, era, era.AddDate(0, 0, 1)), []coditect.UsageBucket{
				usageBucket(b.ID, lb.ID, coditect.UsageHour, era, 1, 1, 1, 1, 1),
			})
			if n, err := s.RollupUsage(t.Context(), coditect.UsageMinute, coditect.UsageHour, era.Add(2*time.Hour)); err != nil || n != 0 {
				t.Errorf("the same rollup again: got %d (error %v), want 0", n, err)
			}

			n, err = s.RollupUsage(t.Context(), coditect.UsageHour, coditect.UsageDay, era.AddDate(0, 0, 1))
			noError(t, err)
			if n != 3 {
				t.Errorf("hours rolled up: got %d, want 3 (of both tenants)", n)
			}
			// The day list merges the day bucket with the minute left over.
			wantUsage(t, listUsage(t, s, a.ID, l.ID, coditect.UsageDay, era, era.AddDate(0, 0, 1)), []coditect.UsageBucket{
				usageBucket(a.ID, l.ID, coditect.UsageDay, era, 5, 21, 4, 3, 4),
			})
			wantUsage(t, listUsage(t, s, a.ID, l.ID, coditect.UsageHour, era, era.AddDate(0, 0, 1)), []coditect.UsageBucket{
				usageBucket(a.ID, l.ID, coditect.UsageHour, era.Add(2*time.Hour), 3, 7, 0, 1, 1),
			})
			for _, pair := range [][2]coditect.UsageResolution{{coditect.UsageHour, coditect.UsageMinute}, {coditect.UsageDay, coditect.UsageDay}, {"week", coditect.UsageDay}} {
				_, err := s.RollupUsage(t.Context(), pair[0], pair[1], era)
				wantCode(t, err, coditect.CodeInvalidRequest)
			}
		})

		t.Run("DeletesOldBuckets", func(t *testing.T) {
			era := time.Date(2003, 1, 1, 0, 0, 0, 0, time.UTC)
			defer clearEra(t, era.AddDate(1, 0, 0))
			tn := createTenant(t, s)
			l := createLicense(t, s, tn.ID)
			noError(t, s.AddUsage(t.Context(), []coditect.UsageBucket{
				usageBucket(tn.ID, l.ID, coditect.UsageMinute, era, 1, 1, 1, 1, 1),
				usageBucket(tn.ID, l.ID, coditect.UsageMinute, era.Add(time.Minute), 1, 1, 1, 1, 1),
				usageBucket(tn.ID, l.ID, coditect.UsageMinute, era.Add(2*time.Minute), 2, 2, 2, 2, 2),
				usageBucket(tn.ID, l.ID, coditect.UsageDay, era, 9, 9, 9, 9, 9),
			}))
			n, err := s.DeleteUsage(t.Context(), coditect.UsageMinute, era.Add(2*time.Minute))
			noError(t, err)
			if n != 2 {
				t.Errorf("deleted: got %d, want 2", n)
			}
			wantUsage(t, listUsage(t, s, tn.ID, l.ID, coditect.UsageMinute, era, era.Add(time.Hour)), []coditect.UsageBucket{
				usageBucket(tn.ID, l.ID, coditect.UsageMinute, era.Add(2*time.Minute), 2, 2, 2, 2, 2),
			})
			wantUsage(t, listUsage(t, s, tn.ID, l.ID, coditect.UsageDay, era, era.AddDate(0, 0, 1)), []coditect.UsageBucket{
				usageBucket(tn.ID, l.ID, coditect.UsageDay, era, 9, 11, 11, 9, 9),
			})
			if n, err := s.DeleteUsage(t.Context(), coditect.UsageMinute, era.Add(2*time.Minute)); err != nil || n != 0 {
				t.Errorf("the same deletion again: got %d (error %v), want 0", n, err)
			}
			_, err = s.DeleteUsage(t.Context(), "week", era)
			wantCode(t, err, coditect.CodeInvalidRequest)
		})

		t.Run("ConcurrentRollupsMoveEachBucketOnce", func(t *testing.T) {
			era := time.Date(2005, 1, 1, 0, 0, 0, 0, time.UTC)
			defer clearEra(t, era.AddDate(1, 0, 0))
			tn := createTenant(t, s)
			var in []coditect.UsageBucket
			licenses := []*coditect.License{createLicense(t, s, tn.ID), createLicense(t, s, tn.ID), createLicense(t, s, tn.ID)}
			for _, l := range licenses {
				for i := range 40 {
					in = append(in, usageBucket(tn.ID, l.ID, coditect.UsageMinute, era.Add(time.Duration(i)*time.Minute), 1, 1, 1, 1, 1))
				}
			}
			noError(t, s.AddUsage(t.Context(), in))
			var wg sync.WaitGroup
			moved := make([]int, 4)
			errs := make([]error, 4)
			for i := range moved {
				wg.Go(func() {
					moved[i], errs[i] = s.RollupUsage(t.Context(), coditect.UsageMinute, coditect.UsageHour, era.Add(time.Hour))
				})
			}
			wg.Wait()
			total := 0
			for i := range moved {
				noError(t, errs[i])
				total += moved[i]
			}
			if total != len(in) {
				t.Errorf("moved by all rollups together: got %d, want %d", total, len(in))
			}
			var want []coditect.UsageBucket
			for _, l := range licenses {
				want = append(want, usageBucket(tn.ID, l.ID, coditect.UsageHour, era, 1, 40, 40, 1, 1))
			}
			wantUsage(t, listUsage(t, s, tn.ID, "", coditect.UsageHour, era, era.Add(time.Hour)), sortUsage(want))
		})
	})
}
