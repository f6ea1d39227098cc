package sqlite

import (
	"context"
	"database/sql"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

// CreateSigningKey inserts k. A taken key ID is CodeConflict; a key with
// both or neither of an encrypted private key and an external reference is
// CodeInvalidRequest.
func (s *Store) CreateSigningKey(ctx context.Context, k *coditect.SigningKey) error {
	err := s.wq.CreateSigningKey(ctx, sqlcdb.CreateSigningKeyParams{
		ID:                  k.ID,
		Algorithm:           k.Algorithm,
		PublicKey:           orEmpty(k.PublicKey),
		EncryptedPrivateKey: orEmpty(k.EncryptedPrivateKey),
		ExternalRef:         k.ExternalRef,
		CreatedAt:           millis(k.CreatedAt),
		RetiredAt:           nullMillis(k.RetiredAt),
	})
	return storeError("create signing key", signingKeyKind, err)
}

// ListSigningKeys returns every signing key of the deployment, newest
// first.
func (s *Store) ListSigningKeys(ctx context.Context) ([]*coditect.SigningKey, error) {
	rows, err := s.rq.ListSigningKeys(ctx)
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
			CreatedAt:           fromMillis(r.CreatedAt),
			RetiredAt:           fromNullMillis(r.RetiredAt),
		})
	}
	return keys, nil
}

// RetireSigningKey marks a key retired at at. It reports false, changing
// nothing, when the key was retired already, and CodeNotFound when there is
// no such key.
func (s *Store) RetireSigningKey(ctx context.Context, id string, at time.Time) (bool, error) {
	var changed bool
	err := s.inTx(ctx, func(q *sqlcdb.Queries) error {
		n, err := q.RetireSigningKey(ctx, sqlcdb.RetireSigningKeyParams{
			RetiredAt: sql.NullInt64{Int64: millis(at), Valid: true},
			ID:        id,
		})
		if err != nil || n > 0 {
			changed = n > 0
			return err
		}
		// Same transaction, so "retired already" and "never existed" are
		// told apart on one snapshot.
		exists, err := q.SigningKeyExists(ctx, id)
		if err != nil {
			return err
		}
		if exists == 0 {
			return sql.ErrNoRows
		}
		return nil
	})
	if err != nil {
		return false, storeError("retire signing key", signingKeyKind, err)
	}
	return changed, nil
}

// orEmpty returns b, or an empty slice for nil: a nil slice would be bound
// as NULL, and an empty column reads back the same either way.
func orEmpty(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
