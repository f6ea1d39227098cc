-- name: CreateOAuthClient :exec
INSERT INTO oauth_clients (tenant_id, id, name, secret_digest, role, disabled, created_by, created_at)
VALUES (@tenant_id, @id, @name, @secret_digest, @role, @disabled, @created_by, @created_at);

-- name: GetOAuthClient :one
SELECT * FROM oauth_clients
WHERE tenant_id = @tenant_id AND id = @id;

-- name: FindOAuthClient :one
SELECT * FROM oauth_clients
WHERE id = @id;

-- name: ListOAuthClients :many
SELECT * FROM oauth_clients
WHERE tenant_id = @tenant_id AND id > @after
ORDER BY id
LIMIT @limit;

-- name: DeleteOAuthClient :execrows
DELETE FROM oauth_clients
WHERE tenant_id = @tenant_id AND id = @id;
