-- name: CreateRefreshToken :exec
INSERT INTO refresh_tokens (tenant_id, id, user_id, family_id, expires_at, created_at, used_at, revoked_at)
VALUES (@tenant_id, @id, @user_id, @family_id, @expires_at, @created_at, @used_at, @revoked_at);

-- name: FindRefreshToken :one
SELECT * FROM refresh_tokens
WHERE id = @id;

-- UseRefreshToken is the whole reuse check: of two requests presenting the
-- same token, exactly one changes the row.
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
