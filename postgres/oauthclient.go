package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// CreateOAuthClient inserts c. A taken client ID (in any tenant) is
// CodeConflict, an unknown tenant CodeNotFound.
func (s *Store) CreateOAuthClient(ctx context.Context, c *coditect.OAuthClient) error {
	err := s.tenant(c.TenantID).CreateOAuthClient(ctx, sqlcdb.CreateOAuthClientParams{
		TenantID:     c.TenantID,
		ID:           c.ID,
		Name:         c.Name,
		SecretDigest: c.SecretDigest,
		Role:         string(c.Role),
		Disabled:     c.Disabled,
		CreatedBy:    c.CreatedBy,
		CreatedAt:    stored(c.CreatedAt),
	})
	return storeError("create oauth client", oauthClientKind, err)
}

// GetOAuthClient returns an OAuth client of the tenant.
func (s *Store) GetOAuthClient(ctx context.Context, tenantID, id string) (*coditect.OAuthClient, error) {
	row, err := s.tenant(tenantID).GetOAuthClient(ctx, sqlcdb.GetOAuthClientParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get oauth client", oauthClientKind, err)
	}
	return oauthClientFromRow(row), nil
}

// FindOAuthClient returns the OAuth client, of any tenant, with the given
// client ID. The find_oauth_client function yields only the client's
// tenant and ID; the client is read in that tenant's transaction.
func (s *Store) FindOAuthClient(ctx context.Context, id string) (*coditect.OAuthClient, error) {
	var row sqlcdb.OAuthClient
	err := s.inTx(ctx, pgx.ReadOnly, func(tx pgx.Tx) error {
		q := s.q.WithTx(tx)
		key, err := q.FindOAuthClient(ctx, id)
		if err != nil {
			return err
		}
		if err := q.SetTenant(ctx, key.TenantID); err != nil {
			return err
		}
		row, err = q.GetOAuthClient(ctx, sqlcdb.GetOAuthClientParams(key))
		return err
	})
	if err != nil {
		return nil, storeError("find oauth client", oauthClientKind, err)
	}
	return oauthClientFromRow(row), nil
}

// ListOAuthClients pages through the tenant's OAuth clients in ID order,
// starting after afterID.
func (s *Store) ListOAuthClients(ctx context.Context, tenantID, afterID string, n int) ([]*coditect.OAuthClient, error) {
	rows, err := s.tenant(tenantID).ListOAuthClients(ctx, sqlcdb.ListOAuthClientsParams{TenantID: tenantID, After: afterID, RowLimit: limit(n)})
	if err != nil {
		return nil, storeError("list oauth clients", oauthClientKind, err)
	}
	out := make([]*coditect.OAuthClient, 0, len(rows))
	for _, row := range rows {
		out = append(out, oauthClientFromRow(row))
	}
	return out, nil
}

// DeleteOAuthClient removes an OAuth client of the tenant; one the tenant
// does not have is CodeNotFound.
func (s *Store) DeleteOAuthClient(ctx context.Context, tenantID, id string) error {
	err := oneRow(s.tenant(tenantID).DeleteOAuthClient(ctx, sqlcdb.DeleteOAuthClientParams{TenantID: tenantID, ID: id}))
	return storeError("delete oauth client", oauthClientKind, err)
}

func oauthClientFromRow(row sqlcdb.OAuthClient) *coditect.OAuthClient {
	return &coditect.OAuthClient{
		ID:           row.ID,
		TenantID:     row.TenantID,
		Name:         row.Name,
		SecretDigest: row.SecretDigest,
		Role:         coditect.Role(row.Role),
		Disabled:     row.Disabled,
		CreatedBy:    row.CreatedBy,
		CreatedAt:    stored(row.CreatedAt),
	}
}
