package auth

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/golang-jwt/jwt/v5"
)

// AccessTokenType is the `typ` header of access tokens (RFC 9068).
const AccessTokenType = "at+jwt"

// Principal is who an access token speaks for.
type Principal struct {
	TenantID      string
	UserID        string
	Role          coditect.Role
	PlatformAdmin bool
}

// AccessClaims are the claims of an access token.
type AccessClaims struct {
	TenantID      string        `json:"tid"`
	Role          coditect.Role `json:"role"`
	PlatformAdmin bool          `json:"padm,omitempty"`
	jwt.RegisteredClaims
}

// Tokens issues and verifies access tokens signed with an Ed25519 key.
type Tokens struct {
	KeyID    string
	Key      ed25519.PrivateKey
	Issuer   string
	Audience string
	TTL      time.Duration
	Now      func() time.Time
	NewID    func() string
}

// Issue returns a signed access token for p and its lifetime.
func (t *Tokens) Issue(p Principal) (string, time.Duration, error) {
	now := t.Now()
	claims := AccessClaims{
		TenantID: p.TenantID, Role: p.Role, PlatformAdmin: p.PlatformAdmin,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: t.Issuer, Subject: p.UserID, Audience: jwt.ClaimStrings{t.Audience},
			IssuedAt: jwt.NewNumericDate(now), NotBefore: jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(t.TTL)), ID: t.NewID(),
		},
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = t.KeyID
	tok.Header["typ"] = AccessTokenType
	s, err := tok.SignedString(t.Key)
	if err != nil {
		return "", 0, fmt.Errorf("sign access token: %w", err)
	}
	return s, t.TTL, nil
}

// Verify checks an access token: algorithm pinned to EdDSA, type at+jwt,
// known key ID, issuer, audience, expiry and not-before. Any failure is
// CodeInvalidToken.
func (t *Tokens) Verify(token string) (Principal, error) {
	var claims AccessClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(tok *jwt.Token) (any, error) {
		// RFC 9068 §4: refuse any other JWT signed with this key.
		if typ, _ := tok.Header["typ"].(string); typ != AccessTokenType && typ != "application/"+AccessTokenType {
			return nil, fmt.Errorf("token type %q is not %s", typ, AccessTokenType)
		}
		if kid, _ := tok.Header["kid"].(string); kid != t.KeyID {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return t.Key.Public(), nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(t.Issuer),
		jwt.WithAudience(t.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.Now),
	)
	if err == nil && (claims.TenantID == "" || claims.Subject == "" || !claims.Role.Valid()) {
		err = errors.New("missing tenant, subject or role")
	}
	if err != nil {
		return Principal{}, coditect.Errorf(coditect.CodeInvalidToken, "The access token is not valid; sign in again.")
	}
	return Principal{TenantID: claims.TenantID, UserID: claims.Subject, Role: claims.Role, PlatformAdmin: claims.PlatformAdmin}, nil
}
