package httpapi

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
)

// DefaultRefreshTokenTTL is how long an unused refresh token stays valid.
const DefaultRefreshTokenTTL = 14 * 24 * time.Hour

// refreshTokenPrefix starts every refresh token, so a leaked one is easy to
// recognise in a scanner.
const refreshTokenPrefix = "rt1."

func (s *Server) refreshTTL() time.Duration {
	if s.RefreshTokenTTL > 0 {
		return s.RefreshTokenTTL
	}
	return DefaultRefreshTokenTTL
}

// issueForUser returns an access token and a new refresh token of family.
func (s *Server) issueForUser(r *http.Request, u *coditect.User, family string) (*tokenResponse, error) {
	tok, ttl, err := s.Tokens.Issue(auth.Principal{TenantID: u.TenantID, UserID: u.ID, Role: u.Role, PlatformAdmin: u.PlatformAdmin})
	if err != nil {
		return nil, err
	}
	refresh := randomToken(refreshTokenPrefix)
	now := s.Now()
	if err := s.Store.CreateRefreshToken(r.Context(), &coditect.RefreshToken{
		ID: secretDigest(refresh), TenantID: u.TenantID, UserID: u.ID, FamilyID: family,
		ExpiresAt: now.Add(s.refreshTTL()), CreatedAt: now,
	}); err != nil {
		return nil, err
	}
	return &tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(ttl.Seconds()), RefreshToken: refresh}, nil
}

var invalidRefresh = &oauthError{Status: http.StatusBadRequest, Code: "invalid_grant", Description: "The refresh token is invalid, expired or revoked; sign in again."}

// refreshGrant rotates a refresh token. Presenting a token that was used
// before means it leaked (or a client misbehaves): the whole family is
// revoked, ending the session for thief and owner alike.
func (s *Server) refreshGrant(r *http.Request) (*tokenResponse, error) {
	presented := r.PostForm.Get("refresh_token")
	if presented == "" {
		return nil, &oauthError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "refresh_token is required."}
	}
	rt, err := s.Store.FindRefreshToken(r.Context(), secretDigest(presented))
	if coditect.IsCode(err, coditect.CodeNotFound) {
		return nil, invalidRefresh
	} else if err != nil {
		return nil, err
	}
	now := s.Now()
	if rt.RevokedAt != nil || !now.Before(rt.ExpiresAt) {
		return nil, invalidRefresh
	}
	fresh, err := s.Store.UseRefreshToken(r.Context(), rt.TenantID, rt.ID, now)
	if err != nil {
		return nil, err
	}
	if !fresh {
		if err := s.Store.RevokeRefreshFamily(r.Context(), rt.TenantID, rt.FamilyID, now); err != nil {
			return nil, err
		}
		s.logger.WarnContext(r.Context(), "refresh token reused; family revoked", "user_id", rt.UserID, "ip", s.clientIP(r))
		s.audit(r, coditect.AuditEvent{TenantID: rt.TenantID, ActorType: coditect.ActorAnonymous, Action: "auth.refresh_reuse", TargetType: "user", TargetID: rt.UserID})
		return nil, invalidRefresh
	}
	u, err := s.Store.GetUser(r.Context(), rt.TenantID, rt.UserID)
	if coditect.IsCode(err, coditect.CodeNotFound) || (err == nil && u.Disabled) {
		return nil, invalidRefresh
	} else if err != nil {
		return nil, err
	}
	return s.issueForUser(r, u, rt.FamilyID)
}

// clientCredentialsGrant authenticates an OAuth client with HTTP Basic
// (RFC 6749 §2.3.1) or form parameters and issues an access token with
// the client's role. No refresh token: the client signs in again.
func (s *Server) clientCredentialsGrant(r *http.Request) (*tokenResponse, error) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	invalid := &oauthError{Status: http.StatusUnauthorized, Code: "invalid_client", Description: "The client ID or secret is wrong."}
	if id == "" || secret == "" {
		return nil, invalid
	}
	c, err := s.Store.FindOAuthClient(r.Context(), id)
	if coditect.IsCode(err, coditect.CodeNotFound) {
		return nil, invalid
	} else if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(secretDigest(secret)), []byte(c.SecretDigest)) != 1 || c.Disabled {
		s.audit(r, coditect.AuditEvent{TenantID: c.TenantID, ActorType: coditect.ActorAnonymous, Action: "auth.client_failed", TargetType: "client", TargetID: c.ID})
		return nil, invalid
	}
	tok, ttl, err := s.Tokens.Issue(auth.Principal{TenantID: c.TenantID, UserID: clientPrefix + c.ID, Role: c.Role})
	if err != nil {
		return nil, err
	}
	return &tokenResponse{AccessToken: tok, TokenType: "Bearer", ExpiresIn: int(ttl.Seconds())}, nil
}

// revoke is RFC 7009 token revocation, used to sign out: revoking a
// refresh token revokes its whole family. Unknown tokens are not an error.
func (s *Server) revoke(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return coditect.Errorf(coditect.CodeInvalidRequest, "The body must be application/x-www-form-urlencoded.")
	}
	tok := r.PostForm.Get("token")
	if tok == "" {
		return coditect.Errorf(coditect.CodeInvalidRequest, "token is required.")
	}
	if strings.HasPrefix(tok, refreshTokenPrefix) {
		rt, err := s.Store.FindRefreshToken(r.Context(), secretDigest(tok))
		if err == nil {
			if err := s.Store.RevokeRefreshFamily(r.Context(), rt.TenantID, rt.FamilyID, s.Now()); err != nil {
				return err
			}
			s.audit(r, coditect.AuditEvent{TenantID: rt.TenantID, ActorType: coditect.ActorUser, ActorID: rt.UserID, Action: "auth.logout", TargetType: "user", TargetID: rt.UserID})
		} else if !coditect.IsCode(err, coditect.CodeNotFound) {
			return err
		}
	}
	w.WriteHeader(http.StatusOK)
	return nil
}
