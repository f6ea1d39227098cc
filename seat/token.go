package seat

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"strings"
	"sync"

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
	// macs pools HMAC states keyed by secret: a new one hashes the key
	// twice before the first byte of the token.
	macs sync.Pool
}

// NewSessionTokens returns a codec keyed by secret, which must hold at least
// 32 bytes.
func NewSessionTokens(secret []byte) (*SessionTokens, error) {
	if len(secret) < 32 {
		return nil, errors.New("session token secret must be at least 32 bytes")
	}
	t := &SessionTokens{secret: secret}
	t.macs.New = func() any { return hmac.New(sha256.New, secret) }
	return t, nil
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
	// Built only when needed: a heartbeat's token is almost always valid.
	invalid := func() (SessionClaims, error) {
		return SessionClaims{}, coditect.Errorf(coditect.CodeInvalidToken, "The session token is malformed or was not issued by this server.")
	}
	if len(token) > maxSessionTokenLength {
		return invalid()
	}
	version, rest, ok := strings.Cut(token, ".")
	if !ok || version != sessionTokenVersion {
		return invalid()
	}
	p, m, ok := strings.Cut(rest, ".")
	if !ok {
		return invalid()
	}
	// Decoded into buffers on the stack: the lengths are bounded above.
	var macBuf [sha256.Size + 3]byte
	var payloadBuf [maxSessionTokenLength]byte
	if base64.RawURLEncoding.DecodedLen(len(m)) > len(macBuf) {
		return invalid()
	}
	n, err := base64.RawURLEncoding.Decode(macBuf[:], []byte(m))
	if err != nil || !hmac.Equal(macBuf[:n], s.mac(p)) {
		return invalid()
	}
	n, err = base64.RawURLEncoding.Decode(payloadBuf[:], []byte(p))
	if err != nil {
		return invalid()
	}
	c, err := decodeClaims(payloadBuf[:n])
	if err != nil {
		return invalid()
	}
	if c.TenantID == "" || c.LicenseID == "" || c.SessionID == "" || c.LeaseTTLSeconds <= 0 || c.HeartbeatIntervalSeconds <= 0 {
		return invalid()
	}
	return c, nil
}

func (s *SessionTokens) mac(payload string) []byte {
	h := s.macs.Get().(hash.Hash)
	h.Reset()
	h.Write([]byte(sessionTokenVersion + "."))
	h.Write([]byte(payload))
	sum := h.Sum(nil)
	s.macs.Put(h)
	return sum
}

// decodeClaims decodes a token's payload. Sign writes it with encoding/json
// in one layout, {"t":"…","l":"…","s":"…","ttl":n,"hb":n}, which is read
// directly when the strings need no unescaping; anything else goes to
// encoding/json, with the same result (FuzzDecodeClaims checks that).
// Half of a heartbeat's token check was encoding/json.
func decodeClaims(p []byte) (SessionClaims, error) {
	if c, ok := decodeCanonical(p); ok {
		return c, nil
	}
	// A copy, so that p (the caller's stack buffer) does not escape.
	var c SessionClaims
	err := json.Unmarshal(append([]byte(nil), p...), &c)
	return c, err
}

func decodeCanonical(p []byte) (c SessionClaims, ok bool) {
	rest := p
	field := func(name string) bool { // `"name":`
		if len(rest) < len(name)+3 || rest[0] != '"' || string(rest[1:1+len(name)]) != name || rest[1+len(name)] != '"' || rest[2+len(name)] != ':' {
			return false
		}
		rest = rest[len(name)+3:]
		return true
	}
	str := func(name string, out *string) bool {
		if !field(name) || len(rest) == 0 || rest[0] != '"' {
			return false
		}
		for i := 1; i < len(rest); i++ {
			switch b := rest[i]; {
			case b == '"':
				*out = string(rest[1:i])
				rest = rest[i+1:]
				return true
			case b < 0x20 || b == '\\' || b >= 0x7f:
				return false // escapes, control bytes, non-ASCII: encoding/json
			}
		}
		return false
	}
	num := func(name string, out *int) bool {
		if !field(name) {
			return false
		}
		i, v := 0, 0
		for i < len(rest) && i < 9 && rest[i] >= '0' && rest[i] <= '9' {
			v = v*10 + int(rest[i]-'0')
			i++
		}
		if i == 0 || (i > 1 && rest[0] == '0') || (i < len(rest) && rest[i] >= '0' && rest[i] <= '9') {
			return false // none, a leading zero, or too long
		}
		*out, rest = v, rest[i:]
		return true
	}
	sep := func(b byte) bool {
		if len(rest) == 0 || rest[0] != b {
			return false
		}
		rest = rest[1:]
		return true
	}
	ok = sep('{') && str("t", &c.TenantID) && sep(',') && str("l", &c.LicenseID) && sep(',') &&
		str("s", &c.SessionID) && sep(',') && num("ttl", &c.LeaseTTLSeconds) && sep(',') &&
		num("hb", &c.HeartbeatIntervalSeconds) && sep('}') && len(rest) == 0
	return c, ok
}
