package signing

import (
	"crypto"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/golang-jwt/jwt/v5"
)

// LicenseTokenType is the `typ` header of every license token.
const LicenseTokenType = "coditect-license+jwt"

// LicenseTokenClaims are the claims of a license token (ARCHITECTURE §5).
type LicenseTokenClaims struct {
	TenantID    string   `json:"tid"`
	SessionID   string   `json:"sid"`
	Fingerprint string   `json:"fpr"`
	Seats       int      `json:"seats"`
	Features    []string `json:"features"`
	jwt.RegisteredClaims
}

// LicenseSigner signs license tokens with one Ed25519 key.
type LicenseSigner struct {
	Key *Key
}

// SignLicenseToken returns the compact JWS for c.
func (s *LicenseSigner) SignLicenseToken(c coditect.LicenseClaims) (string, error) {
	return signLicense(s.Key.ID, s.Key.Private, c)
}

// signLicense signs c with any Ed25519 crypto.Signer: an in-memory key or
// one held by a KMS or HSM.
func signLicense(kid string, key crypto.Signer, c coditect.LicenseClaims) (string, error) {
	features := c.Features
	if features == nil {
		features = []string{}
	}
	claims := LicenseTokenClaims{
		TenantID: c.TenantID, SessionID: c.SessionID, Fingerprint: c.Fingerprint,
		Seats: c.Seats, Features: features,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer: c.Issuer, Subject: c.LicenseID,
			IssuedAt:  jwt.NewNumericDate(c.IssuedAt),
			NotBefore: jwt.NewNumericDate(c.IssuedAt),
			ExpiresAt: jwt.NewNumericDate(c.ExpiresAt),
		},
	}
	t := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	t.Header["kid"] = kid
	t.Header["typ"] = LicenseTokenType
	out, err := t.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign license token: %w", err)
	}
	return out, nil
}

// VerifyLicenseToken checks a license token's signature against keys (by
// kid), its type and its time claims at now, and returns its claims.
func VerifyLicenseToken(token string, keys map[string]ed25519.PublicKey, now time.Time) (*LicenseTokenClaims, error) {
	var claims LicenseTokenClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != LicenseTokenType {
			return nil, errors.New("not a license token")
		}
		kid, _ := t.Header["kid"].(string)
		k, ok := keys[kid]
		if !ok {
			return nil, fmt.Errorf("unknown key id %q", kid)
		}
		return k, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	if err != nil {
		return nil, &coditect.Error{Code: coditect.CodeInvalidToken, Message: "The license token is not valid: " + err.Error()}
	}
	return &claims, nil
}
