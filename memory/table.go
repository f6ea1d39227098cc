package memory

import (
	"encoding/binary"
	"math/bits"
)

// numbered is the bit of leaseKey.license that says the session is a number
// from names instead of a UUID's bytes.
const numbered = 1 << 31

// minSlots is the size of the smallest table.
const minSlots = 16

// leaseKey identifies a lease within a shard: its session and its
// license's number plus one, so that the zero key marks an empty table
// slot.
type leaseKey struct {
	session [16]byte
	license uint32
}

// number is the license number a key names.
func (k leaseKey) number() uint32 {
	return k.license&^numbered - 1
}

// lease is one table slot, 32 bytes: two share a cache line, so finding a
// lease and extending it is usually one memory access.
type lease struct {
	key     leaseKey
	queued  int32 // position of its entry in the license's queue
	expires int64 // Unix nanoseconds
}

// table holds a shard's leases by value in open addressing with linear
// probing. It stays between 1/16 and 3/4 full: probes are short, and a
// removal shifts the leases after it back instead of leaving tombstones, so
// lookups never wade through dead slots. A lease that moves tells its queue
// entry where it went (shard.requeue).
type table struct {
	slots []lease
	shift uint8 // 64 - log2(len(slots)): home takes the hash's top bits
	count int
	seed  [2]uint64
}

// hash is a seeded multiply-mix hash of k; the slot where k's probe starts
// is its top bits. The seed keeps whoever picks the IDs from making them
// collide, and UUIDv7s that share a timestamp still spread.
//
// The hash depends on the session alone, not on the license, so that
// warm can start the lease's cache miss before the license is looked up:
// for a UUID on its bytes, for another session ID only on the place that
// names gave it, not on its number.
func (t *table) hash(k leaseKey) uint64 {
	a, b := binary.LittleEndian.Uint64(k.session[:8]), binary.LittleEndian.Uint64(k.session[8:])
	if k.license&numbered != 0 {
		a = 0
	}
	hi, lo := bits.Mul64(a^t.seed[0], b^t.seed[1])
	return hi ^ lo
}

func (t *table) home(hash uint64) int {
	return int(hash >> t.shift)
}

// warm hashes a session and reads its home slot, so that the slot's cache
// miss is in flight while the license index is searched: the two misses of
// a call on one of many licenses overlap instead of adding up. The value
// read goes to a field only so that the compiler keeps the read.
func (s *shard) warm(sess *session) {
	k := leaseKey{session: sess.uuid}
	if !sess.isUUID {
		k = numberKey(0, 0, sess.place)
	}
	sess.hash = s.hash(k)
	if s.count > 0 {
		s.warmed = s.slots[s.home(sess.hash)].expires
	}
}

// find returns the slot holding k, whose hash is h, or -1.
func (s *shard) find(k leaseKey, h uint64) int {
	if s.count == 0 {
		return -1
	}
	mask := len(s.slots) - 1
	for i := s.home(h); ; i = (i + 1) & mask {
		switch e := &s.slots[i]; {
		case e.key == k:
			return i
		case e.key.license == 0:
			return -1
		}
	}
}

// vacancy returns the first empty slot on the probe sequence of hash h.
func (t *table) vacancy(h uint64) int {
	mask := len(t.slots) - 1
	i := t.home(h)
	for t.slots[i].key.license != 0 {
		i = (i + 1) & mask
	}
	return i
}

// insert adds a lease of the license c that the table does not hold, and
// queues it.
func (s *shard) insert(c *license, k leaseKey, h uint64, expires int64) {
	if (s.count+1)*4 > len(s.slots)*3 {
		s.resize(max(minSlots, 2*len(s.slots)))
	}
	i := s.vacancy(h)
	s.slots[i] = lease{key: k, expires: expires}
	s.count++
	s.push(c, i)
}

// remove drops the lease at slot i, of the license c, from its queue, the
// table and names.
func (s *shard) remove(c *license, i int) {
	e := s.slots[i]
	s.unqueue(c, e)
	s.vacate(i)
	if e.key.license&numbered != 0 {
		s.forget(e.key)
	}
}

// vacate empties slot i, whose lease is no longer queued, and shifts later
// leases of the same probe run back so that each stays reachable from its
// home.
func (s *shard) vacate(i int) {
	mask := len(s.slots) - 1
	for j := (i + 1) & mask; s.slots[j].key.license != 0; j = (j + 1) & mask {
		// The lease at j may fill the hole at i unless its home lies in
		// (i, j], cyclically: it is at least as far from home as from i.
		if (j-s.home(s.hash(s.slots[j].key)))&mask >= (j-i)&mask {
			s.slots[i] = s.slots[j]
			s.requeue(i)
			i = j
		}
	}
	s.slots[i] = lease{}
	s.count--
	switch {
	case s.count == 0:
		s.slots = nil
	case s.count*16 < len(s.slots) && len(s.slots) > minSlots:
		s.resize(len(s.slots) / 2)
	}
}

// resize moves every lease into a table of n slots, a power of two. It runs
// under the shard's lock, so it is built to be quick: leases move in table
// order, and a lease's new home is about twice its old one (home takes the
// hash's top bits), so the writes are nearly sequential. Each lease's new
// slot is noted in the old table, and the queues are then pointed at them
// in queue order: reads that do not depend on each other, which the CPU
// overlaps, where patching each queue entry as its lease moved would be a
// cache miss at a time.
func (s *shard) resize(n int) {
	old := s.slots
	s.slots = make([]lease, n)
	s.shift = uint8(64 - bits.TrailingZeros(uint(n)))
	for i := range old {
		if old[i].key.license != 0 {
			j := s.vacancy(s.hash(old[i].key))
			s.slots[j] = old[i]
			old[i].queued = int32(j)
		}
	}
	for e := range s.licenses.entries {
		q := s.licenses.entries[e].queue
		for k := range q {
			q[k].slot = old[q[k].slot].queued
		}
	}
}
