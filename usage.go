package coditect

import (
	"context"
	"time"
)

// UsageResolution is the width of a usage bucket.
type UsageResolution string

// Usage resolutions, finest first. Buckets are aligned to UTC: a minute
// bucket starts on a whole minute, an hour bucket on a whole hour, a day
// bucket at midnight UTC.
const (
	UsageMinute UsageResolution = "minute"
	UsageHour   UsageResolution = "hour"
	UsageDay    UsageResolution = "day"
)

// Duration returns the width of a bucket of resolution r, zero when r is
// not a resolution.
func (r UsageResolution) Duration() time.Duration {
	switch r {
	case UsageMinute:
		return time.Minute
	case UsageHour:
		return time.Hour
	case UsageDay:
		return 24 * time.Hour
	}
	return 0
}

// Valid reports whether r is one of the resolutions.
func (r UsageResolution) Valid() bool { return r.Duration() > 0 }

// Truncate returns the start of the bucket of resolution r that holds t, in
// UTC. Go's zero time is midnight UTC, so whole days are UTC days.
func (r UsageResolution) Truncate(t time.Time) time.Time {
	return t.UTC().Truncate(r.Duration())
}

// UsageBucket is what one license was used for in one interval: the most
// seats in use at once, the seats granted to new sessions, the acquires
// refused because every seat was taken, and how many users and machines
// were given a seat.
type UsageBucket struct {
	TenantID   string
	LicenseID  string
	Resolution UsageResolution
	// Start is the first instant of the bucket, aligned to Resolution.
	Start     time.Time
	PeakInUse int
	Acquires  int
	Denials   int
	// DistinctUsers and DistinctMachines are exact for one server replica
	// and one minute. Where two counts meet (two replicas writing the same
	// minute, minutes rolled up into an hour) the larger one is kept, so a
	// merged count is a lower bound: the true number lies between it and
	// the sum of the counts merged.
	DistinctUsers    int
	DistinctMachines int
}

// Merge folds o into b, as the stores do when two buckets of the same
// license and interval meet: the peak and the distinct counts take the
// larger value, acquires and denials add up.
func (b *UsageBucket) Merge(o UsageBucket) {
	b.PeakInUse = max(b.PeakInUse, o.PeakInUse)
	b.Acquires += o.Acquires
	b.Denials += o.Denials
	b.DistinctUsers = max(b.DistinctUsers, o.DistinctUsers)
	b.DistinctMachines = max(b.DistinctMachines, o.DistinctMachines)
}

// Validate checks what a store requires of a bucket it is given.
func (b *UsageBucket) Validate() error {
	if b.TenantID == "" || b.LicenseID == "" {
		return Errorf(CodeInvalidRequest, "A usage bucket needs a tenant and a license.")
	}
	if !b.Resolution.Valid() {
		return Errorf(CodeInvalidRequest, "Usage resolution %q is not minute, hour or day.", b.Resolution)
	}
	if !b.Start.Equal(b.Resolution.Truncate(b.Start)) {
		return Errorf(CodeInvalidRequest, "A usage bucket of resolution %s must start on a whole %s.", b.Resolution, b.Resolution)
	}
	if b.PeakInUse < 0 || b.Acquires < 0 || b.Denials < 0 || b.DistinctUsers < 0 || b.DistinctMachines < 0 {
		return Errorf(CodeInvalidRequest, "Usage counts must not be negative.")
	}
	return nil
}

// UsageStore keeps the usage history: per license, one bucket per minute,
// rolled up into hours and days as it ages.
//
// Of the four methods, AddUsage and ListUsage work on a tenant's rows; the
// retention jobs RollupUsage and DeleteUsage span every tenant. All of them
// are safe to run on several replicas at once: a fine bucket is rolled up
// exactly once, and deleting twice deletes nothing the second time.
type UsageStore interface {
	// AddUsage merges buckets into the stored ones (see UsageBucket.Merge),
	// inserting those that do not exist yet. Buckets of licenses that do
	// not exist (or not in the bucket's tenant) are dropped: usage counted
	// just before a license was deleted has nothing left to describe. An
	// invalid bucket is a CodeInvalidRequest error and nothing is written.
	AddUsage(ctx context.Context, buckets []UsageBucket) error
	// ListUsage returns a tenant's usage at resolution, one bucket per
	// license and interval, ordered by start, then license ID. Stored
	// buckets of that resolution and finer ones are merged into it;
	// coarser ones are left out. A stored bucket counts when its own start
	// lies in [from, to). licenseID narrows the list to one license; empty
	// means every license of the tenant.
	ListUsage(ctx context.Context, tenantID, licenseID string, resolution UsageResolution, from, to time.Time) ([]UsageBucket, error)
	// RollupUsage merges every bucket of resolution from that starts
	// before before into the bucket of resolution to that holds it, and
	// deletes the fine ones, atomically per tenant. It returns how many
	// fine buckets it rolled up. to must be coarser than from.
	RollupUsage(ctx context.Context, from, to UsageResolution, before time.Time) (int, error)
	// DeleteUsage deletes every bucket of resolution that starts before
	// before and returns how many it deleted.
	DeleteUsage(ctx context.Context, resolution UsageResolution, before time.Time) (int, error)
}

// CheckRollup checks the resolutions of a RollupUsage call.
func CheckRollup(from, to UsageResolution) error {
	if !from.Valid() || !to.Valid() || to.Duration() <= from.Duration() {
		return Errorf(CodeInvalidRequest, "Usage can only be rolled up from a finer resolution into a coarser one (got %q to %q).", from, to)
	}
	return nil
}

// UsageResolutionsUpTo returns r and every finer resolution, finest first:
// the stored resolutions ListUsage merges into r.
func UsageResolutionsUpTo(r UsageResolution) []UsageResolution {
	var out []UsageResolution
	for _, x := range []UsageResolution{UsageMinute, UsageHour, UsageDay} {
		if x.Duration() <= r.Duration() {
			out = append(out, x)
		}
	}
	return out
}
