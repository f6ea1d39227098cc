-- +goose Up
-- Webhooks: a tenant's endpoints and, per endpoint, the delivery log. Same
-- conventions as 00001_init.sql: INTEGER Unix milliseconds UTC, tenant_id
-- leading the primary key and every tenant-scoped index. A delivery keeps
-- the exact body every attempt sends (so each attempt's signature covers
-- the same bytes); deliveries go with their endpoint.
CREATE TABLE webhook_endpoints (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    events      TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(events)),
    secret      TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, id)
) STRICT;

CREATE TABLE webhook_deliveries (
    tenant_id       TEXT    NOT NULL,
    id              TEXT    NOT NULL,
    endpoint_id     TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    response_status INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
) STRICT;

-- An endpoint's delivery log, newest first (IDs are UUIDv7).
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, id);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
