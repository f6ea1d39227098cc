package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

// CreateSession inserts s; an empty Status is stored as active. A second
// active session with the same license, fingerprint and non-empty instance
// ID is CodeConflict (a unique index decides, so concurrent acquires cannot
// both win); a license that is not the tenant's is CodeNotFound.
func (s *Store) CreateSession(ctx context.Context, sess *coditect.Session) error {
	metadata, err := encodeMetadata(sess.Metadata)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	status := sess.Status
	if status == "" {
		status = coditect.SessionActive
	}
	p := sqlcdb.CreateSessionParams{
		TenantID:        sess.TenantID,
		ID:              sess.ID,
		LicenseID:       sess.LicenseID,
		Fingerprint:     sess.Fingerprint,
		InstanceID:      sess.InstanceID,
		UserName:        sess.User,
		Hostname:        sess.Hostname,
		ClientName:      sess.ClientName,
		ClientVersion:   sess.ClientVersion,
		Ip:              sess.IP,
		Metadata:        metadata,
		Status:          string(status),
		StartedAt:       millis(sess.StartedAt),
		LastHeartbeatAt: millis(sess.LastHeartbeatAt),
		ExpiresAt:       millis(sess.ExpiresAt),
		EndedAt:         nullMillis(sess.EndedAt),
		EndReason:       sql.NullString{String: string(sess.EndReason), Valid: sess.EndReason != ""},
	}
	if status == coditect.SessionActive && sess.InstanceID != "" {
		// Before the insert is submitted, so that no FindActiveSession can
		// see the row committed but not the key in the filter. Should the
		// insert fail, the key is a harmless false positive.
		done := s.instances.adding(sess.TenantID, sess.LicenseID, sess.Fingerprint, sess.InstanceID)
		defer done()
	}
	err = s.batch.do(ctx, func(ctx context.Context, q *sqlcdb.Queries) error {
		return q.CreateSession(ctx, p)
	})
	return storeError("create session", sessionKind, err)
}

// GetSession returns a session of the tenant.
func (s *Store) GetSession(ctx context.Context, tenantID, id string) (*coditect.Session, error) {
	row, err := s.rq.GetSession(ctx, sqlcdb.GetSessionParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get session", sessionKind, err)
	}
	return sessionFromRow(row)
}

// FindActiveSession returns the active session for a license, fingerprint
// and non-empty instance ID; an empty instance ID names no instance and is
// always CodeNotFound. Nearly every acquire asks for an instance that has no
// session, and the instance filter answers those without a query.
func (s *Store) FindActiveSession(ctx context.Context, tenantID, licenseID, fingerprint, instanceID string) (*coditect.Session, error) {
	if instanceID == "" || !s.instances.mayContain(tenantID, licenseID, fingerprint, instanceID) {
		return nil, storeError("find active session", sessionKind, sql.ErrNoRows)
	}
	row, err := s.rq.FindActiveSession(ctx, sqlcdb.FindActiveSessionParams{
		TenantID:    tenantID,
		LicenseID:   licenseID,
		Fingerprint: fingerprint,
		InstanceID:  instanceID,
	})
	if err != nil {
		return nil, storeError("find active session", sessionKind, err)
	}
	return sessionFromRow(row)
}

// ListSessions returns a page of the tenant's sessions, newest first.
func (s *Store) ListSessions(ctx context.Context, tenantID string, f coditect.SessionFilter) ([]*coditect.Session, error) {
	var rows []sqlcdb.Session
	var err error
	if f.LicenseID != "" {
		rows, err = s.rq.ListLicenseSessions(ctx, sqlcdb.ListLicenseSessionsParams{
			TenantID:  tenantID,
			LicenseID: f.LicenseID,
			Status:    string(f.Status),
			After:     f.After,
			Limit:     limit(f.Limit),
		})
	} else {
		rows, err = s.rq.ListSessions(ctx, sqlcdb.ListSessionsParams{
			TenantID: tenantID,
			Status:   string(f.Status),
			After:    f.After,
			Limit:    limit(f.Limit),
		})
	}
	if err != nil {
		return nil, storeError("list sessions", sessionKind, err)
	}
	return sessionsFromRows(rows)
}

// EndSession marks an active session ended at at for reason. It reports
// false when the session had already ended and CodeNotFound when the tenant
// has no such session.
func (s *Store) EndSession(ctx context.Context, tenantID, id string, reason coditect.EndReason, at time.Time) (bool, error) {
	var changed bool
	err := s.batch.do(ctx, func(ctx context.Context, q *sqlcdb.Queries) error {
		n, err := q.EndSession(ctx, sqlcdb.EndSessionParams{
			EndedAt:   sql.NullInt64{Int64: millis(at), Valid: true},
			EndReason: sql.NullString{String: string(reason), Valid: true},
			TenantID:  tenantID,
			ID:        id,
		})
		if err != nil || n > 0 {
			changed = n > 0
			return err
		}
		// Same transaction as the update, so "already ended" and "never
		// existed" are told apart on one snapshot.
		exists, err := q.SessionExists(ctx, sqlcdb.SessionExistsParams{TenantID: tenantID, ID: id})
		if err != nil {
			return err
		}
		if exists == 0 {
			return sql.ErrNoRows
		}
		return nil
	})
	if err != nil {
		return false, storeError("end session", sessionKind, err)
	}
	return changed, nil
}

// ListActiveSessions pages through the active sessions of every tenant in
// ID order, starting after afterID.
func (s *Store) ListActiveSessions(ctx context.Context, afterID string, n int) ([]*coditect.Session, error) {
	rows, err := s.rq.ListActiveSessions(ctx, sqlcdb.ListActiveSessionsParams{After: afterID, Limit: batchLimit(n)})
	if err != nil {
		return nil, storeError("list active sessions", sessionKind, err)
	}
	return sessionsFromRows(rows)
}

// ListExpiredSessions returns up to n active sessions of any tenant whose
// expiry is at or before now, earliest expiry first.
func (s *Store) ListExpiredSessions(ctx context.Context, now time.Time, n int) ([]*coditect.Session, error) {
	rows, err := s.rq.ListExpiredSessions(ctx, sqlcdb.ListExpiredSessionsParams{Now: millis(now), Limit: batchLimit(n)})
	if err != nil {
		return nil, storeError("list expired sessions", sessionKind, err)
	}
	return sessionsFromRows(rows)
}

// TouchSessions writes a batch of heartbeats in one transaction. Ended and
// unknown sessions are skipped, and neither the heartbeat time nor the
// expiry of a session ever moves backwards.
func (s *Store) TouchSessions(ctx context.Context, touches []coditect.SessionTouch) error {
	if len(touches) == 0 {
		return nil
	}
	err := s.inTx(ctx, func(q *sqlcdb.Queries) error {
		for _, t := range touches {
			if _, err := q.TouchSession(ctx, sqlcdb.TouchSessionParams{
				LastHeartbeatAt: millis(t.LastHeartbeatAt),
				ExpiresAt:       millis(t.ExpiresAt),
				TenantID:        t.TenantID,
				ID:              t.SessionID,
			}); err != nil {
				return err
			}
		}
		return nil
	})
	return storeError("touch sessions", sessionKind, err)
}

func sessionsFromRows(rows []sqlcdb.Session) ([]*coditect.Session, error) {
	out := make([]*coditect.Session, 0, len(rows))
	for _, row := range rows {
		sess, err := sessionFromRow(row)
		if err != nil {
			return nil, err
		}
		out = append(out, sess)
	}
	return out, nil
}

func sessionFromRow(row sqlcdb.Session) (*coditect.Session, error) {
	metadata, err := decodeMetadata(row.Metadata)
	if err != nil {
		return nil, fmt.Errorf("decode metadata of session %s: %w", row.ID, err)
	}
	return &coditect.Session{
		ID:              row.ID,
		TenantID:        row.TenantID,
		LicenseID:       row.LicenseID,
		Fingerprint:     row.Fingerprint,
		InstanceID:      row.InstanceID,
		User:            row.UserName,
		Hostname:        row.Hostname,
		ClientName:      row.ClientName,
		ClientVersion:   row.ClientVersion,
		IP:              row.Ip,
		Metadata:        metadata,
		Status:          coditect.SessionStatus(row.Status),
		StartedAt:       fromMillis(row.StartedAt),
		LastHeartbeatAt: fromMillis(row.LastHeartbeatAt),
		ExpiresAt:       fromMillis(row.ExpiresAt),
		EndedAt:         fromNullMillis(row.EndedAt),
		EndReason:       coditect.EndReason(row.EndReason.String),
	}, nil
}
