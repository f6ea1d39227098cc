package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// The instance filter's size: 2^24 bits (2 MiB), 7 probes per key. Every
// acquire with an instance ID adds a key, and keys stay until the store is
// rebuilt from the active sessions (after filterRebuildAfter keys, in the
// background) or the store is reopened. After 1.75 million keys about
// 1 % of lookups of absent keys get a false "maybe" (0.05 % after one
// million, 1.9 % after two, 9 % after three, 40 % after five): past its
// capacity the filter saves fewer queries, but it never answers wrongly.
const (
	filterLog2Bits = 24
	filterProbes   = 7
)

// An instanceFilter is a Bloom filter over the keys (tenant, license,
// fingerprint, instance ID) of sessions that may be active, so that
// FindActiveSession can answer "not found" without a read transaction when
// the filter proves that no session with the key has been active since the
// store opened. That is the answer nearly every acquire gets: an instance
// ID is new for each run of a client, and the lookup exists only for an
// acquire that is retried.
//
// It holds every key that may be active because keys are only ever added:
// Open adds the keys of the active sessions in the file, and CreateSession
// adds a key before its insert can commit. Keys are never removed, as a
// session never becomes active again once it ended; the keys of ended or
// deleted sessions only cost false positives. It is safe for concurrent
// use without a lock: bits are set with atomic OR and read with atomic
// loads.
type instanceFilter struct {
	seed maphash.Seed
	bits []atomic.Uint64
	mask uint64 // the number of bits, a power of two, minus one
}

// newInstanceFilter returns an empty filter of 2^log2Bits bits (at least
// 64); the store's has 2^filterLog2Bits.
func newInstanceFilter(log2Bits uint) *instanceFilter {
	n := uint64(1) << max(log2Bits, 6)
	return &instanceFilter{
		seed: maphash.MakeSeed(),
		bits: make([]atomic.Uint64, n/64),
		mask: n - 1,
	}
}

// add records the key of a session that may become active.
func (f *instanceFilter) add(tenantID, licenseID, fingerprint, instanceID string) {
	h1, h2 := f.hash(tenantID, licenseID, fingerprint, instanceID)
	for i := range uint64(filterProbes) {
		bit := (h1 + i*h2) & f.mask
		w, mask := &f.bits[bit/64], uint64(1)<<(bit%64)
		// Most probes of a busy filter find the bit set; a plain load
		// leaves the cache line shared instead of taking it exclusive.
		if w.Load()&mask == 0 {
			w.Or(mask)
		}
	}
}

// mayContain reports false only if the key was never added.
func (f *instanceFilter) mayContain(tenantID, licenseID, fingerprint, instanceID string) bool {
	h1, h2 := f.hash(tenantID, licenseID, fingerprint, instanceID)
	for i := range uint64(filterProbes) {
		bit := (h1 + i*h2) & f.mask
		if f.bits[bit/64].Load()&(uint64(1)<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// hash derives the k probes by double hashing (Kirsch and Mitzenmacher) from
// one 64-bit hash of the key. A 0 byte separates the parts, so ("ab", "c")
// and ("a", "bc") differ; IDs with a 0 byte inside may collide, which is
// only a false positive. h2 is odd, so the probes of a key are distinct
// bits of the power-of-two array.
func (f *instanceFilter) hash(tenantID, licenseID, fingerprint, instanceID string) (h1, h2 uint64) {
	var h maphash.Hash
	h.SetSeed(f.seed)
	h.WriteString(tenantID)
	h.WriteByte(0)
	h.WriteString(licenseID)
	h.WriteByte(0)
	h.WriteString(fingerprint)
	h.WriteByte(0)
	h.WriteString(instanceID)
	sum := h.Sum64()
	return sum & 0xffffffff, sum>>32 | 1
}

// filterPage is how many active sessions loadInstanceFilter reads at a time.
const filterPage = 5000

// activeInstanceKeys pages through the keys of the active sessions with an
// instance ID, in key order. Its WHERE repeats the predicate of the partial
// unique index sessions_active_instance, so the scan reads that index alone
// (it covers every column) and never the ended history; the index makes
// the key unique, so paging after the last key neither skips nor repeats.
const activeInstanceKeys = `SELECT tenant_id, license_id, fingerprint, instance_id
FROM sessions
WHERE status = 'active' AND instance_id <> ''
  AND (tenant_id, license_id, fingerprint, instance_id) > (?, ?, ?, ?)
ORDER BY tenant_id, license_id, fingerprint, instance_id
LIMIT ?`

// loadInstanceFilter adds the key of every active session in the file to f,
// page keys at a time so that a million sessions never sit in memory at
// once. Pages are read in separate transactions: a session created
// meanwhile may be missed, so it runs before the store writes sessions
// (Open) or while every create adds its key to f too (instances.rebuild).
func loadInstanceFilter(ctx context.Context, db *sql.DB, f *instanceFilter, page int) error {
	var last [4]string // before every key: no instance ID is empty
	for {
		n, err := loadInstanceFilterPage(ctx, db, f, &last, page)
		if err != nil {
			return fmt.Errorf("load instance filter: %w", err)
		}
		if n < page {
			return nil
		}
	}
}

func loadInstanceFilterPage(ctx context.Context, db *sql.DB, f *instanceFilter, last *[4]string, page int) (int, error) {
	rows, err := db.QueryContext(ctx, activeInstanceKeys, last[0], last[1], last[2], last[3], page)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if err := rows.Scan(&last[0], &last[1], &last[2], &last[3]); err != nil {
			return n, err
		}
		f.add(last[0], last[1], last[2], last[3])
		n++
	}
	return n, rows.Err()
}

// filterRebuildAfter is how many keys a filter takes before the store
// builds a fresh one from the active sessions, well before its capacity:
// without it, a filter on a server that hands out seats all day would fill
// with the keys of sessions long ended and stop saving queries.
const filterRebuildAfter = 1_000_000

// instances is the store's filter and its renewal. Lookups use cur, always
// a superset of the keys of the active sessions. A rebuild makes next,
// which creates also add to from then on; once every create that added to
// cur alone has finished (the write lock of gate waits for them) the scan
// fills next from the file, and next replaces cur.
type instances struct {
	cur  atomic.Pointer[instanceFilter]
	next atomic.Pointer[instanceFilter]
	// gate is held for reading by each CreateSession from its add until its
	// write is done; a rebuild takes it for writing once, as a barrier.
	gate       sync.RWMutex
	added      atomic.Int64 // keys added to cur
	rebuilding atomic.Bool
	// rebuild scans the file into a new filter (loadInstanceFilter on the
	// read pool); done ends with the store.
	load func(context.Context, *instanceFilter) error
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
	// after is filterRebuildAfter; tests lower it.
	after int64
	log2  uint
}

func newInstances(f *instanceFilter, log2 uint, load func(context.Context, *instanceFilter) error) *instances {
	in := &instances{load: load, after: filterRebuildAfter, log2: log2}
	in.cur.Store(f)
	in.ctx, in.stop = context.WithCancel(context.Background())
	return in
}

// adding records a key of a session about to be written and returns the
// function to call once the write is done (committed or failed).
func (in *instances) adding(tenantID, licenseID, fingerprint, instanceID string) (done func()) {
	in.gate.RLock()
	in.cur.Load().add(tenantID, licenseID, fingerprint, instanceID)
	if n := in.next.Load(); n != nil {
		n.add(tenantID, licenseID, fingerprint, instanceID)
	}
	if in.added.Add(1) >= in.after && in.rebuilding.CompareAndSwap(false, true) {
		in.wg.Add(1)
		go in.rebuild()
	}
	return in.gate.RUnlock
}

func (in *instances) mayContain(tenantID, licenseID, fingerprint, instanceID string) bool {
	return in.cur.Load().mayContain(tenantID, licenseID, fingerprint, instanceID)
}

// rebuild replaces cur by a filter of the sessions active now. On failure
// cur stays (it is still a superset) and another filterRebuildAfter adds
// bring the next try.
func (in *instances) rebuild() {
	defer in.wg.Done()
	defer in.rebuilding.Store(false)
	next := newInstanceFilter(in.log2)
	in.next.Store(next)
	// Every create that added to cur alone has finished once no reader
	// holds the gate; those that follow add to next as well.
	in.gate.Lock()
	//lint:ignore SA2001 the empty critical section is the barrier
	in.gate.Unlock()
	if err := in.load(in.ctx, next); err != nil {
		in.next.Store(nil)
		in.added.Store(0)
		return
	}
	in.gate.Lock() // no add between the swap and the reset of the count
	in.cur.Store(next)
	in.next.Store(nil)
	in.added.Store(0)
	in.gate.Unlock()
}

// close stops a rebuild in progress and waits for it.
func (in *instances) close() {
	in.stop()
	in.wg.Wait()
}
