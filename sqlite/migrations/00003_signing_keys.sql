-- +goose Up
-- The keys that sign license tokens. They belong to the deployment, not to
-- a tenant, so the table has no tenant_id. Same conventions as
-- 00001_init.sql otherwise: INTEGER Unix milliseconds UTC.
--
-- id is the JWK key ID (the RFC 7638 thumbprint of the public key), unique
-- across the deployment. A key's private half is either stored sealed under
-- the master key, which the database never sees (encrypted_private_key), or
-- kept in an external KMS (external_ref names it): exactly one of the two
-- is non-empty. No index besides the primary key: a deployment has a
-- handful of keys, and ListSigningKeys sorts them all.
CREATE TABLE signing_keys (
    id                    TEXT    NOT NULL PRIMARY KEY,
    algorithm             TEXT    NOT NULL,
    public_key            BLOB    NOT NULL,
    encrypted_private_key BLOB    NOT NULL DEFAULT x'',
    external_ref          TEXT    NOT NULL DEFAULT '',
    created_at            INTEGER NOT NULL,
    retired_at            INTEGER,
    CHECK ((length(encrypted_private_key) > 0) <> (external_ref <> ''))
) STRICT;

-- +goose Down
DROP TABLE signing_keys;
