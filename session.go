package coditect

import "time"

// SessionStatus is whether a session still holds (or may hold) a lease.
type SessionStatus string

// Session statuses.
const (
	SessionActive SessionStatus = "active"
	SessionEnded  SessionStatus = "ended"
)

// EndReason says why a session ended.
type EndReason string

// End reasons.
const (
	EndReleased EndReason = "released"
	EndExpired  EndReason = "expired"
	EndRevoked  EndReason = "revoked"
)

// Session is one running copy of a product holding (or having held) a seat.
// The store keeps its history; the Ledger knows whether its lease is live.
type Session struct {
	ID              string
	TenantID        string
	LicenseID       string
	Fingerprint     string
	InstanceID      string
	User            string
	Hostname        string
	ClientName      string
	ClientVersion   string
	IP              string
	Metadata        map[string]any
	Status          SessionStatus
	StartedAt       time.Time
	LastHeartbeatAt time.Time
	ExpiresAt       time.Time
	EndedAt         *time.Time
	EndReason       EndReason
}

// SessionFilter selects sessions in a list, newest first. After is the ID of
// the last session of the previous page.
type SessionFilter struct {
	LicenseID string
	Status    SessionStatus
	After     string
	Limit     int
}

// SessionTouch is a heartbeat written back to the store in a batch.
type SessionTouch struct {
	TenantID        string
	SessionID       string
	LastHeartbeatAt time.Time
	ExpiresAt       time.Time
}
