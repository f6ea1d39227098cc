-- SetRole switches a new pooled connection to the application role for the
-- rest of its life (session level, unlike SetTenant). set_config('role')
-- is SET ROLE with the role as a bound parameter.
-- name: SetRole :exec
SELECT set_config('role', @role::text, false);

-- CurrentRole reports who the connection's statements run as and whether
-- that role would escape row-level security.
-- name: CurrentRole :one
SELECT r.rolname::text AS name, coalesce(r.rolsuper OR r.rolbypassrls, true)::boolean AS bypasses_rls
FROM pg_catalog.pg_roles AS r
WHERE r.rolname = current_user;

-- SetTenant names the tenant whose rows the current transaction may see
-- and write. Transaction-local (is_local = true): the setting ends with the
-- transaction, so it can never leak to the next user of a pooled
-- connection.
-- name: SetTenant :exec
SELECT set_config('app.tenant_id', @tenant_id::text, true);
