package seat

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// UsageWriter is what usage recording needs from the store.
type UsageWriter interface {
	AddUsage(ctx context.Context, buckets []coditect.UsageBucket) error
}

// maxUsageMinutes bounds the license-minutes waiting in memory for a
// store that keeps failing; beyond it new minutes are dropped (and counted
// in a warning) rather than growing without end.
const maxUsageMinutes = 100_000

// usageRecorder counts, per license and minute, what FlushUsage writes to
// the store. It takes no store or ledger call on the request path: an
// acquire adds to a map under a mutex, a heartbeat notes that its license
// has a live lease.
type usageRecorder struct {
	flush   sync.Mutex // one FlushUsage at a time
	mu      sync.Mutex
	minutes map[usageKey]*usageMinute
	live    map[licenseRef]*liveLicense
	dropped int
}

type usageKey struct {
	tenantID, licenseID string
	minute              int64 // Unix minutes
}

type licenseRef struct{ tenantID, licenseID string }

// usageMinute is one license's minute. The peak and the sets are the whole
// minute's on this replica, so writing them again is harmless (the store
// keeps the larger value); acquires and denials count only what was not
// written yet.
type usageMinute struct {
	peak              int
	acquires, denials int
	users, machines   map[string]struct{}
	dirty             bool // changed since it was last written
}

// liveLicense is a license this replica saw a lease of: FlushUsage counts
// its seats once a minute while a lease may be live, so a minute in which
// seats were held but nobody acquired one still has its peak.
type liveLicense struct {
	until   time.Time // the latest lease expiry seen
	sampled int64     // the last minute whose peak holds a count
}

func unixMinute(t time.Time) int64 { return t.Unix() / 60 }

// minute returns the license's minute holding at, creating it; nil when
// the buffer is full. The caller holds r.mu.
func (r *usageRecorder) minute(tenantID, licenseID string, at int64) *usageMinute {
	k := usageKey{tenantID, licenseID, at}
	if m := r.minutes[k]; m != nil {
		return m
	}
	if r.minutes == nil {
		r.minutes = make(map[usageKey]*usageMinute)
	}
	if len(r.minutes) >= maxUsageMinutes {
		r.dropped++
		return nil
	}
	m := &usageMinute{users: map[string]struct{}{}, machines: map[string]struct{}{}}
	r.minutes[k] = m
	return m
}

// seen notes a live lease of a license until exp; sampled, when not zero,
// is a minute whose peak already holds a count.
func (r *usageRecorder) seen(ref licenseRef, exp time.Time, sampled int64) {
	if r.live == nil {
		r.live = make(map[licenseRef]*liveLicense)
	}
	l := r.live[ref]
	if l == nil {
		l = &liveLicense{}
		r.live[ref] = l
	}
	if exp.After(l.until) {
		l.until = exp
	}
	l.sampled = max(l.sampled, sampled)
}

// recordGrant counts a seat given to sess (a new session when created, the
// renewed one of the same instance otherwise) with inUse seats taken.
func (s *Service) recordGrant(lic *coditect.License, sess *coditect.Session, inUse int, created bool, now time.Time) {
	if s.usage == nil {
		return
	}
	at := unixMinute(now)
	r := &s.rec
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen(licenseRef{lic.TenantID, lic.ID}, sess.ExpiresAt, at)
	m := r.minute(lic.TenantID, lic.ID, at)
	if m == nil {
		return
	}
	if inUse > m.peak {
		m.peak, m.dirty = inUse, true
	}
	if created {
		m.acquires++
		m.dirty = true
	}
	if _, ok := m.users[sess.User]; !ok && sess.User != "" {
		m.users[sess.User] = struct{}{}
		m.dirty = true
	}
	if _, ok := m.machines[sess.Fingerprint]; !ok {
		m.machines[sess.Fingerprint] = struct{}{}
		m.dirty = true
	}
}

// recordDenial counts an acquire refused because all seats were taken.
func (s *Service) recordDenial(lic *coditect.License, inUse int, now time.Time) {
	if s.usage == nil {
		return
	}
	r := &s.rec
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.minute(lic.TenantID, lic.ID, unixMinute(now))
	if m == nil {
		return
	}
	m.denials++
	m.peak = max(m.peak, inUse)
	m.dirty = true
}

// recordHeartbeat notes a lease extended until exp.
func (s *Service) recordHeartbeat(tenantID, licenseID string, exp time.Time) {
	if s.usage == nil {
		return
	}
	s.rec.mu.Lock()
	s.rec.seen(licenseRef{tenantID, licenseID}, exp, 0)
	s.rec.mu.Unlock()
}

// FlushUsage writes the usage counted since the last flush: one bucket per
// license and minute, merged into the stored one. First it counts the
// seats of every license with a lease this replica saw that may still be
// live, once a minute, so that a minute with seats held but no acquire
// gets its peak too. Counts that fail to be written are kept for the next
// flush. Sweep calls it; call it once more at shutdown.
func (s *Service) FlushUsage(ctx context.Context) error {
	if s.usage == nil {
		return nil
	}
	r := &s.rec
	r.flush.Lock()
	defer r.flush.Unlock()
	now := s.now()
	cur := unixMinute(now)
	s.sampleLive(ctx, now, cur)

	type taken struct {
		key               usageKey
		acquires, denials int
	}
	byTenant := map[string][]coditect.UsageBucket{}
	pending := map[string][]taken{}
	r.mu.Lock()
	for k, m := range r.minutes {
		if !m.dirty {
			if k.minute < cur {
				delete(r.minutes, k) // written, and over
			}
			continue
		}
		byTenant[k.tenantID] = append(byTenant[k.tenantID], coditect.UsageBucket{
			TenantID: k.tenantID, LicenseID: k.licenseID, Resolution: coditect.UsageMinute,
			Start: time.Unix(k.minute*60, 0).UTC(), PeakInUse: m.peak, Acquires: m.acquires, Denials: m.denials,
			DistinctUsers: len(m.users), DistinctMachines: len(m.machines),
		})
		pending[k.tenantID] = append(pending[k.tenantID], taken{k, m.acquires, m.denials})
		m.acquires, m.denials, m.dirty = 0, 0, false
	}
	dropped := r.dropped
	r.dropped = 0
	r.mu.Unlock()
	if dropped > 0 {
		s.logger.Warn("usage buffer full; minutes of usage dropped", "dropped", dropped)
	}

	// One tenant at a time: a store may have written some tenants of a
	// batch before it failed, and only what failed is counted again.
	var errs []error
	for tenantID, buckets := range byTenant {
		for i := 0; i < len(buckets); i += batchSize {
			j := min(i+batchSize, len(buckets))
			err := s.usage.AddUsage(ctx, buckets[i:j])
			if err == nil {
				continue
			}
			errs = append(errs, err)
			r.mu.Lock()
			for _, p := range pending[tenantID][i:j] {
				// Only FlushUsage deletes minutes, and it holds r.flush.
				m := r.minutes[p.key]
				m.acquires += p.acquires
				m.denials += p.denials
				m.dirty = true
			}
			r.mu.Unlock()
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("write usage: %w", errors.Join(errs...))
	}
	return nil
}

// sampleLive counts the seats of each license that may have a live lease
// and was not counted in minute cur yet.
func (s *Service) sampleLive(ctx context.Context, now time.Time, cur int64) {
	r := &s.rec
	var due []licenseRef
	r.mu.Lock()
	for ref, l := range r.live {
		switch {
		case !l.until.After(now):
			delete(r.live, ref)
		case l.sampled < cur:
			l.sampled = cur
			due = append(due, ref)
		}
	}
	r.mu.Unlock()
	for _, ref := range due {
		n, err := s.countLeases(ctx, ref.tenantID, ref.licenseID)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.logger.Warn("count seats for usage", "license_id", ref.licenseID, "err", err)
			continue
		}
		if n == 0 {
			continue
		}
		r.mu.Lock()
		if m := r.minute(ref.tenantID, ref.licenseID, cur); m != nil && n > m.peak {
			m.peak, m.dirty = n, true
		}
		r.mu.Unlock()
	}
}

// UsageRetention says how long usage history is kept at each resolution.
type UsageRetention struct {
	// Minute is how long minute buckets are kept; older ones are rolled up
	// into hours.
	Minute time.Duration
	// Hour is how long hour buckets are kept (never less than Minute);
	// older ones are rolled up into days.
	Hour time.Duration
	// Total is how long any bucket is kept.
	Total time.Duration
}

// DefaultUsageRetention keeps 14 days of minutes, 30 days of hours and 400
// days in all.
var DefaultUsageRetention = UsageRetention{Minute: 14 * 24 * time.Hour, Hour: 30 * 24 * time.Hour, Total: 400 * 24 * time.Hour}

// UsageMaintainer is what the retention pass needs from the store.
type UsageMaintainer interface {
	RollupUsage(ctx context.Context, from, to coditect.UsageResolution, before time.Time) (int, error)
	DeleteUsage(ctx context.Context, resolution coditect.UsageResolution, before time.Time) (int, error)
}

// RetainUsage runs one retention pass at now: it deletes every bucket
// older than r.Total, rolls minutes older than r.Minute up into hours and
// hours older than r.Hour up into days. Cut-offs fall on whole hours and
// days, so a coarse bucket is built in one go and most passes find nothing
// to do. It returns how many buckets it rolled up and deleted.
//
// The pass is idempotent and safe to run on several replicas at once: the
// stores roll each fine bucket up exactly once, and a second deletion finds
// nothing left.
func RetainUsage(ctx context.Context, store UsageMaintainer, r UsageRetention, now time.Time) (rolled, deleted int, err error) {
	deleteBefore := coditect.UsageDay.Truncate(now.Add(-r.Total))
	for _, res := range []coditect.UsageResolution{coditect.UsageMinute, coditect.UsageHour, coditect.UsageDay} {
		n, err := store.DeleteUsage(ctx, res, deleteBefore)
		deleted += n
		if err != nil {
			return rolled, deleted, fmt.Errorf("delete %s usage: %w", res, err)
		}
	}
	n, err := store.RollupUsage(ctx, coditect.UsageMinute, coditect.UsageHour, coditect.UsageHour.Truncate(now.Add(-r.Minute)))
	rolled += n
	if err != nil {
		return rolled, deleted, fmt.Errorf("roll up minutes: %w", err)
	}
	n, err = store.RollupUsage(ctx, coditect.UsageHour, coditect.UsageDay, coditect.UsageDay.Truncate(now.Add(-max(r.Hour, r.Minute))))
	rolled += n
	if err != nil {
		return rolled, deleted, fmt.Errorf("roll up hours: %w", err)
	}
	return rolled, deleted, nil
}
