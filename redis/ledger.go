// Package redis implements coditect.Ledger on Redis or Redis Cluster
// (ARCHITECTURE §3): the seat ledger shared by every server replica.
//
// Each license has two keys with the license ID as their hash tag, so that
// Redis Cluster keeps them in one slot and every script touches one node:
//
//	<prefix>:{<license_id>}:leases  sorted set: session ID -> lease expiry in Unix milliseconds
//	<prefix>:{<license_id>}:state   present while the ledger trusts the license's state
//
// A '{', '}' or '%' in a license ID is percent-encoded inside the tag, so the
// tag is never empty or cut short. Neither key has a TTL: seat state must
// never expire or be evicted (see CheckEvictionPolicy).
//
// The state key is the epoch marker. Restore sets it after putting a
// license's leases back; when Redis loses its data (a flush, a restart
// without persistence, a failover to an empty replica) the marker is gone
// with the leases, and Acquire, Heartbeat, Lookup and Count answer
// coditect.ErrLedgerLost until the license is restored from the store. A
// license the ledger has never seen is lost in the same way, so the first
// call for each license after deployment restores it.
//
// Every call but Release is one Lua script in scripts/, run by SHA with a
// fallback to EVAL when the server (or the cluster node that owns the slot)
// does not have it cached. Calls that wait at the same time share one
// pipeline (pipeline.go). Scripts run without interleaving, which is what
// makes the limit check and the grant one atomic step. The scripts need
// Redis 6.2 or later (ZADD GT).
//
// A failover to a replica that lags the master keeps the state marker but
// may miss the last grants, which the replica never received; seats can
// then be oversold by those grants until their holders' next heartbeat
// finds them gone (one heartbeat interval at most). This comes with Redis's
// asynchronous replication; the seat service does not wait for replicas.
package redis

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license"
)

var _ coditect.Ledger = (*Ledger)(nil)

// DefaultPrefix is the key prefix of a Ledger whose Options leave Prefix empty.
const DefaultPrefix = "coditect"

// Options configure a Ledger.
type Options struct {
	// Prefix starts every key, so that several deployments can share one
	// Redis. Empty means DefaultPrefix. It must not contain '{' or '}',
	// which would make it the hash tag and put every license in one slot.
	Prefix string
	// ClientTime makes the scripts judge expiry by the time the caller
	// passes (the Now fields and arguments; the zero time means time.Now),
	// sent in the script's arguments. It exists for tests, which move time
	// instead of sleeping. Leave it false in production: every script then
	// reads the Redis server's TIME and ignores the caller's time, so
	// replicas with skewed clocks still agree on which leases are live.
	ClientTime bool
}

// Ledger is a coditect.Ledger on Redis. Acquire, Heartbeat and Release cost
// O(log n) in the live leases of the license they touch. Create one with New;
// it is safe for concurrent use.
type Ledger struct {
	client     goredis.UniversalClient
	prefix     string
	clientTime bool
	// pipe sends concurrent calls together (pipeline.go).
	pipe *pipeliner
}

// New returns a Ledger on client, which may be a single-node client or a
// *goredis.ClusterClient (see ParseURL). The caller keeps ownership of the
// client and closes it.
func New(client goredis.UniversalClient, opts Options) *Ledger {
	if opts.Prefix == "" {
		opts.Prefix = DefaultPrefix
	}
	return &Ledger{client: client, prefix: opts.Prefix, clientTime: opts.ClientTime, pipe: &pipeliner{client: client}}
}

var (
	//go:embed scripts/acquire.lua
	acquireSource string
	//go:embed scripts/heartbeat.lua
	heartbeatSource string
	//go:embed scripts/lookup.lua
	lookupSource string
	//go:embed scripts/count.lua
	countSource string
	//go:embed scripts/restore.lua
	restoreSource string

	// Ledger.run sends EVALSHA and falls back to EVAL on NOSCRIPT, which
	// also caches the script on the node that ran it; on a cluster both go
	// to the node that owns the keys' slot.
	acquireScript   = goredis.NewScript(acquireSource)
	heartbeatScript = goredis.NewScript(heartbeatSource)
	lookupScript    = goredis.NewScript(lookupSource)
	countScript     = goredis.NewScript(countSource)
	restoreScript   = goredis.NewScript(restoreSource)
)

// The first element of a script's reply is a status; the header of each
// script lists its replies.
const (
	statusLost = 0 // every script but restore
	// acquire
	statusGranted = 1
	statusRenewed = 2
	statusRefused = 3
	// heartbeat, lookup
	statusLive    = 1
	statusNotLive = 2
	// count, restore
	statusOK = 1
)

// Acquire drops the license's expired leases, then extends the session's
// live lease, grants a new one if fewer than p.Limit are live, or refuses
// with the earliest expiry. It returns coditect.ErrLedgerLost (wrapped) if
// the license must be restored first.
func (l *Ledger) Acquire(ctx context.Context, p coditect.AcquireParams) (coditect.AcquireResult, error) {
	switch {
	case p.LicenseID == "" || p.SessionID == "":
		return coditect.AcquireResult{}, coditect.Errorf(coditect.CodeInvalidRequest, "A lease needs a license ID and a session ID.")
	case p.TTL <= 0:
		return coditect.AcquireResult{}, coditect.Errorf(coditect.CodeInvalidRequest, "The lease TTL must be positive, not %v.", p.TTL)
	case p.Limit < 1:
		return coditect.AcquireResult{}, coditect.Errorf(coditect.CodeInvalidRequest, "The seat limit must be at least 1, not %d.", p.Limit)
	}
	r, err := l.run(ctx, acquireScript, "acquire", p.LicenseID, 3,
		p.SessionID, ttlMillis(p.TTL), p.Limit, l.clock(p.Now))
	if err != nil {
		return coditect.AcquireResult{}, err
	}
	switch r[0] {
	case statusGranted, statusRenewed:
		return coditect.AcquireResult{Granted: true, Renewed: r[0] == statusRenewed, InUse: int(r[1]), ExpiresAt: fromMillis(r[2])}, nil
	case statusRefused:
		return coditect.AcquireResult{InUse: int(r[1]), EarliestExpiry: fromMillis(r[2])}, nil
	}
	return coditect.AcquireResult{}, badReply("acquire", r)
}

// Heartbeat extends a live lease to now+p.TTL. It reports live=false, and
// drops the lease, if the lease expired; a lease is never brought back.
func (l *Ledger) Heartbeat(ctx context.Context, p coditect.HeartbeatParams) (time.Time, bool, error) {
	if p.TTL <= 0 {
		return time.Time{}, false, coditect.Errorf(coditect.CodeInvalidRequest, "The lease TTL must be positive, not %v.", p.TTL)
	}
	if p.LicenseID == "" || p.SessionID == "" {
		return time.Time{}, false, nil // no lease can exist without both IDs
	}
	r, err := l.run(ctx, heartbeatScript, "heartbeat", p.LicenseID, 2,
		p.SessionID, ttlMillis(p.TTL), l.clock(p.Now))
	if err != nil {
		return time.Time{}, false, err
	}
	return l.liveReply("heartbeat", r)
}

// Release removes a lease. Releasing an unknown lease does nothing. It is a
// single ZREM, atomic by itself, and needs no state check: removing a lease
// from a lost license changes nothing that a restore would need.
func (l *Ledger) Release(ctx context.Context, licenseID, sessionID string) error {
	if licenseID == "" || sessionID == "" {
		return nil
	}
	key := l.leasesKey(licenseID)
	cmd, err := l.pipe.do(ctx, func(p goredis.Pipeliner) goredis.Cmder { return p.ZRem(ctx, key, sessionID) })
	if err == nil {
		err = cmd.Err()
	}
	if err != nil {
		return mapError("release", licenseID, err)
	}
	return nil
}

// Count returns the number of leases live at now.
func (l *Ledger) Count(ctx context.Context, licenseID string, now time.Time) (int, error) {
	if licenseID == "" {
		return 0, nil
	}
	r, err := l.run(ctx, countScript, "count", licenseID, 2, l.clock(now))
	if err != nil {
		return 0, err
	}
	if r[0] != statusOK {
		return 0, badReply("count", r)
	}
	return int(r[1]), nil
}

// Lookup returns the expiry of a lease live at now; ok is false if it is
// expired or unknown.
func (l *Ledger) Lookup(ctx context.Context, licenseID, sessionID string, now time.Time) (time.Time, bool, error) {
	if licenseID == "" || sessionID == "" {
		return time.Time{}, false, nil
	}
	r, err := l.run(ctx, lookupScript, "lookup", licenseID, 2, sessionID, l.clock(now))
	if err != nil {
		return time.Time{}, false, err
	}
	return l.liveReply("lookup", r)
}

// Restore puts a license's leases back without checking limits, skips those
// expired at now, keeps the later expiry where a lease is already present,
// and then marks the license's state as trusted, all in one script. Nothing
// is restored if any lease lacks a session ID or belongs to another license.
func (l *Ledger) Restore(ctx context.Context, licenseID string, leases []coditect.Lease, now time.Time) error {
	if licenseID == "" {
		return coditect.Errorf(coditect.CodeInvalidRequest, "A license ID is required to restore leases.")
	}
	args := make([]any, 1, 1+2*len(leases))
	args[0] = l.clock(now)
	for i, le := range leases {
		if le.SessionID == "" || (le.LicenseID != "" && le.LicenseID != licenseID) {
			return coditect.Errorf(coditect.CodeInvalidRequest, "Lease %d to restore lacks a session ID or belongs to another license.", i)
		}
		args = append(args, strconv.FormatInt(le.ExpiresAt.UnixMilli(), 10), le.SessionID)
	}
	r, err := l.run(ctx, restoreScript, "restore", licenseID, 2, args...)
	if err != nil {
		return err
	}
	if r[0] != statusOK {
		return badReply("restore", r)
	}
	return nil
}

// Ping checks that Redis answers: every shard of a cluster.
func (l *Ledger) Ping(ctx context.Context) error {
	if err := ping(ctx, l.client); err != nil {
		return coditect.Unavailable("seat ledger", fmt.Errorf("ping: %w", err))
	}
	return nil
}

func ping(ctx context.Context, client goredis.UniversalClient) error {
	if c, ok := client.(*goredis.ClusterClient); ok {
		return c.ForEachShard(ctx, func(ctx context.Context, node *goredis.Client) error {
			return node.Ping(ctx).Err()
		})
	}
	return client.Ping(ctx).Err()
}

// run runs a script on the license's keys and returns its reply of n
// integers, or an error wrapping coditect.ErrLedgerLost if the script found
// the license lost.
//
// The script goes by EVALSHA in a shared pipeline (pipeline.go); when the
// node does not have it cached (a restarted Redis), it runs again alone by
// EVAL, which also caches it.
func (l *Ledger) run(ctx context.Context, s *goredis.Script, op, licenseID string, n int, args ...any) ([]int64, error) {
	keys := l.keys(licenseID)
	c, err := l.pipe.do(ctx, func(p goredis.Pipeliner) goredis.Cmder { return p.EvalSha(ctx, s.Hash(), keys, args...) })
	if err != nil {
		return nil, mapError(op, licenseID, err)
	}
	cmd := c.(*goredis.Cmd)
	if err := cmd.Err(); err != nil && goredis.HasErrorPrefix(err, "NOSCRIPT") {
		cmd = s.Eval(ctx, l.client, keys, args...)
	}
	if err := cmd.Err(); err != nil {
		return nil, mapError(op, licenseID, err)
	}
	r, err := cmd.Int64Slice()
	switch {
	case err != nil:
		return nil, fmt.Errorf("%s lease of license %s: unexpected script reply: %w", op, licenseID, err)
	case len(r) == 1 && r[0] == statusLost:
		return nil, fmt.Errorf("%s lease of license %s: %w", op, licenseID, coditect.ErrLedgerLost)
	case len(r) != n:
		return nil, badReply(op, r)
	}
	return r, nil
}

// liveReply decodes the {status, expires} reply of heartbeat and lookup.
func (l *Ledger) liveReply(op string, r []int64) (time.Time, bool, error) {
	switch r[0] {
	case statusLive:
		return fromMillis(r[1]), true, nil
	case statusNotLive:
		return time.Time{}, false, nil
	}
	return time.Time{}, false, badReply(op, r)
}

func badReply(op string, r []int64) error {
	return fmt.Errorf("%s lease: unexpected script reply %v", op, r)
}

// tagEscaper percent-encodes the characters that would end, nest or empty a
// hash tag; it is injective, so distinct license IDs keep distinct keys.
var tagEscaper = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D")

// keys returns the leases and state keys of a license, in the order every
// script expects them.
func (l *Ledger) keys(licenseID string) []string {
	base := l.prefix + ":{" + tagEscaper.Replace(licenseID) + "}:"
	return []string{base + "leases", base + "state"}
}

func (l *Ledger) leasesKey(licenseID string) string {
	return l.prefix + ":{" + tagEscaper.Replace(licenseID) + "}:leases"
}

// clock returns the script argument for now: Unix milliseconds with
// ClientTime, otherwise "" so the script reads Redis's TIME.
func (l *Ledger) clock(now time.Time) string {
	if !l.clientTime {
		return ""
	}
	if now.IsZero() {
		now = time.Now()
	}
	return strconv.FormatInt(now.UnixMilli(), 10)
}

// ttlMillis rounds a TTL up to whole milliseconds, so that a positive TTL
// always yields a lease that is live for a moment. The largest Duration is
// under 2^44 ms, so now+ttl stays exact in the scripts' float arithmetic.
func ttlMillis(d time.Duration) int64 {
	ms := int64(d / time.Millisecond)
	if d%time.Millisecond != 0 {
		ms++
	}
	return ms
}

func fromMillis(ms int64) time.Time {
	return time.UnixMilli(ms).UTC()
}

// mapError is the one place where go-redis errors become the platform's:
// anything that says Redis could not be reached or cannot serve right now
// (network errors, timeouts, a closed client, LOADING, CLUSTERDOWN, OOM...)
// is coditect.Unavailable; an error reply that says the request itself was
// wrong (a script error, WRONGTYPE) stays an internal error. The caller's
// own cancellation is passed through.
func mapError(op, licenseID string, err error) error {
	err = fmt.Errorf("%s lease of license %s: %w", op, licenseID, err)
	var reply goredis.Error
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &reply) && !transient(err):
		return err
	}
	return coditect.Unavailable("seat ledger", err)
}

// transient reports whether an error reply means Redis is up but cannot
// serve the call now, so trying again shortly may succeed.
func transient(err error) bool {
	return goredis.IsLoadingError(err) || goredis.IsReadOnlyError(err) ||
		goredis.IsClusterDownError(err) || goredis.IsTryAgainError(err) ||
		goredis.IsMasterDownError(err) || goredis.IsMaxClientsError(err) ||
		goredis.IsOOMError(err) || goredis.HasErrorPrefix(err, "BUSY") ||
		goredis.HasErrorPrefix(err, "NOREPLICAS")
}
