// Package memory implements coditect.Ledger in process memory: the seat
// ledger of a single server, and a reference for the conformance suite in
// ledgertest. Its state is lost on restart; the server rebuilds it with
// Restore.
package memory

import (
	"context"
	"hash/maphash"
	"math"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/coditect/coditect-license"
)

// shardCount spreads licenses over independent locks so that calls for
// different licenses rarely contend. A power of two keeps the modulo cheap.
const shardCount = 256

var _ coditect.Ledger = (*Ledger)(nil)

// Ledger is an in-memory coditect.Ledger. A lease is live while now < its
// expiry. Licenses are spread over shards. A shard keeps its licenses in an
// index (licenses.go), each license an expiry queue of its leases
// (queue.go), and all their leases by value in one open-addressing table
// keyed by (license, session) (table.go). Heartbeat, Lookup and the renewal
// in Acquire touch one license entry and one lease slot whatever the number
// of leases, and start both memory accesses together (shard.warm); the
// queue is not told about heartbeats. Expired leases are dropped by
// Acquire, Count, Prune and by a Heartbeat that finds its lease expired.
// Create one with NewLedger.
type Ledger struct {
	// Now is the clock for calls whose time is the zero time.Time. NewLedger
	// sets it to time.Now; set it before the ledger is used.
	Now func() time.Time

	seed   maphash.Seed
	shards [shardCount]shard
}

// shard guards a set of licenses. Its one lock covers the lease table and
// every license in it, so removing an empty license can never race with a
// call that is about to use it.
type shard struct {
	mu sync.Mutex
	table
	licenses licenseIndex
	names
	// warmed receives a value read only to start its cache miss early.
	warmed int64
	// Keeps the next shard's lock off this shard's last cache line.
	_ [64]byte
}

// NewLedger returns an empty Ledger that reads time.Now when a call passes
// the zero time.
func NewLedger() *Ledger {
	l := &Ledger{Now: time.Now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		// The table's hash seed only spreads keys; it needs no secrecy
		// beyond being unknown to whoever picks the IDs.
		l.shards[i].seed = [2]uint64{rand.Uint64(), rand.Uint64()}
	}
	return l
}

// Acquire drops the license's expired leases, then extends the session's live
// lease, grants a new one if fewer than p.Limit are live, or refuses with the
// earliest expiry. A zero p.Now means l.Now().
func (l *Ledger) Acquire(_ context.Context, p coditect.AcquireParams) (coditect.AcquireResult, error) {
	switch {
	case p.LicenseID == "" || p.SessionID == "":
		return coditect.AcquireResult{}, coditect.Errorf(coditect.CodeInvalidRequest, "A lease needs a license ID and a session ID.")
	case p.TTL <= 0:
		return coditect.AcquireResult{}, coditect.Errorf(coditect.CodeInvalidRequest, "The lease TTL must be positive, not %v.", p.TTL)
	case p.Limit < 1:
		return coditect.AcquireResult{}, coditect.Errorf(coditect.CodeInvalidRequest, "The seat limit must be at least 1, not %d.", p.Limit)
	}
	now := l.now(p.Now)
	expires := addTTL(now, p.TTL)

	var id licenseKey
	var sess session
	s := l.shard(&id, p.LicenseID)
	l.parseSession(&sess, p.SessionID, &id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warm(&sess)
	// A new license is never left empty: Limit >= 1 means this call either
	// grants or finds a live lease, so no cleanup is needed on any path below.
	lic := s.license(&id)
	s.dropExpired(lic, now)

	k, h, known := s.key(lic, &sess)
	if known {
		if i := s.find(k, h); i >= 0 {
			s.extend(i, expires)
			return coditect.AcquireResult{Granted: true, Renewed: true, ExpiresAt: time.Unix(0, expires), InUse: s.inUse(lic)}, nil
		}
	}
	if n := s.inUse(lic); n >= p.Limit {
		return coditect.AcquireResult{InUse: n, EarliestExpiry: time.Unix(0, s.earliest(lic))}, nil
	}
	if !known {
		k, h = s.name(lic, &sess)
	}
	s.insert(s.lic(lic), k, h, expires)
	return coditect.AcquireResult{Granted: true, ExpiresAt: time.Unix(0, expires), InUse: s.inUse(lic)}, nil
}

// Heartbeat extends a live lease to p.Now+p.TTL. It reports live=false, and
// drops the lease, if the lease expired; a lease is never brought back. A
// zero p.Now means l.Now().
func (l *Ledger) Heartbeat(_ context.Context, p coditect.HeartbeatParams) (time.Time, bool, error) {
	if p.TTL <= 0 {
		return time.Time{}, false, coditect.Errorf(coditect.CodeInvalidRequest, "The lease TTL must be positive, not %v.", p.TTL)
	}
	now := l.now(p.Now)

	var id licenseKey
	var sess session
	s := l.shard(&id, p.LicenseID)
	l.parseSession(&sess, p.SessionID, &id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warm(&sess)
	lic, ok := s.lookupLicense(&id)
	if !ok {
		return time.Time{}, false, nil
	}
	if k, h, known := s.key(lic, &sess); known {
		if i := s.find(k, h); i >= 0 && s.slots[i].expires > now {
			expires := addTTL(now, p.TTL)
			s.extend(i, expires)
			return time.Unix(0, expires), true, nil
		}
	}
	// The lease is unknown or expired; an expired one is dropped here with
	// the license's other expired leases.
	s.dropExpired(lic, now)
	s.removeIfEmpty(lic)
	return time.Time{}, false, nil
}

// Release removes a lease. Releasing an unknown lease does nothing.
func (l *Ledger) Release(_ context.Context, licenseID, sessionID string) error {
	var id licenseKey
	var sess session
	s := l.shard(&id, licenseID)
	l.parseSession(&sess, sessionID, &id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warm(&sess)
	lic, ok := s.lookupLicense(&id)
	if !ok {
		return nil
	}
	if k, h, known := s.key(lic, &sess); known {
		if i := s.find(k, h); i >= 0 {
			s.remove(s.lic(lic), i)
		}
	}
	s.removeIfEmpty(lic)
	return nil
}

// Count drops the license's expired leases and returns how many are live at
// now. A zero now means l.Now().
func (l *Ledger) Count(_ context.Context, licenseID string, now time.Time) (int, error) {
	n := l.now(now)
	var id licenseKey
	s := l.shard(&id, licenseID)
	s.mu.Lock()
	defer s.mu.Unlock()
	lic, ok := s.lookupLicense(&id)
	if !ok {
		return 0, nil
	}
	s.dropExpired(lic, n)
	live := s.inUse(lic)
	s.removeIfEmpty(lic)
	return live, nil
}

// Lookup returns the expiry of a lease live at now; ok is false if it is
// expired or unknown. A zero now means l.Now().
func (l *Ledger) Lookup(_ context.Context, licenseID, sessionID string, now time.Time) (time.Time, bool, error) {
	n := l.now(now)
	var id licenseKey
	var sess session
	s := l.shard(&id, licenseID)
	l.parseSession(&sess, sessionID, &id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warm(&sess)
	if lic, ok := s.lookupLicense(&id); ok {
		if k, h, known := s.key(lic, &sess); known {
			if i := s.find(k, h); i >= 0 && s.slots[i].expires > n {
				return time.Unix(0, s.slots[i].expires), true, nil
			}
		}
	}
	return time.Time{}, false, nil
}

// Restore puts a license's leases back without checking limits and skips
// those expired at now. Where the ledger already holds a restored lease, the
// later expiry wins. Nothing is restored if any lease lacks a session ID or
// belongs to another license.
func (l *Ledger) Restore(_ context.Context, licenseID string, leases []coditect.Lease, now time.Time) error {
	if licenseID == "" {
		return coditect.Errorf(coditect.CodeInvalidRequest, "A license ID is required to restore leases.")
	}
	for i, le := range leases {
		if le.SessionID == "" || (le.LicenseID != "" && le.LicenseID != licenseID) {
			return coditect.Errorf(coditect.CodeInvalidRequest, "Lease %d to restore lacks a session ID or belongs to another license.", i)
		}
	}
	n := l.now(now)
	for _, le := range leases {
		expires := unixNano(le.ExpiresAt)
		if expires <= n {
			continue
		}
		l.restore(licenseID, le.SessionID, expires)
	}
	return nil
}

func (l *Ledger) restore(licenseID, sessionID string, expires int64) {
	var id licenseKey
	var sess session
	s := l.shard(&id, licenseID)
	l.parseSession(&sess, sessionID, &id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.warm(&sess)
	lic := s.license(&id)
	k, h, known := s.key(lic, &sess)
	if known {
		if i := s.find(k, h); i >= 0 {
			if expires > s.slots[i].expires {
				s.extend(i, expires)
			}
			return
		}
	}
	if !known {
		k, h = s.name(lic, &sess)
	}
	s.insert(s.lic(lic), k, h, expires)
}

// Ping returns nil: memory is always reachable.
func (l *Ledger) Ping(context.Context) error {
	return nil
}

// Prune drops every lease expired at now, across all licenses, and returns
// how many it dropped. Calls drop expired leases of the licenses they touch;
// Prune is for licenses nobody touches any more, and costs O(licenses) plus
// O(log n) per lease it drops or re-queues. A zero now means l.Now().
func (l *Ledger) Prune(now time.Time) int {
	n := l.now(now)
	dropped := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for i := range s.licenses.entries {
			c := s.lic(uint32(i))
			if c.state != liveEntry {
				continue
			}
			before := len(c.queue)
			s.dropExpired(uint32(i), n)
			dropped += before - len(c.queue)
			s.dropIfEmpty(uint32(i))
		}
		s.licenses.shrink()
		s.mu.Unlock()
	}
	return dropped
}

// Len returns the number of leases held across all licenses, including
// expired ones not dropped yet.
func (l *Ledger) Len() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += s.count
		s.mu.Unlock()
	}
	return n
}

// shard parses a license ID into id and returns the license's shard.
func (l *Ledger) shard(id *licenseKey, licenseID string) *shard {
	id.parse(licenseID, maphash.String(l.seed, licenseID))
	return &l.shards[id.hash%shardCount]
}

func (l *Ledger) now(t time.Time) int64 {
	if t.IsZero() {
		t = l.Now()
	}
	return unixNano(t)
}

// inUse is the number of leases a license holds: after dropExpired, the
// number of live ones.
func (s *shard) inUse(lic uint32) int {
	return len(s.lic(lic).queue)
}

var (
	minTime = time.Unix(0, math.MinInt64)
	maxTime = time.Unix(0, math.MaxInt64)
)

// unixNano is t.UnixNano saturated to the int64 range; time leaves the result
// undefined outside the years 1678 to 2262, and the zero time is outside.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return math.MinInt64
	case t.After(maxTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// addTTL is now+ttl saturated at the largest time, so a huge TTL means
// "never expires" instead of wrapping into the past.
func addTTL(now int64, ttl time.Duration) int64 {
	if now > 0 && int64(ttl) > math.MaxInt64-now {
		return math.MaxInt64
	}
	return now + int64(ttl)
}
