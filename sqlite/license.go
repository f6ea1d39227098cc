package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

// CreateLicense inserts l. An empty Status is stored as active, nil
// Features and Metadata as empty ones. A taken ID or key digest is
// CodeConflict, an unknown tenant CodeNotFound.
func (s *Store) CreateLicense(ctx context.Context, l *coditect.License) error {
	features, err := encodeFeatures(l.Features)
	if err != nil {
		return fmt.Errorf("create license: %w", err)
	}
	metadata, err := encodeMetadata(l.Metadata)
	if err != nil {
		return fmt.Errorf("create license: %w", err)
	}
	status := l.Status
	if status == "" {
		status = coditect.LicenseActive
	}
	err = s.wq.CreateLicense(ctx, sqlcdb.CreateLicenseParams{
		TenantID:                 l.TenantID,
		ID:                       l.ID,
		Name:                     l.Name,
		Status:                   string(status),
		Seats:                    int64(l.Seats),
		ExpiresAt:                nullMillis(l.ExpiresAt),
		Features:                 features,
		LeaseTtlSeconds:          int64(l.LeaseTTLSeconds),
		HeartbeatIntervalSeconds: int64(l.HeartbeatIntervalSeconds),
		OfflineGraceSeconds:      int64(l.OfflineGraceSeconds),
		KeyDigest:                l.KeyDigest,
		KeyPrefix:                l.KeyPrefix,
		Metadata:                 metadata,
		CreatedAt:                millis(l.CreatedAt),
		UpdatedAt:                millis(l.UpdatedAt),
	})
	s.licenses.invalidate()
	return storeError("create license", licenseKind, err)
}

// GetLicense returns a license of the tenant.
func (s *Store) GetLicense(ctx context.Context, tenantID, id string) (*coditect.License, error) {
	row, err := s.rq.GetLicense(ctx, sqlcdb.GetLicenseParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get license", licenseKind, err)
	}
	return licenseFromRow(row)
}

// FindLicenseByKeyDigest returns the license, of any tenant, whose key has
// the given digest.
// Every acquire starts here, so found rows are cached (see licenseCache).
func (s *Store) FindLicenseByKeyDigest(ctx context.Context, digest string) (*coditect.License, error) {
	row, gen, ok := s.licenses.get(digest)
	if !ok {
		var err error
		row, err = s.rq.FindLicenseByKeyDigest(ctx, digest)
		if err != nil {
			return nil, storeError("find license by key digest", licenseKind, err)
		}
		s.licenses.put(digest, row, gen)
	}
	return licenseFromRow(row)
}

// ListLicenses returns a page of the tenant's licenses, newest first. Q
// matches a case-insensitive substring of the name or exactly the key
// prefix.
func (s *Store) ListLicenses(ctx context.Context, tenantID string, f coditect.LicenseFilter) ([]*coditect.License, error) {
	rows, err := s.rq.ListLicenses(ctx, sqlcdb.ListLicensesParams{
		TenantID: tenantID,
		Q:        f.Q,
		Status:   string(f.Status),
		After:    f.After,
		Limit:    limit(f.Limit),
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
// CodeNotFound, a key digest another license has CodeConflict.
func (s *Store) UpdateLicense(ctx context.Context, l *coditect.License) error {
	features, err := encodeFeatures(l.Features)
	if err != nil {
		return fmt.Errorf("update license: %w", err)
	}
	metadata, err := encodeMetadata(l.Metadata)
	if err != nil {
		return fmt.Errorf("update license: %w", err)
	}
	status := l.Status
	if status == "" {
		status = coditect.LicenseActive
	}
	n, err := s.wq.UpdateLicense(ctx, sqlcdb.UpdateLicenseParams{
		Name:                     l.Name,
		Status:                   string(status),
		Seats:                    int64(l.Seats),
		ExpiresAt:                nullMillis(l.ExpiresAt),
		Features:                 features,
		LeaseTtlSeconds:          int64(l.LeaseTTLSeconds),
		HeartbeatIntervalSeconds: int64(l.HeartbeatIntervalSeconds),
		OfflineGraceSeconds:      int64(l.OfflineGraceSeconds),
		KeyDigest:                l.KeyDigest,
		KeyPrefix:                l.KeyPrefix,
		Metadata:                 metadata,
		UpdatedAt:                millis(l.UpdatedAt),
		TenantID:                 l.TenantID,
		ID:                       l.ID,
	})
	s.licenses.invalidate()
	return storeError("update license", licenseKind, oneRow(n, err))
}

// DeleteLicense removes a license of the tenant and, in the same statement
// (the foreign key's cascade), its sessions. A license the tenant does not
// have is CodeNotFound.
func (s *Store) DeleteLicense(ctx context.Context, tenantID, id string) error {
	n, err := s.wq.DeleteLicense(ctx, sqlcdb.DeleteLicenseParams{TenantID: tenantID, ID: id})
	s.licenses.invalidate()
	return storeError("delete license", licenseKind, oneRow(n, err))
}

// maxCachedLicenses bounds the license cache; a full cache starts over.
const maxCachedLicenses = 10_000

// licenseCache keeps license rows by key digest, so that an acquire does
// not read the license from the file every time. The store is the only
// writer of its file, and every write of a license through it invalidates
// the whole cache after the write, so a cached row is never older than the
// last license write that completed. A read that raced with a write is not
// cached: put only keeps a row read entirely after the last invalidation
// (the generation it read under is still current). Rows, not licenses, are
// kept, so callers get fresh objects they may change.
type licenseCache struct {
	mu   sync.Mutex
	gen  uint64
	rows map[string]sqlcdb.License
}

// get returns the cached row for digest, and the generation a row read from
// the file now would be cached under.
func (c *licenseCache) get(digest string) (sqlcdb.License, uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	row, ok := c.rows[digest]
	return row, c.gen, ok
}

func (c *licenseCache) put(digest string, row sqlcdb.License, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen {
		return // a license was written while row was read
	}
	if c.rows == nil || len(c.rows) >= maxCachedLicenses {
		c.rows = make(map[string]sqlcdb.License)
	}
	c.rows[digest] = row
}

func (c *licenseCache) invalidate() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.rows = nil
}

func licenseFromRow(row sqlcdb.License) (*coditect.License, error) {
	features := []string{}
	if err := json.Unmarshal([]byte(row.Features), &features); err != nil {
		return nil, fmt.Errorf("decode features of license %s: %w", row.ID, err)
	}
	metadata, err := decodeMetadata(row.Metadata)
	if err != nil {
		return nil, fmt.Errorf("decode metadata of license %s: %w", row.ID, err)
	}
	return &coditect.License{
		ID:                       row.ID,
		TenantID:                 row.TenantID,
		Name:                     row.Name,
		Status:                   coditect.LicenseStatus(row.Status),
		Seats:                    int(row.Seats),
		ExpiresAt:                fromNullMillis(row.ExpiresAt),
		Features:                 features,
		LeaseTTLSeconds:          int(row.LeaseTtlSeconds),
		HeartbeatIntervalSeconds: int(row.HeartbeatIntervalSeconds),
		OfflineGraceSeconds:      int(row.OfflineGraceSeconds),
		KeyDigest:                row.KeyDigest,
		KeyPrefix:                row.KeyPrefix,
		Metadata:                 metadata,
		CreatedAt:                fromMillis(row.CreatedAt),
		UpdatedAt:                fromMillis(row.UpdatedAt),
	}, nil
}

func encodeFeatures(f []string) (string, error) {
	if f == nil {
		return "[]", nil
	}
	b, err := json.Marshal(f)
	return string(b), err
}

func encodeMetadata(m map[string]any) (string, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

func decodeMetadata(s string) (map[string]any, error) {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	return m, nil
}
