package coditect

import "time"

// LicenseClaims is the content of a license token, the Ed25519-signed JWS a
// client caches to keep working offline (ARCHITECTURE §5).
type LicenseClaims struct {
	Issuer      string
	LicenseID   string
	TenantID    string
	SessionID   string
	Fingerprint string
	Seats       int
	Features    []string
	IssuedAt    time.Time
	// ExpiresAt ends offline validity; never after the license's expiry.
	ExpiresAt time.Time
}
