-- name: CreateUser :exec
INSERT INTO users (tenant_id, id, email, password_hash, role, platform_admin, disabled, created_at)
VALUES (@tenant_id, @id, @email, @password_hash, @role, @platform_admin, @disabled, @created_at);

-- name: GetUser :one
SELECT * FROM users
WHERE tenant_id = @tenant_id AND id = @id;

-- name: FindUserByEmail :one
SELECT * FROM users
WHERE email = @email;

-- name: ListUsers :many
SELECT * FROM users
WHERE tenant_id = @tenant_id AND id > @after
ORDER BY id
LIMIT @limit;

-- name: UpdateUser :execrows
UPDATE users
SET role = @role, disabled = @disabled, password_hash = @password_hash
WHERE tenant_id = @tenant_id AND id = @id;
