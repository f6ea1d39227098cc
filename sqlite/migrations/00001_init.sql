-- +goose Up
-- Times are INTEGER Unix milliseconds UTC: range comparisons stay integer
-- comparisons and every engine agrees on the precision. tenant_id leads every
-- primary key and tenant-scoped index so the schema shards by tenant; the
-- deployment-wide unique lookups (email, key digest) and the cross-tenant job
-- indexes (sweeper, ledger rebuild) are the deliberate exceptions.

CREATE TABLE tenants (
    id         TEXT    NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE users (
    tenant_id      TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id             TEXT    NOT NULL,
    email          TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    role           TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'viewer')),
    platform_admin INTEGER NOT NULL DEFAULT 0 CHECK (platform_admin IN (0, 1)),
    disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- Sign-in looks a user up by email before it knows the tenant.
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE licenses (
    tenant_id                  TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                         TEXT    NOT NULL,
    name                       TEXT    NOT NULL,
    status                     TEXT    NOT NULL CHECK (status IN ('active', 'suspended')),
    seats                      INTEGER NOT NULL CHECK (seats > 0),
    expires_at                 INTEGER,
    features                   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(features)),
    lease_ttl_seconds          INTEGER NOT NULL,
    heartbeat_interval_seconds INTEGER NOT NULL,
    offline_grace_seconds      INTEGER NOT NULL,
    key_digest                 TEXT    NOT NULL,
    key_prefix                 TEXT    NOT NULL,
    metadata                   TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

-- A license key is resolved to its license before the tenant is known.
CREATE UNIQUE INDEX licenses_key_digest ON licenses (key_digest);
-- No extra index for "a tenant's licenses, newest first": IDs are UUIDv7, so
-- the primary key (tenant_id, id) walked backwards is creation order.

CREATE TABLE sessions (
    tenant_id         TEXT    NOT NULL,
    id                TEXT    NOT NULL,
    license_id        TEXT    NOT NULL,
    fingerprint       TEXT    NOT NULL,
    instance_id       TEXT    NOT NULL DEFAULT '',
    user_name         TEXT    NOT NULL DEFAULT '',
    hostname          TEXT    NOT NULL DEFAULT '',
    client_name       TEXT    NOT NULL DEFAULT '',
    client_version    TEXT    NOT NULL DEFAULT '',
    ip                TEXT    NOT NULL DEFAULT '',
    metadata          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(metadata)),
    status            TEXT    NOT NULL CHECK (status IN ('active', 'ended')),
    started_at        INTEGER NOT NULL,
    last_heartbeat_at INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    ended_at          INTEGER,
    end_reason        TEXT CHECK (end_reason IN ('released', 'expired', 'revoked')),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, license_id) REFERENCES licenses (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- At most one active session per license, fingerprint and non-empty instance
-- ID: the acquire path's idempotency holds under concurrency because the
-- second insert fails here instead of racing a read.
CREATE UNIQUE INDEX sessions_active_instance ON sessions (tenant_id, license_id, fingerprint, instance_id)
    WHERE status = 'active' AND instance_id <> '';
-- A license's sessions newest first, with no sort; the optional status filter
-- is checked row by row. Also serves the foreign key's cascade.
CREATE INDEX sessions_tenant_license ON sessions (tenant_id, license_id, id);
-- Cross-tenant job indexes: the sweeper scans by expiry, the ledger rebuild
-- pages by ID. Partial, so ended history costs them nothing.
CREATE INDEX sessions_active_expiry ON sessions (expires_at, tenant_id, id) WHERE status = 'active';
CREATE INDEX sessions_active_id ON sessions (id) WHERE status = 'active';

-- +goose Down
DROP TABLE sessions;
DROP TABLE licenses;
DROP TABLE users;
DROP TABLE tenants;
