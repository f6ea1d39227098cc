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

-- TryCreateSession is CreateSession for a write that shares its transaction
-- with others (commit.go): a row that a unique index already holds (the
-- ID, or the instance's active session) is skipped, 0 rows, instead of
-- failing, which would roll the whole transaction back. Other errors (the
-- license's foreign key, a CHECK) still fail.
-- name: TryCreateSession :execrows
INSERT INTO sessions (
    tenant_id, id, license_id, fingerprint, instance_id, user_name, hostname,
    client_name, client_version, ip, metadata, status, started_at,
    last_heartbeat_at, expires_at, ended_at, end_reason
) VALUES (
    @tenant_id, @id, @license_id, @fingerprint, @instance_id, @user_name, @hostname,
    @client_name, @client_version, @ip, @metadata, @status, @started_at,
    @last_heartbeat_at, @expires_at, @ended_at, @end_reason
)
ON CONFLICT DO NOTHING;

-- name: GetSession :one
SELECT * FROM sessions
WHERE tenant_id = @tenant_id AND id = @id;

-- FindActiveSession has no ORDER BY or LIMIT: the unique index
-- sessions_active_instance admits one row at most. With ORDER BY id DESC
-- LIMIT 1, a generic plan made without fresh statistics (a table just
-- loaded or restored, not analysed yet) walked the license's whole session
-- history backwards through sessions_tenant_license; pgx prepares every
-- statement, and PostgreSQL settles on a generic plan after five runs.
-- name: FindActiveSession :one
SELECT * FROM sessions
WHERE tenant_id = @tenant_id
  AND license_id = @license_id
  AND fingerprint = @fingerprint
  AND instance_id = @instance_id
  -- Repeats the partial index's predicate so the planner can use it; an
  -- empty instance ID names no instance.
  AND instance_id <> ''
  AND status = 'active';

-- name: ListSessions :many
SELECT * FROM sessions
WHERE tenant_id = @tenant_id
  AND (@status::text = '' OR status = @status::text)
  AND (@after::text = '' OR id < @after::text)
ORDER BY id DESC
LIMIT @row_limit;

-- ListLicenseSessions is ListSessions narrowed to one license, a separate
-- statement so that it can use the (tenant_id, license_id, id) index.
-- name: ListLicenseSessions :many
SELECT * FROM sessions
WHERE tenant_id = @tenant_id
  AND license_id = @license_id
  AND (@status::text = '' OR status = @status::text)
  AND (@after::text = '' OR id < @after::text)
ORDER BY id DESC
LIMIT @row_limit;

-- name: EndSession :execrows
UPDATE sessions
SET status = 'ended', ended_at = @ended_at, end_reason = @end_reason
WHERE tenant_id = @tenant_id AND id = @id AND status = 'active';

-- name: SessionExists :one
SELECT count(*) FROM sessions
WHERE tenant_id = @tenant_id AND id = @id;

-- TouchSessions is SQLite's TouchSession for a whole batch of one tenant in
-- one statement: the arrays are unnested into rows and joined on the ID
-- (COPY is refused into tables under row-level security, and this is one
-- round trip as well). Set-returning functions side by side in a select list
-- advance in lockstep, so this is unnest(ids, heartbeats, expiries), which
-- sqlc cannot type. The caller passes each ID once. Neither the
-- heartbeat nor the expiry ever moves backwards: batches written back late
-- or out of order must not shorten a lease.
-- name: TouchSessions :execrows
UPDATE sessions AS s
SET last_heartbeat_at = greatest(s.last_heartbeat_at, u.last_heartbeat_at),
    expires_at = greatest(s.expires_at, u.expires_at)
FROM (
    SELECT unnest(@ids::text[]) AS id,
           unnest(@last_heartbeat_ats::timestamptz[]) AS last_heartbeat_at,
           unnest(@expires_ats::timestamptz[]) AS expires_at
) AS u
WHERE s.tenant_id = @tenant_id AND s.id = u.id AND s.status = 'active';

-- ListExpiredSessions reads every tenant through the SECURITY DEFINER
-- function, oldest expiry first.
-- name: ListExpiredSessions :many
SELECT * FROM list_expired_sessions(@now::timestamptz, @row_limit::bigint);

-- ListActiveSessions pages through every tenant's active sessions by ID
-- through the SECURITY DEFINER function.
-- name: ListActiveSessions :many
SELECT * FROM list_active_sessions(@after::text, @row_limit::bigint);
