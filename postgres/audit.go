package postgres

import (
	"context"
	"encoding/json"
	"fmt"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// RecordAudit inserts e. Nil Before and After are stored as NULL. A taken
// ID is CodeConflict, an unknown tenant CodeNotFound.
func (s *Store) RecordAudit(ctx context.Context, e *coditect.AuditEvent) error {
	before, err := encodeState(e.Before)
	if err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	after, err := encodeState(e.After)
	if err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	err = s.tenant(e.TenantID).RecordAudit(ctx, sqlcdb.RecordAuditParams{
		TenantID:   e.TenantID,
		ID:         e.ID,
		ActorType:  e.ActorType,
		ActorID:    e.ActorID,
		Action:     e.Action,
		TargetType: e.TargetType,
		TargetID:   e.TargetID,
		Ip:         e.IP,
		Before:     before,
		After:      after,
		CreatedAt:  stored(e.CreatedAt),
	})
	return storeError("record audit", auditKind, err)
}

// ListAuditEvents returns a page of the tenant's audit events, newest
// first. Action, ActorID and TargetID match exactly; From is inclusive, To
// exclusive. The query is the one whose index serves the most selective
// filter given.
func (s *Store) ListAuditEvents(ctx context.Context, tenantID string, f coditect.AuditFilter) ([]*coditect.AuditEvent, error) {
	since, until := storedPtr(f.From), storedPtr(f.To)
	q := s.tenant(tenantID)
	var rows []sqlcdb.AuditEvent
	var err error
	switch {
	case f.TargetID != "":
		rows, err = q.ListAuditEventsByTarget(ctx, sqlcdb.ListAuditEventsByTargetParams{
			TenantID: tenantID, TargetID: f.TargetID, ActorID: f.ActorID, Action: f.Action,
			Since: since, Until: until, After: f.After, RowLimit: limit(f.Limit),
		})
	case f.ActorID != "":
		rows, err = q.ListAuditEventsByActor(ctx, sqlcdb.ListAuditEventsByActorParams{
			TenantID: tenantID, ActorID: f.ActorID, Action: f.Action,
			Since: since, Until: until, After: f.After, RowLimit: limit(f.Limit),
		})
	case f.Action != "":
		rows, err = q.ListAuditEventsByAction(ctx, sqlcdb.ListAuditEventsByActionParams{
			TenantID: tenantID, Action: f.Action,
			Since: since, Until: until, After: f.After, RowLimit: limit(f.Limit),
		})
	default:
		rows, err = q.ListAuditEvents(ctx, sqlcdb.ListAuditEventsParams{
			TenantID: tenantID, Since: since, Until: until, After: f.After, RowLimit: limit(f.Limit),
		})
	}
	if err != nil {
		return nil, storeError("list audit events", auditKind, err)
	}
	out := make([]*coditect.AuditEvent, 0, len(rows))
	for _, row := range rows {
		e, err := auditEventFromRow(row)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func auditEventFromRow(row sqlcdb.AuditEvent) (*coditect.AuditEvent, error) {
	before, err := decodeState(row.Before)
	if err != nil {
		return nil, fmt.Errorf("decode before of audit event %s: %w", row.ID, err)
	}
	after, err := decodeState(row.After)
	if err != nil {
		return nil, fmt.Errorf("decode after of audit event %s: %w", row.ID, err)
	}
	return &coditect.AuditEvent{
		ID:         row.ID,
		TenantID:   row.TenantID,
		ActorType:  row.ActorType,
		ActorID:    row.ActorID,
		Action:     row.Action,
		TargetType: row.TargetType,
		TargetID:   row.TargetID,
		IP:         row.Ip,
		Before:     before,
		After:      after,
		CreatedAt:  stored(row.CreatedAt),
	}, nil
}

// encodeState stores an audited object's state as JSON, nil as NULL.
func encodeState(m map[string]any) ([]byte, error) {
	if m == nil {
		return nil, nil
	}
	return json.Marshal(m)
}

func decodeState(b []byte) (map[string]any, error) {
	if b == nil {
		return nil, nil
	}
	return decodeMetadata(b)
}
