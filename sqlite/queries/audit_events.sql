-- name: RecordAudit :exec
INSERT INTO audit_events (
    tenant_id, id, actor_type, actor_id, action, target_type, target_id, ip,
    before, after, created_at
) VALUES (
    @tenant_id, @id, @actor_type, @actor_id, @action, @target_type, @target_id, @ip,
    @before, @after, @created_at
);

-- ListAuditEvents pages a tenant's events newest first. The time range is
-- [since, until); the store passes the extremes of INTEGER for an open end.
-- Each filter column has a query of its own below, one per index, so that
-- a filtered list walks only matching rows: the store picks the most
-- selective (target, then actor, then action) and that query checks the
-- other filters row by row.
-- name: ListAuditEvents :many
SELECT * FROM audit_events
WHERE tenant_id = @tenant_id
  AND created_at >= @since AND created_at < @until
  AND (CAST(@after AS TEXT) = '' OR id < @after)
ORDER BY id DESC
LIMIT @limit;

-- name: ListAuditEventsByAction :many
SELECT * FROM audit_events
WHERE tenant_id = @tenant_id
  AND action = @action
  AND created_at >= @since AND created_at < @until
  AND (CAST(@after AS TEXT) = '' OR id < @after)
ORDER BY id DESC
LIMIT @limit;

-- name: ListAuditEventsByActor :many
SELECT * FROM audit_events
WHERE tenant_id = @tenant_id
  AND actor_id = @actor_id
  AND (CAST(@action AS TEXT) = '' OR action = @action)
  AND created_at >= @since AND created_at < @until
  AND (CAST(@after AS TEXT) = '' OR id < @after)
ORDER BY id DESC
LIMIT @limit;

-- name: ListAuditEventsByTarget :many
SELECT * FROM audit_events
WHERE tenant_id = @tenant_id
  AND target_id = @target_id
  AND (CAST(@actor_id AS TEXT) = '' OR actor_id = @actor_id)
  AND (CAST(@action AS TEXT) = '' OR action = @action)
  AND created_at >= @since AND created_at < @until
  AND (CAST(@after AS TEXT) = '' OR id < @after)
ORDER BY id DESC
LIMIT @limit;
