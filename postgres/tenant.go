package postgres

import (
	"context"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// CreateTenant inserts t; a taken ID is CodeConflict. It runs in t's own
// tenant transaction: the tenants policy admits exactly that row.
func (s *Store) CreateTenant(ctx context.Context, t *coditect.Tenant) error {
	err := s.tenant(t.ID).CreateTenant(ctx, sqlcdb.CreateTenantParams{
		ID:        t.ID,
		Name:      t.Name,
		CreatedAt: stored(t.CreatedAt),
	})
	return storeError("create tenant", tenantKind, err)
}

// GetTenant returns the tenant with the given ID.
func (s *Store) GetTenant(ctx context.Context, id string) (*coditect.Tenant, error) {
	row, err := s.tenant(id).GetTenant(ctx, id)
	if err != nil {
		return nil, storeError("get tenant", tenantKind, err)
	}
	return &coditect.Tenant{ID: row.ID, Name: row.Name, CreatedAt: stored(row.CreatedAt)}, nil
}

// CountTenants returns the number of tenants in the deployment, through
// the count_tenants function: the application role itself sees no tenant
// outside a tenant transaction.
func (s *Store) CountTenants(ctx context.Context) (int, error) {
	n, err := s.q.CountTenants(ctx)
	if err != nil {
		return 0, storeError("count tenants", tenantKind, err)
	}
	return int(n), nil
}

// ListTenants pages through every tenant in ID order, starting after
// afterID, through the list_tenants function.
func (s *Store) ListTenants(ctx context.Context, afterID string, n int) ([]*coditect.Tenant, error) {
	rows, err := s.q.ListTenants(ctx, sqlcdb.ListTenantsParams{After: afterID, RowLimit: int64(limit(n))})
	if err != nil {
		return nil, storeError("list tenants", tenantKind, err)
	}
	out := make([]*coditect.Tenant, 0, len(rows))
	for _, row := range rows {
		out = append(out, &coditect.Tenant{ID: row.ID, Name: row.Name, CreatedAt: stored(row.CreatedAt)})
	}
	return out, nil
}
