-- The signing keys belong to the deployment: these statements run outside
-- any tenant's transaction, and signing_keys has no row-level security.

-- name: CreateSigningKey :exec
INSERT INTO signing_keys (id, algorithm, public_key, encrypted_private_key, external_ref, created_at, retired_at)
VALUES (@id, @algorithm, @public_key, @encrypted_private_key, @external_ref, @created_at, @retired_at);

-- name: ListSigningKeys :many
SELECT * FROM signing_keys
ORDER BY created_at DESC, id DESC;

-- RetireSigningKey keeps a key's first retirement time: of two concurrent
-- retirements, the second waits for the first's row lock, then finds
-- retired_at set and changes nothing.
-- name: RetireSigningKey :execrows
UPDATE signing_keys
SET retired_at = @retired_at
WHERE id = @id AND retired_at IS NULL;

-- name: SigningKeyExists :one
SELECT count(*) FROM signing_keys
WHERE id = @id;
