-- +goose Up
-- The PostgreSQL twin of sqlite/migrations/00002_identity.sql: machine
-- credentials, refresh-token families and the audit log, under the same
-- row-level security as 00001_init.sql. Run it as the same owner as
-- 00001_init.sql: the narrow_path policies name the migrating user.

-- The functions below capture this search_path, as in 00001_init.sql.
SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident(pg_catalog.current_schema()) || ', pg_temp', true);

CREATE TABLE oauth_clients (
    tenant_id     text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            text COLLATE "C" NOT NULL,
    name          text             NOT NULL,
    secret_digest text             NOT NULL,
    role          text             NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    disabled      boolean          NOT NULL DEFAULT false,
    created_by    text             NOT NULL DEFAULT '',
    created_at    timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- The token endpoint resolves a client_id before it knows the tenant.
CREATE UNIQUE INDEX oauth_clients_id ON oauth_clients (id);

-- id is the hex SHA-256 of the token; the token itself is never stored.
CREATE TABLE refresh_tokens (
    tenant_id  text COLLATE "C" NOT NULL,
    id         text COLLATE "C" NOT NULL,
    user_id    text COLLATE "C" NOT NULL,
    family_id  text COLLATE "C" NOT NULL,
    expires_at timestamptz      NOT NULL,
    created_at timestamptz      NOT NULL,
    used_at    timestamptz,
    revoked_at timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);

-- A presented token is resolved before the tenant is known.
CREATE UNIQUE INDEX refresh_tokens_id ON refresh_tokens (id);
-- Revoking a family on reuse.
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
-- The foreign key's cascade when a user goes.
CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id);

CREATE TABLE audit_events (
    tenant_id   text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          text COLLATE "C" NOT NULL,
    actor_type  text             NOT NULL CHECK (actor_type IN ('user', 'client', 'system', 'anonymous')),
    actor_id    text             NOT NULL DEFAULT '',
    action      text             NOT NULL,
    target_type text             NOT NULL DEFAULT '',
    target_id   text             NOT NULL DEFAULT '',
    ip          text             NOT NULL DEFAULT '',
    before      jsonb            CHECK (jsonb_typeof(before) = 'object'),
    after       jsonb            CHECK (jsonb_typeof(after) = 'object'),
    created_at  timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

-- The primary key walked backwards is "a tenant's events, newest first"
-- (UUIDv7 IDs). Each filter has its own query and index, so a filtered
-- list reads only matching rows, newest first, with no sort.
CREATE INDEX audit_events_action ON audit_events (tenant_id, action, id);
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor_id, id);
CREATE INDEX audit_events_target ON audit_events (tenant_id, target_id, id);

-- Row-level security, as in 00001_init.sql. oauth_clients and
-- refresh_tokens get a narrow_path policy for the functions below;
-- audit_events has no cross-tenant path at all.
ALTER TABLE oauth_clients ENABLE ROW LEVEL SECURITY;
ALTER TABLE oauth_clients FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON oauth_clients
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY narrow_path ON oauth_clients FOR SELECT TO CURRENT_USER
    USING (current_setting('app.narrow_path', true) = 'on');

ALTER TABLE refresh_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE refresh_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON refresh_tokens
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));
CREATE POLICY narrow_path ON refresh_tokens FOR SELECT TO CURRENT_USER
    USING (current_setting('app.narrow_path', true) = 'on');

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

-- The narrow cross-tenant paths: a client_id or a token digest yields only
-- the (tenant, ID) pair, and the row is then read in that tenant's
-- transaction; platform admins page through the tenants themselves.
-- +goose StatementBegin
CREATE FUNCTION find_oauth_client(p_id text)
RETURNS TABLE (tenant_id text, client_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM set_config('app.narrow_path', 'on', true);
    RETURN QUERY SELECT c.tenant_id, c.id FROM oauth_clients AS c WHERE c.id = p_id;
    PERFORM set_config('app.narrow_path', '', true);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION find_refresh_token(p_id text)
RETURNS TABLE (tenant_id text, token_id text)
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM set_config('app.narrow_path', 'on', true);
    RETURN QUERY SELECT r.tenant_id, r.id FROM refresh_tokens AS r WHERE r.id = p_id;
    PERFORM set_config('app.narrow_path', '', true);
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION list_tenants(p_after text, p_limit bigint)
RETURNS SETOF tenants
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
BEGIN
    PERFORM set_config('app.narrow_path', 'on', true);
    RETURN QUERY SELECT * FROM tenants AS t
        WHERE t.id > p_after
        ORDER BY t.id
        LIMIT p_limit;
    PERFORM set_config('app.narrow_path', '', true);
END
$$;
-- +goose StatementEnd

-- Privileges. The audit log is append-only for the application: it may
-- insert and read events, never change or delete them.
GRANT SELECT, INSERT, UPDATE, DELETE ON oauth_clients, refresh_tokens TO coditect_app;
GRANT SELECT, INSERT ON audit_events TO coditect_app;
REVOKE ALL ON FUNCTION
    find_oauth_client(text),
    find_refresh_token(text),
    list_tenants(text, bigint)
FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
    find_oauth_client(text),
    find_refresh_token(text),
    list_tenants(text, bigint)
TO coditect_app;

-- +goose Down
SELECT pg_catalog.set_config('search_path', pg_catalog.quote_ident(pg_catalog.current_schema()) || ', pg_temp', true);
DROP FUNCTION list_tenants(text, bigint);
DROP FUNCTION find_refresh_token(text);
DROP FUNCTION find_oauth_client(text);
DROP TABLE audit_events;
DROP TABLE refresh_tokens;
DROP TABLE oauth_clients;
