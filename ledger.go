package coditect

import (
	"context"
	"errors"
	"time"
)

// ErrLedgerLost is returned (wrapped) by a ledger call on a license whose
// state the ledger lost (a Redis flush, a restart without persistence, a
// failover to an empty replica). The caller must Restore that license from
// the store's active sessions and try again; until then the ledger refuses
// to decide, so a lost ledger can never oversell. The in-memory ledger
// never loses state while its process lives; the server restores it whole
// at start instead.
var ErrLedgerLost = errors.New("seat ledger lost the state of this license")

// Lease is one live seat: a session's claim on a license until ExpiresAt.
type Lease struct {
	LicenseID string
	SessionID string
	ExpiresAt time.Time
}

// AcquireParams is the input of Ledger.Acquire.
type AcquireParams struct {
	LicenseID string
	SessionID string
	TTL       time.Duration
	Limit     int
	// Now is the time the ledger judges expiry by. A ledger with its own
	// clock (Redis TIME) may ignore it.
	Now time.Time
}

// AcquireResult is the outcome of Ledger.Acquire.
type AcquireResult struct {
	// Granted is true when the session holds a lease after the call.
	Granted bool
	// Renewed is true when the session already held a live lease, which the
	// call extended instead of taking another seat.
	Renewed bool
	// ExpiresAt is the lease's new expiry when Granted.
	ExpiresAt time.Time
	// InUse is the number of live leases after the call.
	InUse int
	// EarliestExpiry is, on refusal, when the first live lease expires.
	EarliestExpiry time.Time
}

// HeartbeatParams is the input of Ledger.Heartbeat.
type HeartbeatParams struct {
	LicenseID string
	SessionID string
	TTL       time.Duration
	Now       time.Time
}

// Ledger is the hot, atomic set of live leases per license (ARCHITECTURE
// §3). Implementations must never grant a lease while Limit or more are
// live, under any concurrency. A lease is live while now < ExpiresAt. The
// live count may exceed a limit only when the limit was lowered or leases
// were restored; holders keep their leases then, newcomers are refused.
// Invalid input (empty IDs, TTL <= 0, Limit < 1) is CodeInvalidRequest.
type Ledger interface {
	// Acquire drops expired leases, then extends the session's live lease or
	// adds one if fewer than Limit are live, or refuses.
	Acquire(ctx context.Context, p AcquireParams) (AcquireResult, error)
	// Heartbeat extends a live lease to Now+TTL and returns the new expiry;
	// live is false when the lease expired or was released.
	Heartbeat(ctx context.Context, p HeartbeatParams) (expiresAt time.Time, live bool, err error)
	// Release removes a lease. Releasing an unknown lease is not an error.
	Release(ctx context.Context, licenseID, sessionID string) error
	// Count returns the number of live leases of a license at now.
	Count(ctx context.Context, licenseID string, now time.Time) (int, error)
	// Lookup returns a live lease's expiry; ok is false if it is not live.
	Lookup(ctx context.Context, licenseID, sessionID string, now time.Time) (expiresAt time.Time, ok bool, err error)
	// Restore puts a license's leases back after the ledger lost its state,
	// without checking limits: they were granted before. Expired ones are
	// skipped; a lease already present keeps the later of the two expiries.
	// Every lease must belong to licenseID (an empty LicenseID means it
	// does). Afterwards the ledger trusts its state of the license again.
	Restore(ctx context.Context, licenseID string, leases []Lease, now time.Time) error
	// Ping reports whether the ledger is reachable.
	Ping(ctx context.Context) error
}
