package memory

import "math/bits"

// licenseKey is a license ID with what every call derives from it once: its
// hash, whose low bits pick the shard and whose high bits the home entry in
// the shard's license index, and a form of its bytes that is compared
// inline: a canonical UUID's 16 bytes, or an ID of up to 15 bytes followed
// by its length. Only longer IDs are compared as strings, which reads the
// stored ID's bytes: one more memory access.
type licenseKey struct {
	id     string
	hash   uint64
	inline [16]byte
	form   uint8
}

// The forms of a licenseKey.
const (
	longForm = iota
	uuidForm
	shortForm
)

// parse sets k to the key of the license ID id, whose hash is hash.
func (k *licenseKey) parse(id string, hash uint64) {
	*k = licenseKey{id: id, hash: hash}
	if u, ok := parseUUID(id); ok {
		k.inline, k.form = u, uuidForm
	} else if len(id) < len(k.inline) {
		copy(k.inline[:], id)
		k.inline[len(k.inline)-1] = byte(len(id))
		k.form = shortForm
	}
}

func (k *licenseKey) is(other *licenseKey) bool {
	return k.hash == other.hash && k.inline == other.inline && k.form == other.form && (k.form != longForm || k.id == other.id)
}

// licenseIndex holds a shard's licenses by ID in open addressing with
// linear probing, each license in its own entry: the entry that a lookup
// finds is the license's state, so a call reaches its license's queue in one
// memory access, and one that can be in flight together with the lease's
// (see shard.warm). Leases name their license by its number, which stays
// while the license lives; entries move when the index is rebuilt, and at
// maps a number to its entry. A removed license leaves a tombstone until
// the next rebuild.
type licenseIndex struct {
	entries []license
	shift   uint8    // 64 - log2(len(entries))
	at      []uint32 // entry of each license number
	spare   []uint32 // free license numbers
	live    int
	dead    int // tombstones
}

// license is one license's state beyond its leases in the table: its ID,
// number and expiry queue.
type license struct {
	id     licenseKey
	queue  []queued
	number uint32
	state  uint8
}

// The states of a license entry.
const (
	emptyEntry = iota
	liveEntry
	deadEntry
)

func (x *licenseIndex) home(hash uint64) int {
	return int(hash >> x.shift)
}

// lic returns the license at entry i.
func (s *shard) lic(i uint32) *license {
	return &s.licenses.entries[i]
}

// licenseOf returns the license of a lease.
func (s *shard) licenseOf(k leaseKey) *license {
	return &s.licenses.entries[s.licenses.at[k.number()]]
}

// lookupLicense returns the entry of a license that holds leases.
func (s *shard) lookupLicense(id *licenseKey) (uint32, bool) {
	x := &s.licenses
	if x.live == 0 {
		return 0, false
	}
	mask := len(x.entries) - 1
	for i := x.home(id.hash); ; i = (i + 1) & mask {
		switch e := &x.entries[i]; e.state {
		case emptyEntry:
			return 0, false
		case liveEntry:
			if e.id.is(id) {
				return uint32(i), true
			}
		}
	}
}

// license returns the entry of a license, adding the license if the index
// lacks it. The caller must leave it holding a lease or call removeIfEmpty.
func (s *shard) license(id *licenseKey) uint32 {
	if lic, ok := s.lookupLicense(id); ok {
		return lic
	}
	x := &s.licenses
	switch {
	case (x.live+1)*4 > len(x.entries)*3:
		x.rebuild(max(minSlots, 2*len(x.entries)))
	case (x.live+x.dead+1)*4 > len(x.entries)*3:
		x.rebuild(len(x.entries))
	}
	mask := len(x.entries) - 1
	i := x.home(id.hash)
	for x.entries[i].state == liveEntry {
		i = (i + 1) & mask
	}
	if x.entries[i].state == deadEntry {
		x.dead--
	}
	var n uint32
	if last := len(x.spare) - 1; last >= 0 {
		n, x.spare = x.spare[last], x.spare[:last]
		x.at[n] = uint32(i)
	} else {
		n = uint32(len(x.at))
		x.at = append(x.at, uint32(i))
	}
	x.entries[i] = license{id: *id, number: n, state: liveEntry}
	x.live++
	return uint32(i)
}

// removeIfEmpty forgets a license without leases, so that idle licenses
// cost no memory.
func (s *shard) removeIfEmpty(lic uint32) {
	if s.dropIfEmpty(lic) {
		s.licenses.shrink()
	}
}

// dropIfEmpty leaves a tombstone for a license without leases and reports
// whether it did.
func (s *shard) dropIfEmpty(lic uint32) bool {
	x := &s.licenses
	if len(x.entries[lic].queue) > 0 {
		return false
	}
	x.spare = append(x.spare, x.entries[lic].number)
	x.entries[lic] = license{state: deadEntry}
	x.live--
	x.dead++
	return true
}

// shrink rebuilds the index smaller once it is mostly unused.
func (x *licenseIndex) shrink() {
	switch {
	case x.live == 0:
		*x = licenseIndex{}
	case x.live*16 < len(x.entries) && len(x.entries) > minSlots:
		x.rebuild(len(x.entries) / 2)
	}
}

// rebuild moves the licenses into an index of n entries, a power of two,
// without tombstones. It costs O(entries): leases and names refer to
// license numbers, which do not change.
func (x *licenseIndex) rebuild(n int) {
	old := x.entries
	x.entries = make([]license, n)
	x.shift = uint8(64 - bits.TrailingZeros(uint(n)))
	x.dead = 0
	mask := n - 1
	for i := range old {
		if old[i].state != liveEntry {
			continue
		}
		j := x.home(old[i].id.hash)
		for x.entries[j].state != emptyEntry {
			j = (j + 1) & mask
		}
		x.entries[j] = old[i]
		x.at[old[i].number] = uint32(j)
	}
}
