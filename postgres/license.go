package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"math"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// CreateLicense inserts l. An empty Status is stored as active, nil
// Features and Metadata as empty ones. A taken ID or key digest (in any
// tenant) is CodeConflict, an unknown tenant CodeNotFound.
func (s *Store) CreateLicense(ctx context.Context, l *coditect.License) error {
	metadata, err := encodeMetadata(l.Metadata)
	if err != nil {
		return fmt.Errorf("create license: %w", err)
	}
	status := l.Status
	if status == "" {
		status = coditect.LicenseActive
	}
	features := l.Features
	if features == nil {
		features = []string{}
	}
	if !fitInt32(l.Seats, l.LeaseTTLSeconds, l.HeartbeatIntervalSeconds, l.OfflineGraceSeconds) {
		return coditect.Errorf(coditect.CodeInvalidRequest, "A field holds a value the store does not accept (create license).")
	}
	err = s.tenant(l.TenantID).CreateLicense(ctx, sqlcdb.CreateLicenseParams{
		TenantID:                 l.TenantID,
		ID:                       l.ID,
		Name:                     l.Name,
		Status:                   string(status),
		Seats:                    int32(l.Seats),
		ExpiresAt:                storedPtr(l.ExpiresAt),
		Features:                 features,
		LeaseTtlSeconds:          int32(l.LeaseTTLSeconds),
		HeartbeatIntervalSeconds: int32(l.HeartbeatIntervalSeconds),
		OfflineGraceSeconds:      int32(l.OfflineGraceSeconds),
		KeyDigest:                l.KeyDigest,
		KeyPrefix:                l.KeyPrefix,
		Metadata:                 metadata,
		CreatedAt:                stored(l.CreatedAt),
		UpdatedAt:                stored(l.UpdatedAt),
	})
	return storeError("create license", licenseKind, err)
}

// GetLicense returns a license of the tenant.
func (s *Store) GetLicense(ctx context.Context, tenantID, id string) (*coditect.License, error) {
	row, err := s.tenant(tenantID).GetLicense(ctx, sqlcdb.GetLicenseParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get license", licenseKind, err)
	}
	return licenseFromRow(row)
}

// FindLicenseByKeyDigest returns the license, of any tenant, whose key has
// the given digest, in one round trip: SetTenantByKeyDigest sets the
// tenant the find_license_by_key_digest function names (it yields only the
// license's tenant and ID), and the license is read by its digest under
// that tenant's row-level security, in the same transaction. The read
// takes a snapshot of its own, so a key changed in between is not found
// rather than found with its new digest.
func (s *Store) FindLicenseByKeyDigest(ctx context.Context, digest string) (*coditect.License, error) {
	q := s.scoped(func(q *sqlcdb.Queries) error {
		return q.SetTenantByKeyDigest(context.Background(), digest)
	})
	row, err := q.FindLicenseByKeyDigest(ctx, digest)
	if err != nil {
		return nil, storeError("find license by key digest", licenseKind, err)
	}
	return licenseFromRow(row)
}

// ListLicenses returns a page of the tenant's licenses, newest first. Q
// matches a case-insensitive substring of the name or exactly the key
// prefix.
func (s *Store) ListLicenses(ctx context.Context, tenantID string, f coditect.LicenseFilter) ([]*coditect.License, error) {
	rows, err := s.tenant(tenantID).ListLicenses(ctx, sqlcdb.ListLicensesParams{
		TenantID: tenantID,
		Q:        f.Q,
		Status:   string(f.Status),
		After:    f.After,
		RowLimit: limit(f.Limit),
	})
	if err != nil {
		return nil, storeError("list licenses", licenseKind, err)
	}
	out := make([]*coditect.License, 0, len(rows))
	for _, row := range rows {
		l, err := licenseFromRow(row)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, nil
}

// UpdateLicense writes every mutable field of l (everything but the tenant,
// ID and creation time). An empty Status is stored as active, nil Features
// and Metadata as empty ones. A license the tenant does not have is
// CodeNotFound, a key digest another license (of any tenant) has
// CodeConflict.
func (s *Store) UpdateLicense(ctx context.Context, l *coditect.License) error {
	metadata, err := encodeMetadata(l.Metadata)
	if err != nil {
		return fmt.Errorf("update license: %w", err)
	}
	status := l.Status
	if status == "" {
		status = coditect.LicenseActive
	}
	features := l.Features
	if features == nil {
		features = []string{}
	}
	if !fitInt32(l.Seats, l.LeaseTTLSeconds, l.HeartbeatIntervalSeconds, l.OfflineGraceSeconds) {
		return coditect.Errorf(coditect.CodeInvalidRequest, "A field holds a value the store does not accept (update license).")
	}
	err = oneRow(s.tenant(l.TenantID).UpdateLicense(ctx, sqlcdb.UpdateLicenseParams{
		Name:                     l.Name,
		Status:                   string(status),
		Seats:                    int32(l.Seats),
		ExpiresAt:                storedPtr(l.ExpiresAt),
		Features:                 features,
		LeaseTtlSeconds:          int32(l.LeaseTTLSeconds),
		HeartbeatIntervalSeconds: int32(l.HeartbeatIntervalSeconds),
		OfflineGraceSeconds:      int32(l.OfflineGraceSeconds),
		KeyDigest:                l.KeyDigest,
		KeyPrefix:                l.KeyPrefix,
		Metadata:                 metadata,
		UpdatedAt:                stored(l.UpdatedAt),
		TenantID:                 l.TenantID,
		ID:                       l.ID,
	}))
	return storeError("update license", licenseKind, err)
}

// DeleteLicense removes a license of the tenant and, in the same statement
// (the foreign key's cascade), its sessions. A license the tenant does not
// have is CodeNotFound.
func (s *Store) DeleteLicense(ctx context.Context, tenantID, id string) error {
	err := oneRow(s.tenant(tenantID).DeleteLicense(ctx, sqlcdb.DeleteLicenseParams{TenantID: tenantID, ID: id}))
	return storeError("delete license", licenseKind, err)
}

func licenseFromRow(row sqlcdb.License) (*coditect.License, error) {
	metadata, err := decodeMetadata(row.Metadata)
	if err != nil {
		return nil, fmt.Errorf("decode metadata of license %s: %w", row.ID, err)
	}
	features := row.Features
	if features == nil {
		features = []string{}
	}
	return &coditect.License{
		ID:                       row.ID,
		TenantID:                 row.TenantID,
		Name:                     row.Name,
		Status:                   coditect.LicenseStatus(row.Status),
		Seats:                    int(row.Seats),
		ExpiresAt:                storedPtr(row.ExpiresAt),
		Features:                 features,
		LeaseTTLSeconds:          int(row.LeaseTtlSeconds),
		HeartbeatIntervalSeconds: int(row.HeartbeatIntervalSeconds),
		OfflineGraceSeconds:      int(row.OfflineGraceSeconds),
		KeyDigest:                row.KeyDigest,
		KeyPrefix:                row.KeyPrefix,
		Metadata:                 metadata,
		CreatedAt:                stored(row.CreatedAt),
		UpdatedAt:                stored(row.UpdatedAt),
	}, nil
}

func encodeMetadata(m map[string]any) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(m)
}

func decodeMetadata(b []byte) (map[string]any, error) {
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}

// fitInt32 reports whether every v fits the schema's integer columns.
func fitInt32(vs ...int) bool {
	for _, v := range vs {
		if v < math.MinInt32 || v > math.MaxInt32 {
			return false
		}
	}
	return true
}
