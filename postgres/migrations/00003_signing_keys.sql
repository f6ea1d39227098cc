-- +goose Up
-- The PostgreSQL twin of sqlite/migrations/00003_signing_keys.sql: the keys
-- that sign license tokens.
--
-- id is the JWK key ID (the RFC 7638 thumbprint of the public key) in the
-- "C" collation, unique across the deployment. A key's private half is
-- either stored sealed with AES-256-GCM under the master key
-- (encrypted_private_key) or kept in an external KMS (external_ref names
-- it): exactly one of the two is non-empty. No index besides the primary
-- key: a deployment has a handful of keys, and ListSigningKeys sorts them
-- all.
--
-- Unlike every other table, signing_keys has no tenant_id and no row-level
-- security, on purpose. The keys belong to the deployment, not to a tenant:
-- every tenant's license tokens are signed with the current key and checked
-- against the published JWKS, and the signer reads the keys outside any
-- tenant's transaction. A tenant policy would have no column to compare,
-- and a policy admitting every row would protect nothing. What keeps a
-- private key safe is that it is encrypted under a master key that the
-- server holds and the database never sees: a statement that reads the
-- table, by mistake or by injection, gets ciphertext and public keys only.
CREATE TABLE signing_keys (
    id                    text COLLATE "C" NOT NULL PRIMARY KEY,
    algorithm             text             NOT NULL,
    public_key            bytea            NOT NULL,
    encrypted_private_key bytea            NOT NULL DEFAULT '\x',
    external_ref          text             NOT NULL DEFAULT '',
    created_at            timestamptz      NOT NULL,
    retired_at            timestamptz,
    CHECK ((octet_length(encrypted_private_key) > 0) <> (external_ref <> ''))
);

-- Privileges. Keys are retired, never deleted: a retired key's public half
-- stays published until every token it signed has expired, so the
-- application may read, add and retire keys but not delete them.
GRANT SELECT, INSERT, UPDATE ON signing_keys TO coditect_app;

-- +goose Down
DROP TABLE signing_keys;
