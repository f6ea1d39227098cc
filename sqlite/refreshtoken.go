package sqlite

import (
	"context"
	"database/sql"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

// CreateRefreshToken inserts t. A taken digest is CodeConflict; a user the
// tenant does not have is CodeNotFound.
func (s *Store) CreateRefreshToken(ctx context.Context, t *coditect.RefreshToken) error {
	err := s.wq.CreateRefreshToken(ctx, sqlcdb.CreateRefreshTokenParams{
		TenantID:  t.TenantID,
		ID:        t.ID,
		UserID:    t.UserID,
		FamilyID:  t.FamilyID,
		ExpiresAt: millis(t.ExpiresAt),
		CreatedAt: millis(t.CreatedAt),
		UsedAt:    nullMillis(t.UsedAt),
		RevokedAt: nullMillis(t.RevokedAt),
	})
	return storeError("create refresh token", refreshTokenKind, err)
}

// FindRefreshToken returns the refresh token, of any tenant, with the given
// digest.
func (s *Store) FindRefreshToken(ctx context.Context, id string) (*coditect.RefreshToken, error) {
	row, err := s.rq.FindRefreshToken(ctx, id)
	if err != nil {
		return nil, storeError("find refresh token", refreshTokenKind, err)
	}
	return &coditect.RefreshToken{
		ID:        row.ID,
		TenantID:  row.TenantID,
		UserID:    row.UserID,
		FamilyID:  row.FamilyID,
		ExpiresAt: fromMillis(row.ExpiresAt),
		CreatedAt: fromMillis(row.CreatedAt),
		UsedAt:    fromNullMillis(row.UsedAt),
		RevokedAt: fromNullMillis(row.RevokedAt),
	}, nil
}

// UseRefreshToken marks an unused token of the tenant used at at. It
// reports false, changing nothing, when the token was used already, and
// CodeNotFound when the tenant has no such token. Revocation and expiry
// are the caller's to check.
func (s *Store) UseRefreshToken(ctx context.Context, tenantID, id string, at time.Time) (bool, error) {
	var changed bool
	err := s.inTx(ctx, func(q *sqlcdb.Queries) error {
		n, err := q.UseRefreshToken(ctx, sqlcdb.UseRefreshTokenParams{
			UsedAt:   sql.NullInt64{Int64: millis(at), Valid: true},
			TenantID: tenantID,
			ID:       id,
		})
		if err != nil || n > 0 {
			changed = n > 0
			return err
		}
		// Same transaction, so "used already" and "never existed" are
		// told apart on one snapshot.
		exists, err := q.RefreshTokenExists(ctx, sqlcdb.RefreshTokenExistsParams{TenantID: tenantID, ID: id})
		if err != nil {
			return err
		}
		if exists == 0 {
			return sql.ErrNoRows
		}
		return nil
	})
	if err != nil {
		return false, storeError("use refresh token", refreshTokenKind, err)
	}
	return changed, nil
}

// RevokeRefreshFamily revokes, at at, every token of the tenant's family
// that is not revoked yet. A family without tokens is no error.
func (s *Store) RevokeRefreshFamily(ctx context.Context, tenantID, familyID string, at time.Time) error {
	_, err := s.wq.RevokeRefreshFamily(ctx, sqlcdb.RevokeRefreshFamilyParams{
		RevokedAt: sql.NullInt64{Int64: millis(at), Valid: true},
		TenantID:  tenantID,
		FamilyID:  familyID,
	})
	return storeError("revoke refresh family", refreshTokenKind, err)
}
