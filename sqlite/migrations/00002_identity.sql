-- +goose Up
-- Machine credentials, refresh-token families and the audit log. Same
-- conventions as 00001_init.sql: INTEGER Unix milliseconds UTC, tenant_id
-- leading every primary key and tenant-scoped index.

CREATE TABLE oauth_clients (
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    secret_digest TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    disabled      INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_by    TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- The token endpoint resolves a client_id before it knows the tenant.
CREATE UNIQUE INDEX oauth_clients_id ON oauth_clients (id);

-- id is the hex SHA-256 of the token; the token itself is never stored.
CREATE TABLE refresh_tokens (
    tenant_id  TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    user_id    TEXT    NOT NULL,
    family_id  TEXT    NOT NULL,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- A presented token is resolved before the tenant is known.
CREATE UNIQUE INDEX refresh_tokens_id ON refresh_tokens (id);
-- Revoking a family on reuse.
CREATE INDEX refresh_tokens_family ON refresh_tokens (tenant_id, family_id);
-- The foreign key's cascade when a user goes.
CREATE INDEX refresh_tokens_user ON refresh_tokens (tenant_id, user_id);

CREATE TABLE audit_events (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    actor_type  TEXT    NOT NULL CHECK (actor_type IN ('user', 'client', 'system', 'anonymous')),
    actor_id    TEXT    NOT NULL DEFAULT '',
    action      TEXT    NOT NULL,
    target_type TEXT    NOT NULL DEFAULT '',
    target_id   TEXT    NOT NULL DEFAULT '',
    ip          TEXT    NOT NULL DEFAULT '',
    before      TEXT    CHECK (json_valid(before)),
    after       TEXT    CHECK (json_valid(after)),
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- The primary key walked backwards is "a tenant's events, newest first"
-- (UUIDv7 IDs). Each filter has its own query and index, so a filtered
-- list reads only matching rows, newest first, with no sort.
CREATE INDEX audit_events_action ON audit_events (tenant_id, action, id);
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor_id, id);
CREATE INDEX audit_events_target ON audit_events (tenant_id, target_id, id);

-- +goose Down
DROP TABLE audit_events;
DROP TABLE refresh_tokens;
DROP TABLE oauth_clients;
