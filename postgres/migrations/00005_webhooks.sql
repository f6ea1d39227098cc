-- +goose Up
-- The PostgreSQL twin of sqlite/migrations/00005_webhooks.sql: a tenant's
-- webhook endpoints and their delivery log, under the same row-level
-- security as 00001_init.sql. A delivery keeps the exact body every
-- attempt sends (text, not jsonb: each attempt's signature covers the same
-- bytes); deliveries go with their endpoint.
CREATE TABLE webhook_endpoints (
    tenant_id   text COLLATE "C" NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          text COLLATE "C" NOT NULL,
    url         text             NOT NULL,
    description text             NOT NULL DEFAULT '',
    events      text[]           NOT NULL DEFAULT '{}',
    secret      text             NOT NULL,
    created_at  timestamptz      NOT NULL,
    PRIMARY KEY (tenant_id, id)
);

CREATE TABLE webhook_deliveries (
    tenant_id       text COLLATE "C" NOT NULL,
    id              text COLLATE "C" NOT NULL,
    endpoint_id     text COLLATE "C" NOT NULL,
    event_type      text             NOT NULL,
    payload         text             NOT NULL,
    status          text             NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts        integer          NOT NULL DEFAULT 0,
    response_status integer          NOT NULL DEFAULT 0,
    last_error      text             NOT NULL DEFAULT '',
    created_at      timestamptz      NOT NULL,
    updated_at      timestamptz      NOT NULL,
    delivered_at    timestamptz,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE
);

-- An endpoint's delivery log, newest first (IDs are UUIDv7).
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, id);

ALTER TABLE webhook_endpoints ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_endpoints FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_endpoints
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

ALTER TABLE webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE webhook_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON webhook_deliveries
    USING (tenant_id = current_setting('app.tenant_id', true))
    WITH CHECK (tenant_id = current_setting('app.tenant_id', true));

GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints, webhook_deliveries TO coditect_app;

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhook_endpoints;
