-- name: CreateUser :exec
INSERT INTO users (tenant_id, id, email, password_hash, role, platform_admin, disabled, created_at)
VALUES (@tenant_id, @id, @email, @password_hash, @role, @platform_admin, @disabled, @created_at);

-- name: GetUser :one
SELECT * FROM users
WHERE tenant_id = @tenant_id AND id = @id;

-- FindUserByEmail resolves an email to its user's tenant and ID through the
-- SECURITY DEFINER function; the user is then read with GetUser inside that
-- tenant's transaction.
-- name: FindUserByEmail :one
SELECT f.tenant_id::text AS tenant_id, f.user_id::text AS id
FROM find_user_by_email(@email::text) AS f;

-- name: ListUsers :many
SELECT * FROM users
WHERE tenant_id = @tenant_id AND id > @after::text
ORDER BY id
LIMIT @row_limit;

-- name: UpdateUser :execrows
UPDATE users
SET role = @role, disabled = @disabled, password_hash = @password_hash
WHERE tenant_id = @tenant_id AND id = @id;
