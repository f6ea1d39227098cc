package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// The signing keys belong to the deployment: signing_keys has no tenant_id
// and no row-level security (migrations/00003_signing_keys.sql says why),
// so these methods run outside any tenant's transaction.

// CreateSigningKey inserts k. A taken key ID is CodeConflict; a key with
// both or neither of an encrypted private key and an external reference is
// CodeInvalidRequest.
func (s *Store) CreateSigningKey(ctx context.Context, k *coditect.SigningKey) error {
	err := s.q.CreateSigningKey(ctx, sqlcdb.CreateSigningKeyParams{
		ID:                  k.ID,
		Algorithm:           k.Algorithm,
		PublicKey:           orEmpty(k.PublicKey),
		EncryptedPrivateKey: orEmpty(k.EncryptedPrivateKey),
		ExternalRef:         k.ExternalRef,
		CreatedAt:           stored(k.CreatedAt),
		RetiredAt:           storedPtr(k.RetiredAt),
	})
	return storeError("create signing key", signingKeyKind, err)
}

// ListSigningKeys returns every signing key of the deployment, newest
// first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]*coditect.SigningKey, error) {
	rows, err := s.q.ListSigningKeys(ctx)
	if err != nil {
		return nil, storeError("list signing keys", signingKeyKind, err)
	}
	keys := make([]*coditect.SigningKey, 0, len(rows))
	for _, r := range rows {
		keys = append(keys, &coditect.SigningKey{
			ID:                  r.ID,
			Algorithm:           r.Algorithm,
			PublicKey:           orEmpty(r.PublicKey),
			EncryptedPrivateKey: orEmpty(r.EncryptedPrivateKey),
			ExternalRef:         r.ExternalRef,
			CreatedAt:           stored(r.CreatedAt),
			RetiredAt:           storedPtr(r.RetiredAt),
		})
	}
	return keys, nil
}

// RetireSigningKey marks a key retired at at. It reports false, changing
// nothing, when the key was retired already, and CodeNotFound when there is
// no such key.
func (s *Store) RetireSigningKey(ctx context.Context, id string, at time.Time) (bool, error) {
	var changed bool
	err := s.inTx(ctx, pgx.ReadWrite, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		n, err := q.RetireSigningKey(ctx, sqlcdb.RetireSigningKeyParams{
			RetiredAt: storedPtr(&at),
			ID:        id,
		})
		if err != nil || n > 0 {
			changed = n > 0
			return err
		}
		// Same transaction, so "retired already" and "never existed" are
		// told apart together; keys are never deleted, so a key the UPDATE
		// found retired still exists here.
		exists, err := q.SigningKeyExists(ctx, id)
		if err != nil {
			return err
		}
		if exists == 0 {
			return pgx.ErrNoRows
		}
		return nil
	})
	if err != nil {
		return false, storeError("retire signing key", signingKeyKind, err)
	}
	return changed, nil
}

// orEmpty returns b, or an empty slice for nil: pgx sends a nil slice as
// NULL, which the NOT NULL bytea columns refuse.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
