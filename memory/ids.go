package memory

import (
	"encoding/binary"
	"hash/maphash"
	"math/bits"
)

// names gives each lease whose session ID is not a canonical UUID a number,
// so that every lease key is 16 bytes plus a license number. The server's
// session IDs are UUIDs and never come here; any other string (an SDK's
// own IDs, tests) works the same, at the price of a map lookup by string.
//
// The key of such a lease holds its number, which tells it apart, and a
// hash of its license and session IDs, which places it in the table
// (table.hash): the place is known before the number is looked up, so that
// shard.warm can start its cache miss as early as for a UUID.
//
// first maps a session ID to the number of one of its leases; the leases of
// one session ID on several licenses of the shard are chained from there.
type names struct {
	first    map[string]uint32
	numbered []named // by number
	unused   []uint32
}

// named is the lease holding a number: its session ID and license number,
// and the next number with the same session ID plus one (0 ends the chain).
type named struct {
	id      string
	license uint32
	next    uint32
}

// session is a session ID parsed once per call: a UUID's bytes, or for
// any other ID the place of its lease (see names); and its hash in the
// shard's table, set by shard.warm.
type session struct {
	id     string
	uuid   [16]byte
	isUUID bool
	place  uint64
	hash   uint64
}

// parseSession parses into sess the ID of a session of the license id.
func (l *Ledger) parseSession(sess *session, sessionID string, id *licenseKey) {
	sess.id = sessionID
	if sess.uuid, sess.isUUID = parseUUID(sessionID); !sess.isUUID {
		sess.place = maphash.String(l.seed, sessionID) ^ bits.RotateLeft64(id.hash, 32)
	}
}

// key returns the lease key of a session of the license at entry lic, and
// its hash. known is false for a session ID that is not a UUID and has no
// number, which means it holds no lease.
func (s *shard) key(lic uint32, sess *session) (k leaseKey, hash uint64, known bool) {
	number := s.lic(lic).number
	if sess.isUUID {
		return leaseKey{session: sess.uuid, license: number + 1}, sess.hash, true
	}
	n, ok := s.first[sess.id]
	for ok && s.numbered[n].license != number {
		n, ok = s.numbered[n].next-1, s.numbered[n].next != 0
	}
	if !ok {
		return leaseKey{}, 0, false
	}
	return numberKey(number, n, sess.place), sess.hash, true
}

// name gives a lease about to be inserted whose session ID is not a UUID a
// number, and returns its key and hash.
func (s *shard) name(lic uint32, sess *session) (leaseKey, uint64) {
	number := s.lic(lic).number
	e := named{id: sess.id, license: number}
	if first, ok := s.first[sess.id]; ok {
		e.next = first + 1
	}
	var n uint32
	if last := len(s.unused) - 1; last >= 0 {
		n, s.unused = s.unused[last], s.unused[:last]
		s.numbered[n] = e
	} else {
		n = uint32(len(s.numbered))
		s.numbered = append(s.numbered, e)
	}
	if s.first == nil {
		s.first = make(map[string]uint32)
	}
	s.first[sess.id] = n
	return numberKey(number, n, sess.place), sess.hash
}

// forget frees the number of a lease being removed.
func (s *shard) forget(k leaseKey) {
	n := numberOf(k)
	e := s.numbered[n]
	if first := s.first[e.id]; first == n {
		if e.next == 0 {
			delete(s.first, e.id)
		} else {
			s.first[e.id] = e.next - 1
		}
	} else {
		p := first
		for s.numbered[p].next-1 != n {
			p = s.numbered[p].next - 1
		}
		s.numbered[p].next = e.next
	}
	s.numbered[n] = named{}
	s.unused = append(s.unused, n)
}

func numberKey(license, n uint32, place uint64) leaseKey {
	k := leaseKey{license: (license + 1) | numbered}
	binary.LittleEndian.PutUint32(k.session[:4], n)
	binary.LittleEndian.PutUint64(k.session[8:], place)
	return k
}

func numberOf(k leaseKey) uint32 {
	return binary.LittleEndian.Uint32(k.session[:4])
}

// parseUUID returns the bytes of a UUID in canonical form: 36 characters,
// lowercase hex, hyphens after the 8th, 12th, 16th and 20th digit. Only one
// spelling of each value parses, so two IDs that parse to the same bytes
// are the same string. It decodes eight digits at a time (hex8): every call
// parses one or two IDs, and a loop over 32 digits cost more than the rest
// of a heartbeat's work.
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	a, okA := hex8(le32(s, 0) | le32(s, 4)<<32)
	b, okB := hex8(le32(s, 9) | le32(s, 14)<<32)
	c, okC := hex8(le32(s, 19) | le32(s, 24)<<32)
	d, okD := hex8(le32(s, 28) | le32(s, 32)<<32)
	binary.LittleEndian.PutUint32(u[0:], a)
	binary.LittleEndian.PutUint32(u[4:], b)
	binary.LittleEndian.PutUint32(u[8:], c)
	binary.LittleEndian.PutUint32(u[12:], d)
	return u, okA && okB && okC && okD
}

// le32 returns the four bytes of s at i as a little-endian number.
func le32(s string, i int) uint64 {
	_ = s[i+3]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24
}

// hex8 decodes eight lowercase hex digits, the first in the low byte of x,
// into four bytes, the first in the low byte of the result. Each test works
// on all eight bytes at once: adding 0x80-c to a byte below 0x80 sets its
// top bit exactly when the byte is at least c, without carrying into the
// next byte.
func hex8(x uint64) (uint32, bool) {
	const ones, tops = 0x0101010101010101, 0x8080808080808080
	digits := (x + ones*(0x80-'0')) &^ (x + ones*(0x80-'9'-1))
	letters := (x + ones*(0x80-'a')) &^ (x + ones*(0x80-'f'-1)) & tops
	// A digit's value is its low four bits; a letter's is its low four
	// bits plus 9 ('a' is 0x61). Then join each pair of digits into a byte,
	// and the four bytes.
	n := x&(ones*0x0f) + letters>>7*9
	n = (n<<4 | n>>8) & 0x00ff00ff00ff00ff
	n = (n | n>>8) & 0x0000ffff0000ffff
	return uint32(n | n>>16), x&tops == 0 && (digits|letters)&tops == tops
}
