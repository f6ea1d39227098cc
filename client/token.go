package client

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// TokenType is the typ header of every license token.
const TokenType = "coditect-license+jwt"

// tokenLeeway is how far a token's nbf and iat may lie in the future of this
// machine's clock: client clocks drift from the server's. There is no leeway
// on exp.
const tokenLeeway = time.Minute

// maxTokenSize bounds a license token; real ones are well under 1 KiB.
const maxTokenSize = 16 << 10

// Claims are the content of a verified license token (ARCHITECTURE §5).
type Claims struct {
	// KeyID is the kid of the key that signed the token.
	KeyID string
	// Issuer is the iss claim: the server that issued the token.
	Issuer string
	// LicenseID is the sub claim.
	LicenseID string
	// TenantID is the tid claim: the vendor's tenant.
	TenantID string
	// SessionID is the sid claim: the session the token was issued with.
	SessionID string
	// Fingerprint is the fpr claim: the machine the token is bound to.
	Fingerprint string
	// Seats is the license's seat count when the token was issued.
	Seats int
	// Features are the license's feature flags.
	Features []string
	// IssuedAt, NotBefore and ExpiresAt are iat, nbf and exp. ExpiresAt ends
	// offline validity.
	IssuedAt, NotBefore, ExpiresAt time.Time
}

// HasFeature reports whether the license grants the named feature.
func (c *Claims) HasFeature(name string) bool {
	return c != nil && slices.Contains(c.Features, name)
}

func (c *Claims) clone() *Claims {
	if c == nil {
		return nil
	}
	out := *c
	out.Features = slices.Clone(c.Features)
	return &out
}

// VerifyLicenseToken checks a license token (a compact JWS) and returns its
// claims: the header must say alg EdDSA and typ coditect-license+jwt, the
// kid must name one of keys and the Ed25519 signature must verify under it;
// every claim must be present and well-typed, exp must be after now, and nbf
// and iat no more than a minute after now.
//
// Errors match ErrTokenExpired for an expired token and ErrTokenInvalid for
// anything else. The binding to a machine (Claims.Fingerprint) is for the
// caller to check.
func VerifyLicenseToken(token string, keys map[string]ed25519.PublicKey, now time.Time) (*Claims, error) {
	c, err := verifyToken(token, keys, now)
	if err != nil {
		if errors.Is(err, ErrTokenExpired) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: %w", ErrTokenInvalid, err)
	}
	return c, nil
}

func verifyToken(token string, keys map[string]ed25519.PublicKey, now time.Time) (*Claims, error) {
	if len(token) > maxTokenSize {
		return nil, fmt.Errorf("longer than %d bytes", maxTokenSize)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("not a compact JWS (want header.payload.signature)")
	}
	var dec [3][]byte
	for i, p := range parts {
		b, err := decodeSegment(p)
		if err != nil {
			return nil, fmt.Errorf("segment %d: %w", i+1, err)
		}
		dec[i] = b
	}
	kid, err := parseHeader(dec[0])
	if err != nil {
		return nil, err
	}
	key, ok := keys[kid]
	if !ok {
		return nil, fmt.Errorf("signed by an unknown key %q", kid)
	}
	if len(key) != ed25519.PublicKeySize {
		return nil, fmt.Errorf("key %q is not an Ed25519 public key", kid)
	}
	if len(dec[2]) != ed25519.SignatureSize || !ed25519.Verify(key, []byte(parts[0]+"."+parts[1]), dec[2]) {
		return nil, errors.New("the signature does not verify")
	}
	c, err := parseClaims(dec[1])
	if err != nil {
		return nil, err
	}
	c.KeyID = kid
	switch {
	case !now.Before(c.ExpiresAt):
		return nil, fmt.Errorf("%w at %s", ErrTokenExpired, c.ExpiresAt.UTC().Format(time.RFC3339))
	case c.NotBefore.After(now.Add(tokenLeeway)):
		return nil, fmt.Errorf("not valid before %s", c.NotBefore.UTC().Format(time.RFC3339))
	case c.IssuedAt.After(now.Add(tokenLeeway)):
		return nil, fmt.Errorf("issued in the future, at %s", c.IssuedAt.UTC().Format(time.RFC3339))
	}
	return c, nil
}

// decodeSegment decodes unpadded base64url, refusing any byte outside its
// alphabet (the standard decoder skips newlines) and non-zero padding bits,
// so that each token has exactly one spelling.
func decodeSegment(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return nil, errors.New("not base64url")
		}
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(s)
	if err != nil {
		return nil, errors.New("not base64url")
	}
	return b, nil
}

// members decodes a JSON object into its members by exact name. (Decoding
// into a struct would match names case-insensitively.)
func members(b []byte, what string) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, fmt.Errorf("the %s is not a JSON object", what)
	}
	return m, nil
}

func parseHeader(b []byte) (kid string, err error) {
	h, err := members(b, "header")
	if err != nil {
		return "", err
	}
	if _, ok := h["crit"]; ok {
		return "", errors.New("the header has critical extensions")
	}
	alg, err := stringMember(h, "alg")
	if err != nil {
		return "", err
	}
	if alg != "EdDSA" {
		return "", fmt.Errorf("alg %q is not EdDSA", alg)
	}
	typ, err := stringMember(h, "typ")
	if err != nil {
		return "", err
	}
	if typ != TokenType {
		return "", fmt.Errorf("typ %q is not %s", typ, TokenType)
	}
	return stringMember(h, "kid")
}

func parseClaims(b []byte) (*Claims, error) {
	m, err := members(b, "payload")
	if err != nil {
		return nil, err
	}
	var c Claims
	for name, dst := range map[string]*string{
		"iss": &c.Issuer, "sub": &c.LicenseID, "tid": &c.TenantID, "sid": &c.SessionID, "fpr": &c.Fingerprint,
	} {
		if *dst, err = stringMember(m, name); err != nil {
			return nil, err
		}
	}
	if err := decodeMember(m, "seats", &c.Seats); err != nil {
		return nil, err
	}
	if c.Seats < 0 {
		return nil, errors.New("claim seats is negative")
	}
	if err := decodeMember(m, "features", &c.Features); err != nil {
		return nil, err
	}
	for name, dst := range map[string]*time.Time{"iat": &c.IssuedAt, "nbf": &c.NotBefore, "exp": &c.ExpiresAt} {
		if *dst, err = dateMember(m, name); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// decodeMember decodes a required, non-null member.
func decodeMember(m map[string]json.RawMessage, name string, dst any) error {
	raw, ok := m[name]
	if !ok {
		return fmt.Errorf("claim %s is missing", name)
	}
	if bytes.Equal(raw, []byte("null")) || json.Unmarshal(raw, dst) != nil {
		return fmt.Errorf("member %s has the wrong type", name)
	}
	return nil
}

func stringMember(m map[string]json.RawMessage, name string) (string, error) {
	var s string
	if err := decodeMember(m, name, &s); err != nil {
		return "", err
	}
	if s == "" {
		return "", fmt.Errorf("member %s is empty", name)
	}
	return s, nil
}

// maxNumericDate is the year 5138, far past any real token, and keeps the
// conversion to time.Time exact.
const maxNumericDate = 1e11

// dateMember reads an RFC 7519 NumericDate: seconds since the epoch, possibly
// fractional.
func dateMember(m map[string]json.RawMessage, name string) (time.Time, error) {
	var f float64
	if err := decodeMember(m, name, &f); err != nil {
		return time.Time{}, err
	}
	if math.IsNaN(f) || f < 0 || f > maxNumericDate {
		return time.Time{}, fmt.Errorf("claim %s is out of range", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), nil
}

// ParseJWKS reads the Ed25519 keys of a JSON Web Key Set (the body of
// /.well-known/jwks.json) by key ID. Keys of other types are skipped; a
// malformed Ed25519 key, or a set without any, is an error.
func ParseJWKS(b []byte) (map[string]ed25519.PublicKey, error) {
	var set struct {
		Keys []struct {
			KeyType string `json:"kty"`
			Curve   string `json:"crv"`
			X       string `json:"x"`
			KeyID   string `json:"kid"`
			Use     string `json:"use"`
			Alg     string `json:"alg"`
		} `json:"keys"`
	}
	if err := json.Unmarshal(b, &set); err != nil {
		return nil, fmt.Errorf("parse JWKS: %w", err)
	}
	out := make(map[string]ed25519.PublicKey, len(set.Keys))
	for _, k := range set.Keys {
		if k.KeyType != "OKP" || k.Curve != "Ed25519" {
			continue
		}
		if k.Use != "" && k.Use != "sig" || k.Alg != "" && k.Alg != "EdDSA" {
			continue
		}
		x, err := decodeSegment(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("parse JWKS: key %q has a malformed x member", k.KeyID)
		}
		if k.KeyID == "" {
			return nil, errors.New("parse JWKS: an Ed25519 key has no kid")
		}
		out[k.KeyID] = ed25519.PublicKey(x)
	}
	if len(out) == 0 {
		return nil, errors.New("parse JWKS: the set holds no Ed25519 signing key")
	}
	return out, nil
}
