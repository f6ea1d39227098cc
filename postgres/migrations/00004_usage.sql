-- +goose Up
-- The PostgreSQL twin of sqlite/migrations/00004_usage.sql: usage history,
-- per license one row per minute, rolled up into hours and days as it
-- ages, under the same row-level security as 00001_init.sql. Run it as the
-- same owner as 00001_init.sql: the narrow_path policy names the migrating
-- user.

-- The function below captures this search_path, as in 00001_init.sql.
SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident(pg_catalog.current_schema()) || ', pg_temp', true);

-- start is aligned to its resolution (a whole minute, hour or UTC day); the
-- CHECK holds the stores to it, so two writers of the same interval always
-- meet on the same primary key and merge. Rows go with their license.
CREATE TABLE usage_buckets (
    tenant_id         text COLLATE "C" NOT NULL,
    license_id        text COLLATE "C" NOT NULL,
    resolution        text             NOT NULL CHECK (resolution IN ('minute', 'hour', 'day')),
    start             timestamptz      NOT NULL,
    peak_in_use       bigint           NOT NULL DEFAULT 0 CHECK (peak_in_use >= 0),
    acquires          bigint           NOT NULL DEFAULT 0 CHECK (acquires >= 0),
    denials           bigint           NOT NULL DEFAULT 0 CHECK (denials >= 0),
    distinct_users    bigint           NOT NULL DEFAULT 0 CHECK (distinct_users >= 0),
    distinct_machines bigint           NOT NULL DEFAULT 0 CHECK (distinct_machines >= 0),
    PRIMARY KEY (tenant_id, license_id, resolution, start),
    FOREIGN KEY (tenant_id, license_id) REFERENCES licenses (tenant_id, id) ON DELETE CASCADE,
    CHECK (date_trunc(resolution, start AT TIME ZONE 'UTC') = start AT TIME ZONE 'UTC')
);

-- A tenant's usage over time across its licenses (the primary key serves
-- one license's, and the foreign key's cascade).
CREATE INDEX usage_buckets_tenant_time ON usage_buckets (tenant_id, resolution, start);
-- Cross-tenant job index: the retention pass finds the tenants with rows
-- due for a rollup or deletion by reading only those rows.
CREATE INDEX usage_buckets_due ON usage_buckets (resolution, start, tenant_id);

ALTER TABLE usage_buckets ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_buckets FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON usage_buckets
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY narrow_path ON usage_buckets FOR SELECT TO CURRENT_USER
    USING (current_setting('app.narrow_path', true) = 'on');

-- The retention jobs span tenants, but they write: rather than a write path
-- that bypasses the policies, this read-only narrow path names the tenants
-- that have buckets due, and the store then rolls up or deletes each
-- tenant's rows in that tenant's own transaction, under the ordinary
-- policy. It returns tenant IDs only.
-- +goose StatementBegin
CREATE FUNCTION list_usage_tenants(p_resolution text, p_before timestamptz)
RETURNS TABLE (tenant_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM set_config('app.narrow_path', 'on', true);
    RETURN QUERY SELECT DISTINCT u.tenant_id FROM usage_buckets AS u
        WHERE u.resolution = p_resolution AND u.start < p_before
        ORDER BY u.tenant_id;
    PERFORM set_config('app.narrow_path', '', true);
END
$$;
-- +goose StatementEnd

GRANT SELECT, INSERT, UPDATE, DELETE ON usage_buckets TO coditect_app;
REVOKE ALL ON FUNCTION list_usage_tenants(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION list_usage_tenants(text, timestamptz) TO coditect_app;

-- +goose Down
SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident(pg_catalog.current_schema()) || ', pg_temp', true);
DROP FUNCTION list_usage_tenants(text, timestamptz);
DROP TABLE usage_buckets;
