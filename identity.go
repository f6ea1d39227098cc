package coditect

import "time"

// OAuthClient is a tenant's machine credential for the client_credentials
// grant. Only a digest of its secret is stored.
type OAuthClient struct {
	ID           string
	TenantID     string
	Name         string
	SecretDigest string
	Role         Role
	Disabled     bool
	CreatedBy    string
	CreatedAt    time.Time
}

// RefreshToken is one link of a rotating refresh-token family. Only a
// digest of the token is stored (as ID). Presenting a token that was
// already used revokes its whole family.
type RefreshToken struct {
	ID        string // hex SHA-256 of the token
	TenantID  string
	UserID    string
	FamilyID  string
	ExpiresAt time.Time
	CreatedAt time.Time
	UsedAt    *time.Time
	RevokedAt *time.Time
}

// Actor types of audit events.
const (
	ActorUser      = "user"
	ActorClient    = "client"
	ActorSystem    = "system"
	ActorAnonymous = "anonymous"
)

// AuditEvent records who did what, when and from where.
type AuditEvent struct {
	ID         string
	TenantID   string
	ActorType  string
	ActorID    string
	Action     string // e.g. "license.create", "auth.login_failed"
	TargetType string
	TargetID   string
	IP         string
	// Before and After hold the changed object's state (licenses, users).
	Before    map[string]any
	After     map[string]any
	CreatedAt time.Time
}

// AuditFilter selects audit events, newest first.
type AuditFilter struct {
	Action   string
	ActorID  string
	TargetID string
	From, To *time.Time
	After    string
	Limit    int
}
