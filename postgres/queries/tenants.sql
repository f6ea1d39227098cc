-- name: CreateTenant :exec
INSERT INTO tenants (id, name, created_at)
VALUES (@id, @name, @created_at);

-- name: GetTenant :one
SELECT * FROM tenants
WHERE id = @id;

-- CountTenants counts across tenants through the SECURITY DEFINER function.
-- name: CountTenants :one
SELECT count_tenants()::bigint AS count;

-- ListTenants pages through every tenant by ID through the SECURITY
-- DEFINER function.
-- name: ListTenants :many
SELECT * FROM list_tenants(@after::text, @row_limit::bigint);
