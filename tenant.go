package coditect

import (
	"net/mail"
	"strings"
	"time"
)

// Tenant is a vendor organisation. Every other record belongs to one.
type Tenant struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Role is what a user may do inside its tenant.
type Role string

// Roles, from most to least privileged.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleViewer Role = "viewer"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	return r == RoleOwner || r == RoleAdmin || r == RoleViewer
}

// CanWrite reports whether the role may change licenses and sessions.
func (r Role) CanWrite() bool {
	return r == RoleOwner || r == RoleAdmin
}

// User is a member of a tenant's staff who signs in to the dashboard.
type User struct {
	ID            string
	TenantID      string
	Email         string
	PasswordHash  string
	Role          Role
	PlatformAdmin bool
	Disabled      bool
	CreatedAt     time.Time
}

// NormalizeEmail trims and lower-cases an address and checks its syntax.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return "", Errorf(CodeInvalidRequest, "%q is not a valid email address.", s)
	}
	return s, nil
}
