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

-- SetTenantByKeyDigest is SetTenant for the tenant of the license whose
-- key has the digest, which the SECURITY DEFINER function finds (it yields
-- that license's tenant and ID, nothing else). Without such a license the
-- tenant is set to the empty string, which matches no row. Transaction-local,
-- like SetTenant.
-- name: SetTenantByKeyDigest :exec
SELECT set_config('app.tenant_id',
    coalesce((SELECT f.tenant_id::text FROM find_license_by_key_digest(@key_digest::text) AS f), ''),
    true);

-- FindLicenseByKeyDigest reads the license with the key digest among the
-- rows of the transaction's tenant: the store sends it behind
-- SetTenantByKeyDigest, in the same transaction.
-- name: FindLicenseByKeyDigest :one
SELECT * FROM licenses
WHERE key_digest = @key_digest;

-- ListLicenses pages newest first; empty filter arguments match everything.
-- strpos, not LIKE, so that % and _ in q are plain characters with nothing
-- to escape.
-- name: ListLicenses :many
SELECT * FROM licenses
WHERE tenant_id = @tenant_id
  AND (@q::text = '' OR strpos(lower(name), lower(@q::text)) > 0 OR key_prefix = @q::text)
  AND (@status::text = '' OR status = @status::text)
  AND (@after::text = '' OR id < @after::text)
ORDER BY id DESC
LIMIT @row_limit;

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
