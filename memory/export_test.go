package memory

import (
	"fmt"
	"math/bits"
)

// LicenseCount returns how many licenses hold state, so tests can check that
// empty licenses are forgotten.
func (l *Ledger) LicenseCount() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += s.licenses.live
		s.mu.Unlock()
	}
	return n
}

// ShardOf returns the shard that holds a license, so tests can put several
// licenses in one shard's table.
func (l *Ledger) ShardOf(licenseID string) int {
	var id licenseKey
	s := l.shard(&id, licenseID)
	for i := range l.shards {
		if &l.shards[i] == s {
			return i
		}
	}
	panic("license in no shard")
}

// TableSlots returns the number of lease slots allocated across all shards.
func (l *Ledger) TableSlots() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.slots)
		s.mu.Unlock()
	}
	return n
}

// LicenseEntries returns the number of license index entries allocated
// across all shards.
func (l *Ledger) LicenseEntries() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.licenses.entries)
		s.mu.Unlock()
	}
	return n
}

// CheckInvariants returns an error describing the first broken invariant of
// the table, the queues, the license maps and the session numbers.
func (l *Ledger) CheckInvariants() error {
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		err := s.check(l)
		s.mu.Unlock()
		if err != nil {
			return fmt.Errorf("shard %d: %w", i, err)
		}
	}
	return nil
}

func (s *shard) check(l *Ledger) error {
	if err := s.checkLicenses(); err != nil {
		return err
	}
	if n := len(s.slots); n != 0 && (bits.OnesCount(uint(n)) != 1 || int(s.shift) != 64-bits.TrailingZeros(uint(n))) {
		return fmt.Errorf("table of %d slots has shift %d", n, s.shift)
	}
	if s.count*4 > len(s.slots)*3 {
		return fmt.Errorf("table holds %d leases in %d slots", s.count, len(s.slots))
	}
	if s.count == 0 && s.slots != nil {
		return fmt.Errorf("empty table keeps %d slots", len(s.slots))
	}
	namedLeases := 0
	count := 0
	for i, e := range s.slots {
		if e.key.license == 0 {
			if e != (lease{}) {
				return fmt.Errorf("slot %d is empty but not zero: %+v", i, e)
			}
			continue
		}
		count++
		if j := s.find(e.key, s.hash(e.key)); j != i {
			return fmt.Errorf("slot %d: find(%v) = %d", i, e.key, j)
		}
		n := e.key.number()
		if int(n) >= len(s.licenses.at) || s.licenseOf(e.key).state != liveEntry || s.licenseOf(e.key).number != n {
			return fmt.Errorf("slot %d names license %d, which is not live", i, n)
		}
		q := s.licenseOf(e.key).queue
		if int(e.queued) >= len(q) || q[e.queued].slot != int32(i) {
			return fmt.Errorf("slot %d: queue entry %d does not point back", i, e.queued)
		}
		if q[e.queued].key > e.expires {
			return fmt.Errorf("slot %d: queue key %d after expiry %d", i, q[e.queued].key, e.expires)
		}
		if e.key.license&numbered != 0 {
			namedLeases++
			if err := s.checkName(l, e.key); err != nil {
				return fmt.Errorf("slot %d: %w", i, err)
			}
		}
	}
	if count != s.count {
		return fmt.Errorf("count %d, %d slots in use", s.count, count)
	}
	queued := 0
	for lic, c := range s.licenses.entries {
		queued += len(c.queue)
		for j, q := range c.queue {
			if e := s.slots[q.slot]; e.key.license == 0 || e.key.number() != c.number || e.queued != int32(j) {
				return fmt.Errorf("license %d: queue entry %d points to slot %d holding %+v", lic, j, q.slot, e)
			}
			if p := (j - 1) / 2; j > 0 && c.queue[p].key > q.key {
				return fmt.Errorf("license %d: queue entry %d is before its parent", lic, j)
			}
		}
	}
	if queued != s.count {
		return fmt.Errorf("%d queue entries for %d leases", queued, s.count)
	}
	if namedLeases+len(s.unused) != len(s.numbered) {
		return fmt.Errorf("%d numbers for %d leases, %d unused", len(s.numbered), namedLeases, len(s.unused))
	}
	for _, n := range s.unused {
		if s.numbered[n] != (named{}) {
			return fmt.Errorf("free number %d is %+v", n, s.numbered[n])
		}
	}
	for id, n := range s.first {
		if s.numbered[n].id != id {
			return fmt.Errorf("first number of %q is %d, which is %+v", id, n, s.numbered[n])
		}
	}
	return nil
}

func (s *shard) checkLicenses() error {
	x := &s.licenses
	if n := len(x.entries); n != 0 && (bits.OnesCount(uint(n)) != 1 || int(x.shift) != 64-bits.TrailingZeros(uint(n))) {
		return fmt.Errorf("license index of %d entries has shift %d", n, x.shift)
	}
	if (x.live+x.dead)*4 > len(x.entries)*3 || x.live == 0 && x.entries != nil {
		return fmt.Errorf("license index holds %d licenses and %d tombstones in %d entries", x.live, x.dead, len(x.entries))
	}
	live, dead := 0, 0
	for i, c := range x.entries {
		switch c.state {
		case emptyEntry, deadEntry:
			if c.queue != nil || c.id != (licenseKey{}) {
				return fmt.Errorf("license entry %d is not live but holds %+v", i, c)
			}
			if c.state == deadEntry {
				dead++
			}
		case liveEntry:
			live++
			if len(c.queue) == 0 {
				return fmt.Errorf("license entry %d is kept without leases", i)
			}
			if got, ok := s.lookupLicense(&c.id); !ok || got != uint32(i) {
				return fmt.Errorf("license entry %d: lookupLicense = %d, %t", i, got, ok)
			}
			var want licenseKey
			if want.parse(c.id.id, c.id.hash); c.id != want {
				return fmt.Errorf("license entry %d: %q has key %+v", i, c.id.id, c.id)
			}
			if int(c.number) >= len(x.at) || x.at[c.number] != uint32(i) {
				return fmt.Errorf("license entry %d has number %d, which is not mapped to it", i, c.number)
			}
		default:
			return fmt.Errorf("license entry %d has state %d", i, c.state)
		}
	}
	if live != x.live || dead != x.dead {
		return fmt.Errorf("license index counts %d live and %d dead, holds %d and %d", x.live, x.dead, live, dead)
	}
	if len(x.at) != x.live+len(x.spare) {
		return fmt.Errorf("%d license numbers for %d licenses and %d spare", len(x.at), x.live, len(x.spare))
	}
	numbers := make(map[uint32]bool)
	for _, c := range x.entries {
		if c.state == liveEntry {
			numbers[c.number] = true
		}
	}
	for _, n := range x.spare {
		if numbers[n] {
			return fmt.Errorf("license number %d is spare and in use", n)
		}
		numbers[n] = true
	}
	if len(numbers) != len(x.at) {
		return fmt.Errorf("%d license numbers, %d in use or spare", len(x.at), len(numbers))
	}
	return nil
}

// checkName checks the number and place of a lease whose session ID is
// not a UUID.
func (s *shard) checkName(l *Ledger, k leaseKey) error {
	n := numberOf(k)
	if int(n) >= len(s.numbered) || s.numbered[n].id == "" {
		return fmt.Errorf("number %d has no session ID", n)
	}
	e := s.numbered[n]
	if e.license != k.number() {
		return fmt.Errorf("number %d names license %d, its lease %d", n, e.license, k.number())
	}
	lic := s.licenses.at[e.license]
	var sess session
	l.parseSession(&sess, e.id, &s.lic(lic).id)
	if got, _, ok := s.key(lic, &sess); !ok || got != k {
		return fmt.Errorf("key of (%q, %q): got %+v, %t, want %+v", s.lic(lic).id.id, e.id, got, ok, k)
	}
	return nil
}
