-- name: CreateTenant :exec
INSERT INTO tenants (id, name, created_at)
VALUES (@id, @name, @created_at);

-- name: GetTenant :one
SELECT * FROM tenants
WHERE id = @id;

-- name: CountTenants :one
SELECT count(*) FROM tenants;

-- name: ListTenants :many
SELECT * FROM tenants
WHERE id > @after
ORDER BY id
LIMIT @limit;
