-- name: CreateRefreshToken :exec
INSERT INTO refresh_tokens (tenant_id, id, user_id, family_id, expires_at, created_at, used_at, revoked_at)
VALUES (@tenant_id, @id, @user_id, @family_id, @expires_at, @created_at, @used_at, @revoked_at);

-- name: GetRefreshToken :one
SELECT * FROM refresh_tokens
WHERE tenant_id = @tenant_id AND id = @id;

-- FindRefreshToken resolves a token digest to its token's tenant and ID
-- through the SECURITY DEFINER function; the token is then read with
-- GetRefreshToken inside that tenant's transaction.
-- name: FindRefreshToken :one
SELECT f.tenant_id::text AS tenant_id, f.token_id::text AS id
FROM find_refresh_token(@id::text) AS f;

-- UseRefreshToken is the whole reuse check: of two transactions presenting
-- the same token, the second waits for the first's row lock, then finds
-- used_at set and changes nothing.
-- name: UseRefreshToken :execrows
UPDATE refresh_tokens
SET used_at = @used_at
WHERE tenant_id = @tenant_id AND id = @id AND used_at IS NULL;

-- name: RefreshTokenExists :one
SELECT count(*) FROM refresh_tokens
WHERE tenant_id = @tenant_id AND id = @id;

-- RevokeRefreshFamily keeps the first revocation time of a token.
-- name: RevokeRefreshFamily :execrows
UPDATE refresh_tokens
SET revoked_at = @revoked_at
WHERE tenant_id = @tenant_id AND family_id = @family_id AND revoked_at IS NULL;
