-- +goose Up
-- The PostgreSQL twin of sqlite/migrations/00001_init.sql, plus row-level
-- security. It runs as the schema owner (the user of the store's URL); the
-- application itself runs as coditect_app, a role that owns nothing, has no
-- BYPASSRLS and sees only the rows of the tenant its transaction names.
--
-- IDs are UUIDv7 text in the "C" collation: byte order is creation order,
-- which lists and cursors rely on, whatever the database's locale. tenant_id
-- leads every primary key and tenant-scoped index so the schema shards by
-- tenant; the deployment-wide unique lookups (email, key digest) and the
-- cross-tenant job indexes (sweeper, ledger rebuild) are the deliberate
-- exceptions, as in SQLite.

-- Everything below, the SECURITY DEFINER functions included, resolves names
-- in the schema being migrated and in pg_temp last: the functions capture
-- this search_path (SET search_path FROM CURRENT), so a temporary table of
-- the caller can never shadow a table they read.
SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident(pg_catalog.current_schema()) || ', pg_temp', true);

-- The role is cluster-wide, so another database of the cluster may have
-- created it already, or be creating it right now.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'coditect_app') THEN
        CREATE ROLE coditect_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
-- +goose StatementEnd

-- The owner must be a member to SET ROLE coditect_app on its connections (a
-- superuser may SET ROLE to any role and needs no grant). On PostgreSQL 15
-- and older granting takes CREATEROLE; from 16 on, ADMIN on the role, which a
-- CREATEROLE owner that created it holds. Granting an existing membership
-- again is only a notice.
-- +goose StatementBegin
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
        GRANT coditect_app TO CURRENT_USER;
    END IF;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE pg_catalog.format('GRANT USAGE ON SCHEMA %I TO coditect_app', pg_catalog.current_schema());
END
$$;
-- +goose StatementEnd

CREATE TABLE tenants (
    id         text COLLATE "C" NOT NULL PRIMARY KEY,
    name       text             NOT NULL,
    created_at timestamptz      NOT NULL
);

CREATE TABLE users (
    tenant_id      text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             text COLLATE "C" NOT NULL,
    email          text             NOT NULL,
    password_hash  text             NOT NULL,
    role           text             NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    platform_admin boolean          NOT NULL DEFAULT false,
    disabled       boolean          NOT NULL DEFAULT false,
    created_at     timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- Sign-in looks a user up by email before it knows the tenant.
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE licenses (
    tenant_id                  text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                         text COLLATE "C" NOT NULL,
    name                       text             NOT NULL,
    status                     text             NOT NULL CHECK (status IN ('active', 'suspended')),
    seats                      integer          NOT NULL CHECK (seats > 0),
    expires_at                 timestamptz,
    features                   text[]           NOT NULL DEFAULT '{}',
    lease_ttl_seconds          integer          NOT NULL,
    heartbeat_interval_seconds integer          NOT NULL,
    offline_grace_seconds      integer          NOT NULL,
    key_digest                 text             NOT NULL,
    key_prefix                 text             NOT NULL,
    metadata                   jsonb            NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    created_at                 timestamptz      NOT NULL,
    updated_at                 timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- A license key is resolved to its license before the tenant is known.
CREATE UNIQUE INDEX licenses_key_digest ON licenses (key_digest);
-- No extra index for "a tenant's licenses, newest first": IDs are UUIDv7, so
-- the primary key (tenant_id, id) walked backwards is creation order.

CREATE TABLE sessions (
    tenant_id         text COLLATE "C" NOT NULL,
    id                text COLLATE "C" NOT NULL,
    license_id        text COLLATE "C" NOT NULL,
    fingerprint       text             NOT NULL,
    instance_id       text             NOT NULL DEFAULT '',
    user_name         text             NOT NULL DEFAULT '',
    hostname          text             NOT NULL DEFAULT '',
    client_name       text             NOT NULL DEFAULT '',
    client_version    text             NOT NULL DEFAULT '',
    ip                text             NOT NULL DEFAULT '',
    metadata          jsonb            NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
    status            text             NOT NULL CHECK (status IN ('active', 'ended')),
    started_at        timestamptz      NOT NULL,
    last_heartbeat_at timestamptz      NOT NULL,
    expires_at        timestamptz      NOT NULL,
    ended_at          timestamptz,
    end_reason        text CHECK (end_reason IN ('released', 'expired', 'revoked')),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, license_id) REFERENCES licenses (tenant_id, id) ON DELETE CASCADE
);

-- At most one active session per license, fingerprint and non-empty instance
-- ID: the acquire path's idempotency holds under concurrency because the
-- second insert fails here instead of racing a read.
CREATE UNIQUE INDEX sessions_active_instance ON sessions (tenant_id, license_id, fingerprint, instance_id)
    WHERE status = 'active' AND instance_id <> '';
-- A license's sessions newest first, with no sort; also serves the foreign
-- key's cascade.
CREATE INDEX sessions_tenant_license ON sessions (tenant_id, license_id, id);
-- Cross-tenant job indexes: the sweeper scans by expiry, the ledger rebuild
-- pages by ID. Partial, so ended history costs them nothing.
CREATE INDEX sessions_active_expiry ON sessions (expires_at, tenant_id, id) WHERE status = 'active';
CREATE INDEX sessions_active_id ON sessions (id) WHERE status = 'active';

-- Row-level security. Every statement of the application runs in a
-- transaction that first calls set_config('app.tenant_id', $1, true); rows of
-- any other tenant are invisible to it and cannot be written by it, whatever
-- the statement's own WHERE clause says. Unset (NULL) or reset (''), the
-- setting matches no row. FORCE applies the policies to the owner too.
--
-- The second policy of each table is the narrow path: SELECT for the owner
-- only, and only while app.narrow_path is 'on', which the SECURITY DEFINER
-- functions below switch on around their one query. The application role
-- cannot use it (the policy is not for it; setting app.narrow_path itself
-- gains it nothing), and the owner outside those functions sees nothing
-- either. A superuser owner bypasses row-level security anyway; this is what
-- keeps the functions working for an ordinary owner role, as on managed
-- services. (A SET clause on the functions would be neater, but PostgreSQL
-- lets only superusers attach a custom setting to a function.) An error
-- between on and off aborts the statement, which undoes the setting too.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants
    USING (id = current_setting('app.tenant_id', true))
    WITH CHECK (id = current_setting('app.tenant_id', true));
CREATE POLICY narrow_path ON tenants FOR SELECT TO CURRENT_USER
    USING (current_setting('app.narrow_path', true) = 'on');

ALTER TABLE users ENABLE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY narrow_path ON users FOR SELECT TO CURRENT_USER
    USING (current_setting('app.narrow_path', true) = 'on');

ALTER TABLE licenses ENABLE ROW LEVEL SECURITY;
ALTER TABLE licenses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON licenses
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY narrow_path ON licenses FOR SELECT TO CURRENT_USER
    USING (current_setting('app.narrow_path', true) = 'on');

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY narrow_path ON sessions FOR SELECT TO CURRENT_USER
    USING (current_setting('app.narrow_path', true) = 'on');

-- The narrow cross-tenant paths. Each runs as the owner, reads only, and
-- returns no more than its caller needs: a key digest or an email yields the
-- (tenant, ID) pair, and the row itself is then read inside that tenant's
-- transaction under the ordinary policy.
-- +goose StatementBegin
CREATE FUNCTION find_license_by_key_digest(p_key_digest text)
RETURNS TABLE (tenant_id text, license_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM set_config('app.narrow_path', 'on', true);
    RETURN QUERY SELECT l.tenant_id, l.id FROM licenses AS l WHERE l.key_digest = p_key_digest;
    PERFORM set_config('app.narrow_path', '', true);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION find_user_by_email(p_email text)
RETURNS TABLE (tenant_id text, user_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM set_config('app.narrow_path', 'on', true);
    RETURN QUERY SELECT u.tenant_id, u.id FROM users AS u WHERE u.email = p_email;
    PERFORM set_config('app.narrow_path', '', true);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION count_tenants()
RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
    n bigint;
BEGIN
    PERFORM set_config('app.narrow_path', 'on', true);
    SELECT count(*) INTO n FROM tenants;
    PERFORM set_config('app.narrow_path', '', true);
    RETURN n;
END
$$;
-- +goose StatementEnd

-- The sweeper and the ledger rebuild work on every tenant's active sessions
-- and need each one whole (to end it, to restore its lease).
-- +goose StatementBegin
CREATE FUNCTION list_expired_sessions(p_now timestamptz, p_limit bigint)
RETURNS SETOF sessions
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM set_config('app.narrow_path', 'on', true);
    RETURN QUERY SELECT * FROM sessions AS s
        WHERE s.status = 'active' AND s.expires_at <= p_now
        ORDER BY s.expires_at, s.tenant_id, s.id
        LIMIT p_limit;
    PERFORM set_config('app.narrow_path', '', true);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION list_active_sessions(p_after text, p_limit bigint)
RETURNS SETOF sessions
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM set_config('app.narrow_path', 'on', true);
    RETURN QUERY SELECT * FROM sessions AS s
        WHERE s.status = 'active' AND s.id > p_after
        ORDER BY s.id
        LIMIT p_limit;
    PERFORM set_config('app.narrow_path', '', true);
END
$$;
-- +goose StatementEnd

-- Privileges: the application role may read and write rows (through the
-- policies) and call the narrow paths; it owns nothing, so it can neither
-- alter the tables nor switch their policies off. goose_db_version is
-- readable so that a login role that is only a member of coditect_app can
-- check at start that no migration is pending.
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, users, licenses, sessions TO coditect_app;
GRANT SELECT ON goose_db_version TO coditect_app;
REVOKE ALL ON FUNCTION
    find_license_by_key_digest(text),
    find_user_by_email(text),
    count_tenants(),
    list_expired_sessions(timestamptz, bigint),
    list_active_sessions(text, bigint)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    find_license_by_key_digest(text),
    find_user_by_email(text),
    count_tenants(),
    list_expired_sessions(timestamptz, bigint),
    list_active_sessions(text, bigint)
TO coditect_app;

-- +goose Down
SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident(pg_catalog.current_schema()) || ', pg_temp', true);
DROP FUNCTION list_active_sessions(text, bigint);
DROP FUNCTION list_expired_sessions(timestamptz, bigint);
DROP FUNCTION count_tenants();
DROP FUNCTION find_user_by_email(text);
DROP FUNCTION find_license_by_key_digest(text);
DROP TABLE sessions;
DROP TABLE licenses;
DROP TABLE users;
DROP TABLE tenants;
REVOKE SELECT ON goose_db_version FROM coditect_app;
-- The role stays: it is cluster-wide and other databases may use it.
