-- name: CreateOAuthClient :exec
INSERT INTO oauth_clients (tenant_id, id, name, secret_digest, role, disabled, created_by, created_at)
VALUES (@tenant_id, @id, @name, @secret_digest, @role, @disabled, @created_by, @created_at);

-- name: GetOAuthClient :one
SELECT * FROM oauth_clients
WHERE tenant_id = @tenant_id AND id = @id;

-- FindOAuthClient resolves a client_id to its client's tenant and ID
-- through the SECURITY DEFINER function; the client is then read with
-- GetOAuthClient inside that tenant's transaction.
-- name: FindOAuthClient :one
SELECT f.tenant_id::text AS tenant_id, f.client_id::text AS id
FROM find_oauth_client(@id::text) AS f;

-- name: ListOAuthClients :many
SELECT * FROM oauth_clients
WHERE tenant_id = @tenant_id AND id > @after::text
ORDER BY id
LIMIT @row_limit;

-- name: DeleteOAuthClient :execrows
DELETE FROM oauth_clients
WHERE tenant_id = @tenant_id AND id = @id;
