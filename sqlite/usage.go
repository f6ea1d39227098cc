package sqlite

import (
	"context"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

// AddUsage merges a batch of buckets into the stored ones in one
// transaction. Buckets of licenses the tenant does not have are dropped.
func (s *Store) AddUsage(ctx context.Context, buckets []coditect.UsageBucket) error {
	for i := range buckets {
		if err := buckets[i].Validate(); err != nil {
			return err
		}
	}
	if len(buckets) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(q *sqlcdb.Queries) error {
		for _, b := range buckets {
			if _, err := q.AddUsage(ctx, sqlcdb.AddUsageParams{
				TenantID:         b.TenantID,
				LicenseID:        b.LicenseID,
				Resolution:       string(b.Resolution),
				Start:            millis(b.Start),
				PeakInUse:        int64(b.PeakInUse),
				Acquires:         int64(b.Acquires),
				Denials:          int64(b.Denials),
				DistinctUsers:    int64(b.DistinctUsers),
				DistinctMachines: int64(b.DistinctMachines),
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return storeError("add usage", usageKind, err)
}

// ListUsage returns a tenant's usage at resolution, merging the stored
// buckets of that resolution and finer ones.
func (s *Store) ListUsage(ctx context.Context, tenantID, licenseID string, resolution coditect.UsageResolution, from, to time.Time) ([]coditect.UsageBucket, error) {
	if !resolution.Valid() {
		return nil, coditect.Errorf(coditect.CodeInvalidRequest, "Usage resolution %q is not minute, hour or day.", resolution)
	}
	var resolutions []string
	for _, r := range coditect.UsageResolutionsUpTo(resolution) {
		resolutions = append(resolutions, string(r))
	}
	width := resolution.Duration().Milliseconds()
	var rows []sqlcdb.ListUsageRow
	var err error
	if licenseID != "" {
		var lrows []sqlcdb.ListLicenseUsageRow
		lrows, err = s.rq.ListLicenseUsage(ctx, sqlcdb.ListLicenseUsageParams{
			Width: width, TenantID: tenantID, LicenseID: licenseID, Resolutions: resolutions,
			FromTime: millis(from), ToTime: millis(to),
		})
		for _, r := range lrows {
			rows = append(rows, sqlcdb.ListUsageRow(r))
		}
	} else {
		rows, err = s.rq.ListUsage(ctx, sqlcdb.ListUsageParams{
			Width: width, TenantID: tenantID, Resolutions: resolutions,
			FromTime: millis(from), ToTime: millis(to),
		})
	}
	if err != nil {
		return nil, storeError("list usage", usageKind, err)
	}
	out := make([]coditect.UsageBucket, 0, len(rows))
	for _, r := range rows {
		out = append(out, coditect.UsageBucket{
			TenantID: tenantID, LicenseID: r.LicenseID, Resolution: resolution, Start: fromMillis(r.BucketStart),
			PeakInUse: int(r.PeakInUse), Acquires: int(r.Acquires), Denials: int(r.Denials),
			DistinctUsers: int(r.DistinctUsers), DistinctMachines: int(r.DistinctMachines),
		})
	}
	return out, nil
}

// RollupUsage merges every tenant's buckets of resolution from that start
// before before into buckets of resolution to and deletes them, in one
// transaction: the process has the file's only writer, so two passes
// cannot roll up the same bucket.
func (s *Store) RollupUsage(ctx context.Context, from, to coditect.UsageResolution, before time.Time) (int, error) {
	if err := coditect.CheckRollup(from, to); err != nil {
		return 0, err
	}
	var n int64
	err := s.inTx(ctx, func(q *sqlcdb.Queries) error {
		if _, err := q.RollupUsage(ctx, sqlcdb.RollupUsageParams{
			ToResolution: string(to), Width: to.Duration().Milliseconds(),
			FromResolution: string(from), Before: millis(before),
		}); err != nil {
			return err
		}
		var err error
		n, err = q.DeleteUsage(ctx, sqlcdb.DeleteUsageParams{Resolution: string(from), Before: millis(before)})
		return err
	})
	if err != nil {
		return 0, storeError("roll up usage", usageKind, err)
	}
	return int(n), nil
}

// DeleteUsage deletes every tenant's buckets of resolution that start
// before before.
func (s *Store) DeleteUsage(ctx context.Context, resolution coditect.UsageResolution, before time.Time) (int, error) {
	if !resolution.Valid() {
		return 0, coditect.Errorf(coditect.CodeInvalidRequest, "Usage resolution %q is not minute, hour or day.", resolution)
	}
	n, err := s.wq.DeleteUsage(ctx, sqlcdb.DeleteUsageParams{Resolution: string(resolution), Before: millis(before)})
	if err != nil {
		return 0, storeError("delete usage", usageKind, err)
	}
	return int(n), nil
}
