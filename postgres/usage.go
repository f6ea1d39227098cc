package postgres

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// AddUsage merges a batch of buckets into the stored ones. Buckets of
// licenses the tenant does not have are dropped.
//
// As in TouchSessions, the batch is split by tenant, each tenant's part is
// one INSERT over unnested arrays behind that tenant's SetTenant, in key
// order, so two replicas adding the same buckets lock them in the same
// order, and all the parts go in one pgx batch: one round trip and one
// implicit transaction, so a failure adds nothing and the caller may add
// the same buckets again without counting any twice.
func (s *Store) AddUsage(ctx context.Context, buckets []coditect.UsageBucket) error {
	for i := range buckets {
		if err := buckets[i].Validate(); err != nil {
			return err
		}
	}
	var b pgx.Batch
	q := queue(&b)
	for _, u := range usageBatches(buckets) {
		_ = q.SetTenant(ctx, u.TenantID)
		_, _ = q.AddUsage(ctx, u)
	}
	return storeError("add usage", usageKind, s.sendBatch(ctx, &b))
}

// usageBatches groups buckets by tenant, in tenant order, each key once
// (duplicates merged) and in key order.
func usageBatches(buckets []coditect.UsageBucket) []sqlcdb.AddUsageParams {
	type key struct {
		tenant, license string
		resolution      coditect.UsageResolution
		start           int64
	}
	merged := make(map[key]*coditect.UsageBucket, len(buckets))
	sorted := make([]*coditect.UsageBucket, 0, len(buckets))
	for _, b := range buckets {
		k := key{b.TenantID, b.LicenseID, b.Resolution, b.Start.UnixMilli()}
		if cur, ok := merged[k]; ok {
			cur.Merge(b)
			continue
		}
		c := b
		merged[k] = &c
		sorted = append(sorted, &c)
	}
	slices.SortFunc(sorted, func(a, b *coditect.UsageBucket) int {
		return cmp.Or(cmp.Compare(a.TenantID, b.TenantID), cmp.Compare(a.LicenseID, b.LicenseID),
			cmp.Compare(a.Resolution, b.Resolution), a.Start.Compare(b.Start))
	})
	var out []sqlcdb.AddUsageParams
	for _, u := range sorted {
		if len(out) == 0 || out[len(out)-1].TenantID != u.TenantID {
			out = append(out, sqlcdb.AddUsageParams{TenantID: u.TenantID})
		}
		p := &out[len(out)-1]
		p.LicenseIds = append(p.LicenseIds, u.LicenseID)
		p.Resolutions = append(p.Resolutions, string(u.Resolution))
		p.Starts = append(p.Starts, stored(u.Start))
		p.PeaksInUse = append(p.PeaksInUse, int64(u.PeakInUse))
		p.Acquires = append(p.Acquires, int64(u.Acquires))
		p.Denials = append(p.Denials, int64(u.Denials))
		p.DistinctUsers = append(p.DistinctUsers, int64(u.DistinctUsers))
		p.DistinctMachines = append(p.DistinctMachines, int64(u.DistinctMachines))
	}
	return out
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
	q := s.tenant(tenantID)
	var rows []sqlcdb.ListUsageRow
	var err error
	if licenseID != "" {
		var lrows []sqlcdb.ListLicenseUsageRow
		lrows, err = q.ListLicenseUsage(ctx, sqlcdb.ListLicenseUsageParams{
			Resolution: string(resolution), TenantID: tenantID, LicenseID: licenseID,
			Resolutions: resolutions, FromTime: stored(from), ToTime: stored(to),
		})
		for _, r := range lrows {
			rows = append(rows, sqlcdb.ListUsageRow(r))
		}
	} else {
		rows, err = q.ListUsage(ctx, sqlcdb.ListUsageParams{
			Resolution: string(resolution), TenantID: tenantID,
			Resolutions: resolutions, FromTime: stored(from), ToTime: stored(to),
		})
	}
	if err != nil {
		return nil, storeError("list usage", usageKind, err)
	}
	out := make([]coditect.UsageBucket, 0, len(rows))
	for _, r := range rows {
		out = append(out, coditect.UsageBucket{
			TenantID: tenantID, LicenseID: r.LicenseID, Resolution: resolution, Start: stored(r.BucketStart),
			PeakInUse: int(r.PeakInUse), Acquires: int(r.Acquires), Denials: int(r.Denials),
			DistinctUsers: int(r.DistinctUsers), DistinctMachines: int(r.DistinctMachines),
		})
	}
	return out, nil
}

// RollupUsage moves every tenant's buckets of resolution from that start
// before before into buckets of resolution to.
//
// The job spans tenants but writes, so it takes no write path around
// row-level security: the list_usage_tenants function names the tenants
// that have buckets due (reading only those rows, through the job index),
// and each tenant's rows are moved in that tenant's own transaction by one
// statement that deletes the fine rows and merges them into the coarse
// ones. Replicas running it at the same time move each row once.
func (s *Store) RollupUsage(ctx context.Context, from, to coditect.UsageResolution, before time.Time) (int, error) {
	if err := coditect.CheckRollup(from, to); err != nil {
		return 0, err
	}
	tenants, err := s.q.ListUsageTenants(ctx, sqlcdb.ListUsageTenantsParams{Resolution: string(from), Before: stored(before)})
	if err != nil {
		return 0, storeError("roll up usage", usageKind, err)
	}
	total := 0
	for _, tenantID := range tenants {
		n, err := s.tenant(tenantID).RollupUsage(ctx, sqlcdb.RollupUsageParams{
			TenantID: tenantID, FromResolution: string(from), Before: stored(before), ToResolution: string(to),
		})
		if err != nil {
			return total, storeError("roll up usage", usageKind, err)
		}
		total += int(n)
	}
	return total, nil
}

// DeleteUsage deletes every tenant's buckets of resolution that start
// before before, tenant by tenant as RollupUsage does.
func (s *Store) DeleteUsage(ctx context.Context, resolution coditect.UsageResolution, before time.Time) (int, error) {
	if !resolution.Valid() {
		return 0, coditect.Errorf(coditect.CodeInvalidRequest, "Usage resolution %q is not minute, hour or day.", resolution)
	}
	tenants, err := s.q.ListUsageTenants(ctx, sqlcdb.ListUsageTenantsParams{Resolution: string(resolution), Before: stored(before)})
	if err != nil {
		return 0, storeError("delete usage", usageKind, err)
	}
	total := 0
	for _, tenantID := range tenants {
		n, err := s.tenant(tenantID).DeleteUsage(ctx, sqlcdb.DeleteUsageParams{TenantID: tenantID, Resolution: string(resolution), Before: stored(before)})
		if err != nil {
			return total, storeError("delete usage", usageKind, err)
		}
		total += int(n)
	}
	return total, nil
}
