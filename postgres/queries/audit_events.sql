-- name: RecordAudit :exec
INSERT INTO audit_events (
    tenant_id, id, actor_type, actor_id, action, target_type, target_id, ip,
    before, after, created_at
) VALUES (
    @tenant_id, @id, @actor_type, @actor_id, @action, @target_type, @target_id, @ip,
    @before, @after, @created_at
);

-- ListAuditEvents pages a tenant's events newest first. The time range is
-- [since, until); NULL leaves that end open. Each filter column has a query
-- of its own below, one per index, so that a filtered list walks only
-- matching rows whatever plan a prepared statement settles on: the store
-- picks the most selective (target, then actor, then action) and that
-- query checks the other filters row by row.
-- name: ListAuditEvents :many
SELECT * FROM audit_events
WHERE tenant_id = @tenant_id
  AND (sqlc.narg('since')::timestamptz IS NULL OR created_at >= sqlc.narg('since')::timestamptz)
  AND (sqlc.narg('until')::timestamptz IS NULL OR created_at < sqlc.narg('until')::timestamptz)
  AND (@after::text = '' OR id < @after::text)
ORDER BY id DESC
LIMIT @row_limit;

-- name: ListAuditEventsByAction :many
SELECT * FROM audit_events
WHERE tenant_id = @tenant_id
  AND action = @action
  AND (sqlc.narg('since')::timestamptz IS NULL OR created_at >= sqlc.narg('since')::timestamptz)
  AND (sqlc.narg('until')::timestamptz IS NULL OR created_at < sqlc.narg('until')::timestamptz)
  AND (@after::text = '' OR id < @after::text)
ORDER BY id DESC
LIMIT @row_limit;

-- name: ListAuditEventsByActor :many
SELECT * FROM audit_events
WHERE tenant_id = @tenant_id
  AND actor_id = @actor_id
  AND (@action::text = '' OR action = @action::text)
  AND (sqlc.narg('since')::timestamptz IS NULL OR created_at >= sqlc.narg('since')::timestamptz)
  AND (sqlc.narg('until')::timestamptz IS NULL OR created_at < sqlc.narg('until')::timestamptz)
  AND (@after::text = '' OR id < @after::text)
ORDER BY id DESC
LIMIT @row_limit;

-- name: ListAuditEventsByTarget :many
SELECT * FROM audit_events
WHERE tenant_id = @tenant_id
  AND target_id = @target_id
  AND (@actor_id::text = '' OR actor_id = @actor_id::text)
  AND (@action::text = '' OR action = @action::text)
  AND (sqlc.narg('since')::timestamptz IS NULL OR created_at >= sqlc.narg('since')::timestamptz)
  AND (sqlc.narg('until')::timestamptz IS NULL OR created_at < sqlc.narg('until')::timestamptz)
  AND (@after::text = '' OR id < @after::text)
ORDER BY id DESC
LIMIT @row_limit;
