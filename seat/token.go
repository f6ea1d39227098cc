package seat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	coditect "github.com/coditect/coditect-license"
)

// sessionTokenVersion prefixes every session token so the format can change.
const sessionTokenVersion = "st1"

// maxSessionTokenLength bounds the work done on untrusted input.
const maxSessionTokenLength = 1024

// SessionClaims is what a session token proves: which session of which
// license of which tenant, and the lease settings in force when it was
// acquired, so that a heartbeat needs no store read.
type SessionClaims struct {
	TenantID                 string `json:"t"`
	LicenseID                string `json:"l"`
	SessionID                string `json:"s"`
	LeaseTTLSeconds          int    `json:"ttl"`
	HeartbeatIntervalSeconds int    `json:"hb"`
}

// SessionTokens signs and verifies session tokens with HMAC-SHA256 under a
// server secret. Verification needs no store read.
type SessionTokens struct {
	secret []byte
}

// NewSessionTokens returns a codec keyed by secret, which must hold at least
// 32 bytes.
func NewSessionTokens(secret []byte) (*SessionTokens, error) {
	if len(secret) < 32 {
		return nil, errors.New("session token secret must be at least 32 bytes")
	}
	return &SessionTokens{secret: secret}, nil
}

// Sign returns the token for c: "st1.<payload>.<mac>", both base64url.
func (s *SessionTokens) Sign(c SessionClaims) string {
	payload, _ := json.Marshal(c) // a struct of strings and ints always marshals
	p := base64.RawURLEncoding.EncodeToString(payload)
	return sessionTokenVersion + "." + p + "." + base64.RawURLEncoding.EncodeToString(s.mac(p))
}

// Verify checks a token's MAC and returns its claims, or a CodeInvalidToken
// error for anything malformed or forged.
func (s *SessionTokens) Verify(token string) (SessionClaims, error) {
	invalid := coditect.Errorf(coditect.CodeInvalidToken, "The session token is malformed or was not issued by this server.")
	if len(token) > maxSessionTokenLength {
		return SessionClaims{}, invalid
	}
	version, rest, ok := strings.Cut(token, ".")
	if !ok || version != sessionTokenVersion {
		return SessionClaims{}, invalid
	}
	p, m, ok := strings.Cut(rest, ".")
	if !ok {
		return SessionClaims{}, invalid
	}
	mac, err := base64.RawURLEncoding.DecodeString(m)
	if err != nil || !hmac.Equal(mac, s.mac(p)) {
		return SessionClaims{}, invalid
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return SessionClaims{}, invalid
	}
	var c SessionClaims
	if err := json.Unmarshal(payload, &c); err != nil {
		return SessionClaims{}, invalid
	}
	if c.TenantID == "" || c.LicenseID == "" || c.SessionID == "" || c.LeaseTTLSeconds <= 0 || c.HeartbeatIntervalSeconds <= 0 {
		return SessionClaims{}, invalid
	}
	return c, nil
}

func (s *SessionTokens) mac(payload string) []byte {
	h := hmac.New(sha256.New, s.secret)
	h.Write([]byte(sessionTokenVersion + "." + payload))
	return h.Sum(nil)
}
