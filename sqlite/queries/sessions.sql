-- name: CreateSession :exec
INSERT INTO sessions (
    tenant_id, id, license_id, fingerprint, instance_id, user_name, hostname,
    client_name, client_version, ip, metadata, status, started_at,
    last_heartbeat_at, expires_at, ended_at, end_reason
) VALUES (
    @tenant_id, @id, @license_id, @fingerprint, @instance_id, @user_name, @hostname,
    @client_name, @client_version, @ip, @metadata, @status, @started_at,
    @last_heartbeat_at, @expires_at, @ended_at, @end_reason
);

-- name: GetSession :one
SELECT * FROM sessions
WHERE tenant_id = @tenant_id AND id = @id;

-- name: FindActiveSession :one
SELECT * FROM sessions
WHERE tenant_id = @tenant_id
  AND license_id = @license_id
  AND fingerprint = @fingerprint
  AND instance_id = @instance_id
  -- Repeats the partial index's predicate so the planner can use it; an
  -- empty instance ID names no instance.
  AND instance_id <> ''
  AND status = 'active'
ORDER BY id DESC
LIMIT 1;

-- name: ListSessions :many
SELECT * FROM sessions
WHERE tenant_id = @tenant_id
  AND (CAST(@status AS TEXT) = '' OR status = @status)
  AND (CAST(@after AS TEXT) = '' OR id < @after)
ORDER BY id DESC
LIMIT @limit;

-- ListLicenseSessions is ListSessions narrowed to one license, a separate
-- statement so that it can use the (tenant_id, license_id, ...) index.
-- name: ListLicenseSessions :many
SELECT * FROM sessions
WHERE tenant_id = @tenant_id
  AND license_id = @license_id
  AND (CAST(@status AS TEXT) = '' OR status = @status)
  AND (CAST(@after AS TEXT) = '' OR id < @after)
ORDER BY id DESC
LIMIT @limit;

-- name: EndSession :execrows
UPDATE sessions
SET status = 'ended', ended_at = @ended_at, end_reason = @end_reason
WHERE tenant_id = @tenant_id AND id = @id AND status = 'active';

-- name: SessionExists :one
SELECT count(*) FROM sessions
WHERE tenant_id = @tenant_id AND id = @id;

-- TouchSession never moves a heartbeat or an expiry backwards: batches
-- written back late or out of order must not shorten a lease.
-- name: TouchSession :execrows
UPDATE sessions
SET last_heartbeat_at = max(last_heartbeat_at, CAST(@last_heartbeat_at AS INTEGER)),
    expires_at = max(expires_at, CAST(@expires_at AS INTEGER))
WHERE tenant_id = @tenant_id AND id = @id AND status = 'active';

-- name: ListExpiredSessions :many
SELECT * FROM sessions
WHERE status = 'active' AND expires_at <= @now
ORDER BY expires_at, tenant_id, id
LIMIT @limit;

-- name: ListActiveSessions :many
SELECT * FROM sessions
WHERE status = 'active' AND id > @after
ORDER BY id
LIMIT @limit;
