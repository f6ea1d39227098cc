-- +goose Up
-- Usage history: per license, one row per minute (peak seats in use,
-- acquires, denials, distinct users and machines), rolled up into hours and
-- days as it ages. Same conventions as 00001_init.sql: INTEGER Unix
-- milliseconds UTC, tenant_id leading the primary key and every
-- tenant-scoped index.
--
-- start is aligned to its resolution (a whole minute, hour or UTC day); the
-- CHECK holds the stores to it, so two writers of the same interval always
-- meet on the same primary key and merge. Rows go with their license.
CREATE TABLE usage_buckets (
    tenant_id         TEXT    NOT NULL,
    license_id        TEXT    NOT NULL,
    resolution        TEXT    NOT NULL CHECK (resolution IN ('minute', 'hour', 'day')),
    start             INTEGER NOT NULL,
    peak_in_use       INTEGER NOT NULL DEFAULT 0 CHECK (peak_in_use >= 0),
    acquires          INTEGER NOT NULL DEFAULT 0 CHECK (acquires >= 0),
    denials           INTEGER NOT NULL DEFAULT 0 CHECK (denials >= 0),
    distinct_users    INTEGER NOT NULL DEFAULT 0 CHECK (distinct_users >= 0),
    distinct_machines INTEGER NOT NULL DEFAULT 0 CHECK (distinct_machines >= 0),
    PRIMARY KEY (tenant_id, license_id, resolution, start),
    FOREIGN KEY (tenant_id, license_id) REFERENCES licenses (tenant_id, id) ON DELETE CASCADE,
    CHECK (start % CASE resolution WHEN 'minute' THEN 60000 WHEN 'hour' THEN 3600000 ELSE 86400000 END = 0)
) STRICT;

-- A tenant's usage over time across its licenses (the primary key serves
-- one license's).
CREATE INDEX usage_buckets_tenant_time ON usage_buckets (tenant_id, resolution, start);
-- Cross-tenant job index: the retention pass reads only the rows that are
-- due for a rollup or deletion.
CREATE INDEX usage_buckets_due ON usage_buckets (resolution, start);

-- +goose Down
DROP TABLE usage_buckets;
