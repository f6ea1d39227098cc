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

// ListUsers pages through the tenant's users in ID order, starting after
// afterID.
func (s *Store) ListUsers(ctx context.Context, tenantID, afterID string, n int) ([]*coditect.User, error) {
	rows, err := s.rq.ListUsers(ctx, sqlcdb.ListUsersParams{TenantID: tenantID, After: afterID, Limit: limit(n)})
	if err != nil {
		return nil, storeError("list users", userKind, err)
	}
	out := make([]*coditect.User, 0, len(rows))
	for _, row := range rows {
		out = append(out, userFromRow(row))
	}
	return out, nil
}

// UpdateUser writes u's role, disabled flag and password hash; the other
// fields are left as stored. A user the tenant does not have is
// CodeNotFound.
func (s *Store) UpdateUser(ctx context.Context, u *coditect.User) error {
	n, err := s.wq.UpdateUser(ctx, sqlcdb.UpdateUserParams{
		Role:         string(u.Role),
		Disabled:     boolInt(u.Disabled),
		PasswordHash: u.PasswordHash,
		TenantID:     u.TenantID,
		ID:           u.ID,
	})
	return storeError("update user", userKind, oneRow(n, err))
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
