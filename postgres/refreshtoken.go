package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// CreateRefreshToken inserts t. A taken digest (in any tenant) is
// CodeConflict; a user the tenant does not have is CodeNotFound.
func (s *Store) CreateRefreshToken(ctx context.Context, t *coditect.RefreshToken) error {
	err := s.tenant(t.TenantID).CreateRefreshToken(ctx, sqlcdb.CreateRefreshTokenParams{
		TenantID:  t.TenantID,
		ID:        t.ID,
		UserID:    t.UserID,
		FamilyID:  t.FamilyID,
		ExpiresAt: stored(t.ExpiresAt),
		CreatedAt: stored(t.CreatedAt),
		UsedAt:    storedPtr(t.UsedAt),
		RevokedAt: storedPtr(t.RevokedAt),
	})
	return storeError("create refresh token", refreshTokenKind, err)
}

// FindRefreshToken returns the refresh token, of any tenant, with the given
// digest. The find_refresh_token function yields only the token's tenant
// and ID; the token is read in that tenant's transaction.
func (s *Store) FindRefreshToken(ctx context.Context, id string) (*coditect.RefreshToken, error) {
	var row sqlcdb.RefreshToken
	err := s.inTx(ctx, pgx.ReadOnly, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		key, err := q.FindRefreshToken(ctx, id)
		if err != nil {
			return err
		}
		if err := q.SetTenant(ctx, key.TenantID); err != nil {
			return err
		}
		row, err = q.GetRefreshToken(ctx, sqlcdb.GetRefreshTokenParams(key))
		return err
	})
	if err != nil {
		return nil, storeError("find refresh token", refreshTokenKind, err)
	}
	return &coditect.RefreshToken{
		ID:        row.ID,
		TenantID:  row.TenantID,
		UserID:    row.UserID,
		FamilyID:  row.FamilyID,
		ExpiresAt: stored(row.ExpiresAt),
		CreatedAt: stored(row.CreatedAt),
		UsedAt:    storedPtr(row.UsedAt),
		RevokedAt: storedPtr(row.RevokedAt),
	}, nil
}

// UseRefreshToken marks an unused token of the tenant used at at. It
// reports false, changing nothing, when the token was used already, and
// CodeNotFound when the tenant has no such token. Revocation and expiry
// are the caller's to check.
func (s *Store) UseRefreshToken(ctx context.Context, tenantID, id string, at time.Time) (bool, error) {
	var changed bool
	err := s.tenantQueries(ctx, tenantID, pgx.ReadWrite, func(q *sqlcdb.Queries) error {
		n, err := q.UseRefreshToken(ctx, sqlcdb.UseRefreshTokenParams{
			UsedAt:   storedPtr(&at),
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
			return pgx.ErrNoRows
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
	_, err := s.tenant(tenantID).RevokeRefreshFamily(ctx, sqlcdb.RevokeRefreshFamilyParams{
		RevokedAt: storedPtr(&at),
		TenantID:  tenantID,
		FamilyID:  familyID,
	})
	return storeError("revoke refresh family", refreshTokenKind, err)
}
