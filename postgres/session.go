package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// CreateSession inserts s; an empty Status is stored as active. A second
// active session with the same license, fingerprint and non-empty instance
// ID is CodeConflict (a unique index decides, so concurrent acquires cannot
// both win); a license that is not the tenant's is CodeNotFound.
//
// The insert goes through the committer (commit.go), in a transaction
// shared with the session writes submitted at the same time.
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
		StartedAt:       stored(sess.StartedAt),
		LastHeartbeatAt: stored(sess.LastHeartbeatAt),
		ExpiresAt:       stored(sess.ExpiresAt),
		EndedAt:         storedPtr(sess.EndedAt),
		EndReason:       stringPtr(string(sess.EndReason)),
	}
	alone := func(ctx context.Context) error {
		return s.tenant(sess.TenantID).CreateSession(ctx, p)
	}
	n, err := s.committer().do(&writeOp{
		ctx: ctx, tenantID: sess.TenantID, id: sess.ID,
		shared: func(q *sqlcdb.Queries) {
			_, _ = q.TryCreateSession(ctx, sqlcdb.TryCreateSessionParams(p))
		},
		alone: func(ctx context.Context) (int64, error) { return 1, alone(ctx) },
	})
	if err == nil && n == 0 {
		// A unique index held the row in a shared batch, which skipped it.
		// Alone, the insert says which index (or finds the conflict gone,
		// and succeeds: a committed session may have ended since).
		err = alone(ctx)
	}
	return storeError("create session", sessionKind, err)
}

// GetSession returns a session of the tenant.
func (s *Store) GetSession(ctx context.Context, tenantID, id string) (*coditect.Session, error) {
	row, err := s.tenant(tenantID).GetSession(ctx, sqlcdb.GetSessionParams{TenantID: tenantID, ID: id})
	if err != nil {
		return nil, storeError("get session", sessionKind, err)
	}
	return sessionFromRow(row)
}

// FindActiveSession returns the active session for a license, fingerprint
// and non-empty instance ID, through the unique index that keeps it one;
// an empty instance ID names no instance and finds nothing.
func (s *Store) FindActiveSession(ctx context.Context, tenantID, licenseID, fingerprint, instanceID string) (*coditect.Session, error) {
	row, err := s.tenant(tenantID).FindActiveSession(ctx, sqlcdb.FindActiveSessionParams{
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
		rows, err = s.tenant(tenantID).ListLicenseSessions(ctx, sqlcdb.ListLicenseSessionsParams{
			TenantID:  tenantID,
			LicenseID: f.LicenseID,
			Status:    string(f.Status),
			After:     f.After,
			RowLimit:  limit(f.Limit),
		})
	} else {
		rows, err = s.tenant(tenantID).ListSessions(ctx, sqlcdb.ListSessionsParams{
			TenantID: tenantID,
			Status:   string(f.Status),
			After:    f.After,
			RowLimit: limit(f.Limit),
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
//
// The update goes through the committer (commit.go), in a transaction
// shared with the session writes submitted at the same time; the check
// that tells an ended session from a missing one runs after it.
func (s *Store) EndSession(ctx context.Context, tenantID, id string, reason coditect.EndReason, at time.Time) (bool, error) {
	q := s.tenant(tenantID)
	// An empty reason is stored as '' (not NULL), so the CHECK refuses it
	// as SQLite's does.
	r := string(reason)
	p := sqlcdb.EndSessionParams{
		EndedAt:   storedPtr(&at),
		EndReason: &r,
		TenantID:  tenantID,
		ID:        id,
	}
	n, err := s.committer().do(&writeOp{
		ctx: ctx, tenantID: tenantID, id: id,
		shared: func(q *sqlcdb.Queries) { _, _ = q.EndSession(ctx, p) },
		alone:  func(ctx context.Context) (int64, error) { return q.EndSession(ctx, p) },
	})
	if err != nil {
		return false, storeError("end session", sessionKind, err)
	}
	if n > 0 {
		return true, nil
	}
	// The UPDATE found no active session: it had ended, or never existed.
	// Telling the two apart in a transaction of its own, after the
	// UPDATE's, gives the same answer as one snapshot would: an ended
	// session never becomes active again, so one that exists now had ended
	// then; and a session stops existing only with its license (the
	// foreign key's cascade), after which not found is a right answer too.
	// (A session created in between, with the very ID being ended, would
	// be the one exception; IDs are minted by whoever creates the session
	// and handed out only after it is stored.)
	exists, err := q.SessionExists(ctx, sqlcdb.SessionExistsParams{TenantID: tenantID, ID: id})
	if err == nil && exists == 0 {
		err = pgx.ErrNoRows
	}
	if err != nil {
		return false, storeError("end session", sessionKind, err)
	}
	return false, nil
}

// ListActiveSessions pages through the active sessions of every tenant in
// ID order, starting after afterID, through the list_active_sessions
// function.
func (s *Store) ListActiveSessions(ctx context.Context, afterID string, n int) ([]*coditect.Session, error) {
	rows, err := s.q.ListActiveSessions(ctx, sqlcdb.ListActiveSessionsParams{After: afterID, RowLimit: batchLimit(n)})
	if err != nil {
		return nil, storeError("list active sessions", sessionKind, err)
	}
	return sessionsFromRows(rows)
}

// ListExpiredSessions returns up to n active sessions of any tenant whose
// expiry is at or before now, earliest expiry first, through the
// list_expired_sessions function.
func (s *Store) ListExpiredSessions(ctx context.Context, now time.Time, n int) ([]*coditect.Session, error) {
	rows, err := s.q.ListExpiredSessions(ctx, sqlcdb.ListExpiredSessionsParams{Now: stored(now), RowLimit: batchLimit(n)})
	if err != nil {
		return nil, storeError("list expired sessions", sessionKind, err)
	}
	return sessionsFromRows(rows)
}

// TouchSessions writes a batch of heartbeats back. Ended and unknown
// sessions are skipped, and neither the heartbeat time nor the expiry of a
// session ever moves backwards.
//
// The batch is split by tenant, and each tenant's part is one UPDATE over
// unnested arrays behind that tenant's SetTenant, like every other write
// of the store: the application role and row-level security guard it, with
// no cross-tenant write path to audit. All the parts go in one pgx batch,
// so the whole write-back is one round trip and one implicit transaction:
// it is written entirely or, on an error, not at all. Tenants, and IDs
// within a tenant, go in sorted order, so two replicas writing back the
// same sessions lock them in the same order.
func (s *Store) TouchSessions(ctx context.Context, touches []coditect.SessionTouch) error {
	var b pgx.Batch
	q := queue(&b)
	for _, t := range touchBatches(touches) {
		_ = q.SetTenant(ctx, t.TenantID)
		_, _ = q.TouchSessions(ctx, t)
	}
	return storeError("touch sessions", sessionKind, s.sendBatch(ctx, &b))
}

// touchBatches groups touches by tenant, in tenant order, each session once
// (with its latest heartbeat and expiry) and in ID order.
func touchBatches(touches []coditect.SessionTouch) []sqlcdb.TouchSessionsParams {
	type key struct{ tenant, id string }
	latest := make(map[key]coditect.SessionTouch, len(touches))
	for _, t := range touches {
		k := key{t.TenantID, t.SessionID}
		if cur, ok := latest[k]; ok {
			if cur.LastHeartbeatAt.After(t.LastHeartbeatAt) {
				t.LastHeartbeatAt = cur.LastHeartbeatAt
			}
			if cur.ExpiresAt.After(t.ExpiresAt) {
				t.ExpiresAt = cur.ExpiresAt
			}
		}
		latest[k] = t
	}
	sorted := make([]coditect.SessionTouch, 0, len(latest))
	for _, t := range latest {
		sorted = append(sorted, t)
	}
	slices.SortFunc(sorted, func(a, b coditect.SessionTouch) int {
		return cmp.Or(cmp.Compare(a.TenantID, b.TenantID), cmp.Compare(a.SessionID, b.SessionID))
	})
	var out []sqlcdb.TouchSessionsParams
	for _, t := range sorted {
		if len(out) == 0 || out[len(out)-1].TenantID != t.TenantID {
			out = append(out, sqlcdb.TouchSessionsParams{TenantID: t.TenantID})
		}
		b := &out[len(out)-1]
		b.Ids = append(b.Ids, t.SessionID)
		b.LastHeartbeatAts = append(b.LastHeartbeatAts, stored(t.LastHeartbeatAt))
		b.ExpiresAts = append(b.ExpiresAts, stored(t.ExpiresAt))
	}
	return out
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
	var reason coditect.EndReason
	if row.EndReason != nil {
		reason = coditect.EndReason(*row.EndReason)
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
		StartedAt:       stored(row.StartedAt),
		LastHeartbeatAt: stored(row.LastHeartbeatAt),
		ExpiresAt:       stored(row.ExpiresAt),
		EndedAt:         storedPtr(row.EndedAt),
		EndReason:       reason,
	}, nil
}
