package coditect

import (
	"context"
	"time"
)

// Store is the durable source of truth for tenants, users, licenses, the
// history of sessions, OAuth clients, refresh tokens, the audit log, the
// usage history and the deployment's signing keys. Methods that take a
// tenantID see only that tenant's rows; the few that do not are narrow
// cross-tenant paths (key, client and refresh-token lookup, login, tenant
// listing, sweeping, rebuild and usage retention) and say so. Signing keys belong to no tenant at all.
//
// Not-found results are *Error with CodeNotFound (also when a parent row,
// such as the tenant or license of a new record, does not exist, and when
// an update or delete finds no row); uniqueness violations are
// CodeConflict. Driver errors never cross the store's edge unwrapped.
//
// IDs are chosen by the caller and unique across the deployment (UUIDv7:
// their text order is creation order, which lists and cursors rely on; a
// refresh token's ID is its digest instead, a signing key's its JWK
// thumbprint). Times come back in UTC, truncated to the millisecond. Nil
// features, metadata and key bytes come back empty; nil audit states
// (Before, After) stay nil. Lists clamp their page size to 1..500, 50 when
// zero, except the jobs' (ListActiveSessions, ListExpiredSessions), which
// take the size they are given, and ListSigningKeys, which returns all.
type Store interface {
	TenantStore
	UserStore
	LicenseStore
	SessionStore
	OAuthClientStore
	RefreshTokenStore
	AuditStore
	SigningKeyStore
	UsageStore
	WebhookStore

	// Ping reports whether the store is reachable.
	Ping(ctx context.Context) error
	// Close releases the store's resources.
	Close() error
}

// TenantStore keeps tenants.
type TenantStore interface {
	CreateTenant(ctx context.Context, t *Tenant) error
	GetTenant(ctx context.Context, id string) (*Tenant, error)
	CountTenants(ctx context.Context) (int, error)
	// ListTenants pages through every tenant by ID (platform admins only).
	ListTenants(ctx context.Context, afterID string, limit int) ([]*Tenant, error)
}

// UserStore keeps users.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, tenantID, id string) (*User, error)
	// FindUserByEmail is the cross-tenant path used by sign-in: emails are
	// unique across the deployment.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// ListUsers pages through a tenant's users by ID.
	ListUsers(ctx context.Context, tenantID, afterID string, limit int) ([]*User, error)
	// UpdateUser writes a user's role, disabled flag and password hash.
	UpdateUser(ctx context.Context, u *User) error
}

// LicenseStore keeps licenses.
type LicenseStore interface {
	CreateLicense(ctx context.Context, l *License) error
	GetLicense(ctx context.Context, tenantID, id string) (*License, error)
	// FindLicenseByKeyDigest is the one cross-tenant path from a license key
	// (its digest) to its license.
	FindLicenseByKeyDigest(ctx context.Context, digest string) (*License, error)
	// ListLicenses returns at most f.Limit licenses, newest first.
	ListLicenses(ctx context.Context, tenantID string, f LicenseFilter) ([]*License, error)
	// UpdateLicense writes every mutable field of a license (name, status,
	// seats, expiry, features, lease settings, key digest and prefix,
	// metadata, updated_at).
	UpdateLicense(ctx context.Context, l *License) error
	// DeleteLicense removes a license and its sessions.
	DeleteLicense(ctx context.Context, tenantID, id string) error
}

// SessionStore keeps the history of sessions.
type SessionStore interface {
	// CreateSession inserts an active session. A second active session with
	// the same tenant, license, fingerprint and non-empty instance ID is a
	// CodeConflict error.
	CreateSession(ctx context.Context, s *Session) error
	GetSession(ctx context.Context, tenantID, id string) (*Session, error)
	// FindActiveSession returns the active session for a license,
	// fingerprint and non-empty instance ID, or CodeNotFound (always for an
	// empty instance ID). It uses an index: never a scan of the history.
	FindActiveSession(ctx context.Context, tenantID, licenseID, fingerprint, instanceID string) (*Session, error)
	// ListSessions returns at most f.Limit sessions, newest first.
	ListSessions(ctx context.Context, tenantID string, f SessionFilter) ([]*Session, error)
	// EndSession marks an active session ended. It reports false, and
	// changes nothing, when the session had already ended.
	EndSession(ctx context.Context, tenantID, id string, reason EndReason, at time.Time) (bool, error)
	// ListActiveSessions pages through the active sessions of every tenant,
	// ordered by ID, for rebuilding the ledger.
	ListActiveSessions(ctx context.Context, afterID string, limit int) ([]*Session, error)
	// ListExpiredSessions returns up to limit active sessions of any tenant
	// whose stored expiry is at or before now, for the sweeper.
	ListExpiredSessions(ctx context.Context, now time.Time, limit int) ([]*Session, error)
	// TouchSessions writes heartbeats back in one batch; ended sessions are
	// left unchanged.
	TouchSessions(ctx context.Context, touches []SessionTouch) error
}

// OAuthClientStore keeps OAuth clients.
type OAuthClientStore interface {
	CreateOAuthClient(ctx context.Context, c *OAuthClient) error
	GetOAuthClient(ctx context.Context, tenantID, id string) (*OAuthClient, error)
	// FindOAuthClient is the cross-tenant path the token endpoint uses.
	FindOAuthClient(ctx context.Context, id string) (*OAuthClient, error)
	// ListOAuthClients pages through a tenant's clients by ID.
	ListOAuthClients(ctx context.Context, tenantID, afterID string, limit int) ([]*OAuthClient, error)
	DeleteOAuthClient(ctx context.Context, tenantID, id string) error
}

// RefreshTokenStore keeps refresh-token families.
type RefreshTokenStore interface {
	CreateRefreshToken(ctx context.Context, t *RefreshToken) error
	// FindRefreshToken is the cross-tenant path from a token's digest.
	FindRefreshToken(ctx context.Context, id string) (*RefreshToken, error)
	// UseRefreshToken marks an unused token used at `at`. It reports false,
	// changing nothing, when the token was already used: a reuse. It looks
	// at neither revocation nor expiry; the caller checks those first.
	UseRefreshToken(ctx context.Context, tenantID, id string, at time.Time) (bool, error)
	// RevokeRefreshFamily revokes every token of a family.
	RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, at time.Time) error
}

// AuditStore keeps the audit log.
type AuditStore interface {
	RecordAudit(ctx context.Context, e *AuditEvent) error
	// ListAuditEvents returns at most f.Limit events, newest first.
	ListAuditEvents(ctx context.Context, tenantID string, f AuditFilter) ([]*AuditEvent, error)
}
