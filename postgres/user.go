package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// CreateUser inserts u. The email is stored as given, so callers pass it
// through coditect.NormalizeEmail first; a taken ID or email (in any
// tenant) is CodeConflict, an unknown tenant CodeNotFound.
func (s *Store) CreateUser(ctx context.Context, u *coditect.User) error {
	err := s.tenant(u.TenantID).CreateUser(ctx, sqlcdb.CreateUserParams{
		TenantID:      u.TenantID,
		ID:            u.ID,
		Email:         u.Email,
		PasswordHash:  u.PasswordHash,
		Role:          string(u.Role),
		PlatformAdmin: u.PlatformAdmin,
		Disabled:      u.Disabled,
		CreatedAt:     stored(u.CreatedAt),
	})
	return storeError("create user", userKind, err)
}

// GetUser returns a user of the tenant.
func (s *Store) GetUser(ctx context.Context, tenantID, id string) (*coditect.User, error) {
	row, err := s.tenant(tenantID).GetUser(ctx, sqlcdb.GetUserParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get user", userKind, err)
	}
	return userFromRow(row), nil
}

// FindUserByEmail returns the user with the given email in any tenant. The
// find_user_by_email function yields only the user's tenant and ID; the
// user is read in that tenant's transaction.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*coditect.User, error) {
	var row sqlcdb.User
	err := s.inTx(ctx, pgx.ReadOnly, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		key, err := q.FindUserByEmail(ctx, email)
		if err != nil {
			return err
		}
		if err := q.SetTenant(ctx, key.TenantID); err != nil {
			return err
		}
		row, err = q.GetUser(ctx, sqlcdb.GetUserParams(key))
		return err
	})
	if err != nil {
		return nil, storeError("find user by email", userKind, err)
	}
	return userFromRow(row), nil
}

// ListUsers pages through the tenant's users in ID order, starting after
// afterID.
func (s *Store) ListUsers(ctx context.Context, tenantID, afterID string, n int) ([]*coditect.User, error) {
	rows, err := s.tenant(tenantID).ListUsers(ctx, sqlcdb.ListUsersParams{TenantID: tenantID, After: afterID, RowLimit: limit(n)})
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
	err := oneRow(s.tenant(u.TenantID).UpdateUser(ctx, sqlcdb.UpdateUserParams{
		Role:         string(u.Role),
		Disabled:     u.Disabled,
		PasswordHash: u.PasswordHash,
		TenantID:     u.TenantID,
		ID:           u.ID,
	}))
	return storeError("update user", userKind, err)
}

func userFromRow(row sqlcdb.User) *coditect.User {
	return &coditect.User{
		ID:            row.ID,
		TenantID:      row.TenantID,
		Email:         row.Email,
		PasswordHash:  row.PasswordHash,
		Role:          coditect.Role(row.Role),
		PlatformAdmin: row.PlatformAdmin,
		Disabled:      row.Disabled,
		CreatedAt:     stored(row.CreatedAt),
	}
}
