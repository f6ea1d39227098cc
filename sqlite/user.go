package sqlite

import (
	"context"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

// CreateUser inserts u. The email is stored as given, so callers pass it
// through coditect.NormalizeEmail first; a taken ID or email is
// CodeConflict, an unknown tenant CodeNotFound.
func (s *Store) CreateUser(ctx context.Context, u *coditect.User) error {
	err := s.wq.CreateUser(ctx, sqlcdb.CreateUserParams{
		TenantID:      u.TenantID,
		ID:            u.ID,
		Email:         u.Email,
		PasswordHash:  u.PasswordHash,
		Role:          string(u.Role),
		PlatformAdmin: boolInt(u.PlatformAdmin),
		Disabled:      boolInt(u.Disabled),
		CreatedAt:     millis(u.CreatedAt),
	})
	return storeError("create user", userKind, err)
}

// GetUser returns a user of the tenant.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (*coditect.User, error) {
	row, err := s.rq.GetUser(ctx, sqlcdb.GetUserParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get user", userKind, err)
	}
	return userFromRow(row), nil
}

// FindUserByEmail returns the user with the given email in any tenant.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*coditect.User, error) {
	row, err := s.rq.FindUserByEmail(ctx, email)
	if err != nil {
		return nil, storeError("find user by email", userKind, err)
	}
	return userFromRow(row), nil
}

func userFromRow(row sqlcdb.User) *coditect.User {
	return &coditect.User{
		ID:            row.ID,
		TenantID:      row.TenantID,
		Email:         row.Email,
		PasswordHash:  row.PasswordHash,
		Role:          coditect.Role(row.Role),
		PlatformAdmin: row.PlatformAdmin != 0,
		Disabled:      row.Disabled != 0,
		CreatedAt:     fromMillis(row.CreatedAt),
	}
}
