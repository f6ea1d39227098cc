// Package memory implements coditect.Ledger in process memory: the seat
// ledger of a single server, and a reference for the conformance suite in
// ledgertest. Its state is lost on restart; the server rebuilds it with
// Restore.
package memory

import (
	"context"
	"hash/maphash"
	"math"
	"sync"
	"time"

	"github.com/coditect/coditect-license"
)

// shardCount spreads licenses over independent locks so that calls for
// different licenses rarely contend. A power of two keeps the modulo cheap.
const shardCount = 256

var _ coditect.Ledger = (*Ledger)(nil)

// Ledger is an in-memory coditect.Ledger. Each license keeps its leases in a
// map by session and in a min-heap by expiry, so Acquire, Heartbeat and
// Release cost O(log n) in that license's leases. Expired leases are dropped
// by the calls that touch their license, and by Prune. A lease is live while
// now < its expiry. Create one with NewLedger.
type Ledger struct {
	// Now is the clock for calls whose time is the zero time.Time. NewLedger
	// sets it to time.Now; set it before the ledger is used.
	Now func() time.Time

	seed   maphash.Seed
	shards [shardCount]shard
}

// shard guards a set of licenses. Its one lock covers both the map and every
// license in it, so removing an empty license can never race with a call
// that is about to use it.
type shard struct {
	mu       sync.Mutex
	licenses map[string]*license
	// Pads the struct to 64 bytes so neighbouring locks don't share a cache line.
	_ [48]byte
}

// license holds one license's leases: by session, and in expiry, a min-heap
// ordered by expiry in which every lease knows its index.
type license struct {
	sessions map[string]*lease
	expiry   []*lease
}

type lease struct {
	session string
	expires int64 // Unix nanoseconds
	index   int   // position in license.expiry
}

// NewLedger returns an empty Ledger that reads time.Now when a call passes
// the zero time.
func NewLedger() *Ledger {
	l := &Ledger{Now: time.Now, seed: maphash.MakeSeed()}
	for i := range l.shards {
		l.shards[i].licenses = make(map[string]*license)
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

	s := l.shard(p.LicenseID)
	s.mu.Lock()
	defer s.mu.Unlock()
	lic := s.licenses[p.LicenseID]
	if lic == nil {
		// Never left empty: Limit >= 1 means this call either grants or finds
		// a live lease, so no cleanup is needed on any path below.
		lic = &license{sessions: make(map[string]*lease)}
		s.licenses[p.LicenseID] = lic
	}
	lic.dropExpired(now)

	if e := lic.sessions[p.SessionID]; e != nil {
		e.expires = expires
		lic.fix(e.index)
		return coditect.AcquireResult{Granted: true, Renewed: true, ExpiresAt: time.Unix(0, expires), InUse: len(lic.expiry)}, nil
	}
	if len(lic.expiry) >= p.Limit {
		return coditect.AcquireResult{InUse: len(lic.expiry), EarliestExpiry: time.Unix(0, lic.expiry[0].expires)}, nil
	}
	lic.push(&lease{session: p.SessionID, expires: expires})
	return coditect.AcquireResult{Granted: true, ExpiresAt: time.Unix(0, expires), InUse: len(lic.expiry)}, nil
}

// Heartbeat extends a live lease to p.Now+p.TTL. It reports live=false, and
// drops the lease, if the lease expired; a lease is never brought back. A
// zero p.Now means l.Now().
func (l *Ledger) Heartbeat(_ context.Context, p coditect.HeartbeatParams) (time.Time, bool, error) {
	if p.TTL <= 0 {
		return time.Time{}, false, coditect.Errorf(coditect.CodeInvalidRequest, "The lease TTL must be positive, not %v.", p.TTL)
	}
	now := l.now(p.Now)

	s := l.shard(p.LicenseID)
	s.mu.Lock()
	defer s.mu.Unlock()
	lic := s.licenses[p.LicenseID]
	if lic == nil {
		return time.Time{}, false, nil
	}
	lic.dropExpired(now)
	e := lic.sessions[p.SessionID]
	if e == nil {
		s.removeIfEmpty(p.LicenseID, lic)
		return time.Time{}, false, nil
	}
	e.expires = addTTL(now, p.TTL)
	lic.fix(e.index)
	return time.Unix(0, e.expires), true, nil
}

// Release removes a lease. Releasing an unknown lease does nothing.
func (l *Ledger) Release(_ context.Context, licenseID, sessionID string) error {
	s := l.shard(licenseID)
	s.mu.Lock()
	defer s.mu.Unlock()
	lic := s.licenses[licenseID]
	if lic == nil {
		return nil
	}
	if e := lic.sessions[sessionID]; e != nil {
		lic.remove(e.index)
	}
	s.removeIfEmpty(licenseID, lic)
	return nil
}

// Count drops the license's expired leases and returns how many are live at
// now. A zero now means l.Now().
func (l *Ledger) Count(_ context.Context, licenseID string, now time.Time) (int, error) {
	n := l.now(now)
	s := l.shard(licenseID)
	s.mu.Lock()
	defer s.mu.Unlock()
	lic := s.licenses[licenseID]
	if lic == nil {
		return 0, nil
	}
	lic.dropExpired(n)
	s.removeIfEmpty(licenseID, lic)
	return len(lic.expiry), nil
}

// Lookup returns the expiry of a lease live at now; ok is false if it is
// expired or unknown. A zero now means l.Now().
func (l *Ledger) Lookup(_ context.Context, licenseID, sessionID string, now time.Time) (time.Time, bool, error) {
	n := l.now(now)
	s := l.shard(licenseID)
	s.mu.Lock()
	defer s.mu.Unlock()
	if lic := s.licenses[licenseID]; lic != nil {
		if e := lic.sessions[sessionID]; e != nil && e.expires > n {
			return time.Unix(0, e.expires), true, nil
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
	s := l.shard(licenseID)
	s.mu.Lock()
	defer s.mu.Unlock()
	lic := s.licenses[licenseID]
	if lic == nil {
		lic = &license{sessions: make(map[string]*lease)}
		s.licenses[licenseID] = lic
	}
	if e := lic.sessions[sessionID]; e != nil {
		if expires > e.expires {
			e.expires = expires
			lic.fix(e.index)
		}
		return
	}
	lic.push(&lease{session: sessionID, expires: expires})
}

// Ping returns nil: memory is always reachable.
func (l *Ledger) Ping(context.Context) error {
	return nil
}

// Prune drops every lease expired at now, across all licenses, and returns
// how many it dropped. Calls drop expired leases of the licenses they touch;
// Prune is for licenses nobody touches any more, and costs O(licenses) plus
// O(log n) per dropped lease. A zero now means l.Now().
func (l *Ledger) Prune(now time.Time) int {
	n := l.now(now)
	dropped := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		for id, lic := range s.licenses {
			before := len(lic.expiry)
			lic.dropExpired(n)
			dropped += before - len(lic.expiry)
			s.removeIfEmpty(id, lic)
		}
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
		for _, lic := range s.licenses {
			n += len(lic.expiry)
		}
		s.mu.Unlock()
	}
	return n
}

func (l *Ledger) shard(licenseID string) *shard {
	return &l.shards[maphash.String(l.seed, licenseID)%shardCount]
}

func (l *Ledger) now(t time.Time) int64 {
	if t.IsZero() {
		t = l.Now()
	}
	return unixNano(t)
}

// removeIfEmpty forgets a license without leases, so idle licenses cost no
// memory. The caller holds s.mu.
func (s *shard) removeIfEmpty(licenseID string, lic *license) {
	if len(lic.expiry) == 0 {
		delete(s.licenses, licenseID)
	}
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

func (c *license) dropExpired(now int64) {
	for len(c.expiry) > 0 && c.expiry[0].expires <= now {
		c.remove(0)
	}
}

func (c *license) push(e *lease) {
	e.index = len(c.expiry)
	c.expiry = append(c.expiry, e)
	c.sessions[e.session] = e
	c.up(e.index)
}

func (c *license) remove(i int) {
	e := c.expiry[i]
	last := len(c.expiry) - 1
	if i != last {
		c.swap(i, last)
	}
	c.expiry[last] = nil // let the lease be collected
	c.expiry = c.expiry[:last]
	if i != last {
		c.fix(i)
	}
	delete(c.sessions, e.session)
}

// fix restores the heap order after the lease at i changed its expiry.
func (c *license) fix(i int) {
	if !c.down(i) {
		c.up(i)
	}
}

func (c *license) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if c.expiry[i].expires <= c.expiry[j].expires {
			break
		}
		c.swap(i, j)
		j = i
	}
}

func (c *license) down(i0 int) bool {
	n := len(c.expiry)
	i := i0
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && c.expiry[r].expires < c.expiry[j].expires {
			j = r
		}
		if c.expiry[i].expires <= c.expiry[j].expires {
			break
		}
		c.swap(i, j)
		i = j
	}
	return i > i0
}

func (c *license) swap(i, j int) {
	h := c.expiry
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}
