-- name: CreateLicense :exec
INSERT INTO licenses (
    tenant_id, id, name, status, seats, expires_at, features,
    lease_ttl_seconds, heartbeat_interval_seconds, offline_grace_seconds,
    key_digest, key_prefix, metadata, created_at, updated_at
) VALUES (
    @tenant_id, @id, @name, @status, @seats, @expires_at, @features,
    @lease_ttl_seconds, @heartbeat_interval_seconds, @offline_grace_seconds,
    @key_digest, @key_prefix, @metadata, @created_at, @updated_at
);

-- name: GetLicense :one
SELECT * FROM licenses
WHERE tenant_id = @tenant_id AND id = @id;

-- name: FindLicenseByKeyDigest :one
SELECT * FROM licenses
WHERE key_digest = @key_digest;

-- ListLicenses pages newest first; empty filter arguments match everything.
-- instr, not LIKE, so that % and _ in q are plain characters with nothing to
-- escape; lower() folds ASCII only, as LIKE does.
-- name: ListLicenses :many
SELECT * FROM licenses
WHERE tenant_id = @tenant_id
  AND (CAST(@q AS TEXT) = '' OR instr(lower(name), lower(@q)) > 0 OR key_prefix = @q)
  AND (CAST(@status AS TEXT) = '' OR status = @status)
  AND (CAST(@after AS TEXT) = '' OR id < @after)
ORDER BY id DESC
LIMIT @limit;

-- name: UpdateLicense :execrows
UPDATE licenses
SET name = @name,
    status = @status,
    seats = @seats,
    expires_at = @expires_at,
    features = @features,
    lease_ttl_seconds = @lease_ttl_seconds,
    heartbeat_interval_seconds = @heartbeat_interval_seconds,
    offline_grace_seconds = @offline_grace_seconds,
    key_digest = @key_digest,
    key_prefix = @key_prefix,
    metadata = @metadata,
    updated_at = @updated_at
WHERE tenant_id = @tenant_id AND id = @id;

-- DeleteLicense removes the license; the foreign key's cascade removes its
-- sessions in the same statement.
-- name: DeleteLicense :execrows
DELETE FROM licenses
WHERE tenant_id = @tenant_id AND id = @id;
