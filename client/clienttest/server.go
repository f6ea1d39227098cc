package clienttest

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/client"
)

// Options configure a fake server's one license. Zero fields take defaults.
type Options struct {
	// LicenseKey is the key the server accepts (default "CDT-TEST-KEY").
	LicenseKey string
	// Seats is the license's seat count (default 1).
	Seats int
	// LeaseTTL is the lease length (default 360 s); HeartbeatInterval how
	// often clients should heartbeat (default LeaseTTL/3).
	LeaseTTL, HeartbeatInterval time.Duration
	// OfflineGrace is how long a license token stays valid after it is
	// issued (default 24 h); negative means none: the token expires with
	// the lease.
	OfflineGrace time.Duration
	// ExpiresAt is the license's own expiry; zero means none.
	ExpiresAt time.Time
	// Features are the license's feature flags.
	Features []string
	// Now is the server's clock (default time.Now); share a Clock with the
	// client to move both together.
	Now func() time.Time
}

// Fault is an answer the server gives instead of serving a request.
type Fault struct {
	// Path selects the requests: "METHOD /path" exactly (e.g. "POST
	// /api/v1/sessions", the acquire), or by prefix when it ends in "*"
	// ("POST /api/v1/sessions/*", the heartbeats); empty matches every
	// request.
	Path string
	// Status and Code make the problem+json answer; Status 0 closes the
	// connection without an answer (a network error).
	Status int
	Code   string
	// RetryAfter, when positive, is sent as the Retry-After header.
	RetryAfter time.Duration
	// Times is how many requests get the fault (default 1).
	Times int
}

// Server is a fake license server for one license, on a loopback port.
type Server struct {
	// URL is the server's base URL, for client.Config.BaseURL.
	URL string
	// LicenseKey, LicenseID and TenantID identify the license.
	LicenseKey, LicenseID, TenantID string
	// KeyID is the kid of the server's signing key.
	KeyID string

	opts Options
	key  ed25519.PrivateKey
	ts   *httptest.Server

	mu       sync.Mutex
	status   string
	down     bool
	faults   []*Fault
	sessions map[string]*session
	requests map[string]int
}

type session struct {
	id, token, fingerprint, instance string
	expires                          time.Time
	ended                            bool
	revoked                          bool
}

// NewServer starts a fake server, stopped by tb.Cleanup.
func NewServer(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := Start(opts)
	tb.Cleanup(s.Close)
	return s
}

// Start starts a fake server; the caller must Close it. Tests prefer
// NewServer.
func Start(opts Options) *Server {
	if opts.LicenseKey == "" {
		opts.LicenseKey = "CDT-TEST-KEY"
	}
	if opts.Seats == 0 {
		opts.Seats = 1
	}
	if opts.LeaseTTL == 0 {
		opts.LeaseTTL = 360 * time.Second
	}
	if opts.HeartbeatInterval == 0 {
		opts.HeartbeatInterval = max(time.Second, opts.LeaseTTL/3)
	}
	if opts.OfflineGrace == 0 {
		opts.OfflineGrace = 24 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	s := &Server{
		LicenseKey: opts.LicenseKey, LicenseID: "lic-" + randomHex(4), TenantID: "ten-" + randomHex(4),
		opts: opts, key: priv, status: "active", sessions: map[string]*session{}, requests: map[string]int{},
	}
	sum := sha256.Sum256(priv.Public().(ed25519.PublicKey))
	s.KeyID = base64.RawURLEncoding.EncodeToString(sum[:12])
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/sessions", s.acquire)
	mux.HandleFunc("POST /api/v1/sessions/{id}/heartbeat", s.heartbeat)
	mux.HandleFunc("DELETE /api/v1/sessions/{id}", s.release)
	mux.HandleFunc("GET /api/v1/license", s.license)
	mux.HandleFunc("GET /.well-known/jwks.json", s.jwks)
	s.ts = httptest.NewServer(s.intercept(mux))
	s.URL = s.ts.URL
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Close stops the server: later requests fail to connect.
func (s *Server) Close() { s.ts.Close() }

// SetDown makes the server drop every connection without an answer (true)
// or serve again (false).
func (s *Server) SetDown(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.down = down
}

// Inject queues a fault.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Times <= 0 {
		f.Times = 1
	}
	s.faults = append(s.faults, &f)
}

// SetStatus sets the license's status: "active", "suspended" or "expired".
func (s *Server) SetStatus(status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

// Revoke ends a session as an administrator would.
func (s *Server) Revoke(sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[sessionID]; ok {
		ss.ended, ss.revoked = true, true
	}
}

// Expire ends a session as a lapsed lease would: its next heartbeat gets a
// 410 session_expired.
func (s *Server) Expire(sessionID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ss, ok := s.sessions[sessionID]; ok {
		ss.ended = true
	}
}

// SeatsInUse returns how many leases are live now.
func (s *Server) SeatsInUse() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.live(s.opts.Now()))
}

// Requests returns how many requests matched "METHOD /path" by prefix, e.g.
// "POST /api/v1/sessions" (acquires and heartbeats) or "DELETE".
func (s *Server) Requests(prefix string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.requests {
		if strings.HasPrefix(k, prefix) {
			n += v
		}
	}
	return n
}

// PublicKeys returns the server's public key by key ID, for
// client.Config.PublicKeys.
func (s *Server) PublicKeys() map[string]ed25519.PublicKey {
	return map[string]ed25519.PublicKey{s.KeyID: s.key.Public().(ed25519.PublicKey)}
}

// JWKS returns the server's JSON Web Key Set, for client.Config.JWKS.
func (s *Server) JWKS() []byte {
	b, _ := json.Marshal(map[string]any{"keys": []map[string]string{{
		"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(s.key.Public().(ed25519.PublicKey)),
		"kid": s.KeyID, "use": "sig", "alg": "EdDSA",
	}}})
	return b
}

// SignToken signs claims as a license token with the server's key; a zero
// KeyID means the server's.
func (s *Server) SignToken(c client.Claims) string {
	kid := c.KeyID
	if kid == "" {
		kid = s.KeyID
	}
	features := c.Features
	if features == nil {
		features = []string{}
	}
	payload := map[string]any{
		"iss": c.Issuer, "sub": c.LicenseID, "tid": c.TenantID, "sid": c.SessionID, "fpr": c.Fingerprint,
		"seats": c.Seats, "features": features,
		"iat": c.IssuedAt.Unix(), "nbf": c.NotBefore.Unix(), "exp": c.ExpiresAt.Unix(),
	}
	return s.SignRaw(map[string]any{"alg": "EdDSA", "kid": kid, "typ": client.TokenType}, payload)
}

// SignRaw signs any header and payload, for tests of malformed tokens.
func (s *Server) SignRaw(header, payload map[string]any) string {
	h, _ := json.Marshal(header)
	p, _ := json.Marshal(payload)
	input := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(s.key, []byte(input)))
}

// intercept counts requests and applies faults and SetDown.
func (s *Server) intercept(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		route := r.Method + " " + r.URL.Path
		s.mu.Lock()
		s.requests[route]++
		var fault *Fault
		if s.down {
			fault = &Fault{}
		} else {
			for i, f := range s.faults {
				if matches(f.Path, route) {
					fault = f
					if f.Times--; f.Times == 0 {
						s.faults = append(s.faults[:i], s.faults[i+1:]...)
					}
					break
				}
			}
		}
		s.mu.Unlock()
		switch {
		case fault == nil:
			next.ServeHTTP(w, r)
		case fault.Status == 0:
			hijackAndClose(w)
		default:
			code := fault.Code
			if code == "" {
				code = defaultCode(fault.Status)
			}
			if fault.RetryAfter > 0 {
				w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(fault.RetryAfter.Seconds()))))
			}
			problem(w, fault.Status, code, "Injected fault.", nil)
		}
	})
}

func matches(pattern, route string) bool {
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return strings.HasPrefix(route, prefix)
	}
	return pattern == "" || pattern == route
}

func hijackAndClose(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

func defaultCode(status int) string {
	switch status {
	case http.StatusTooManyRequests:
		return coditect.CodeRateLimited
	case http.StatusServiceUnavailable:
		return coditect.CodeUnavailable
	case http.StatusBadRequest:
		return coditect.CodeInvalidRequest
	case http.StatusGone:
		return coditect.CodeSessionExpired
	}
	return coditect.CodeInternal
}

func problem(w http.ResponseWriter, status int, code, detail string, extra map[string]any) {
	body := map[string]any{"type": "urn:coditect:problem:" + code, "title": http.StatusText(status), "status": status, "detail": detail, "code": code}
	for k, v := range extra {
		body[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func bearer(r *http.Request, scheme string) string {
	h := r.Header.Get("Authorization")
	if len(h) > len(scheme)+1 && strings.EqualFold(h[:len(scheme)], scheme) && h[len(scheme)] == ' ' {
		return strings.TrimSpace(h[len(scheme)+1:])
	}
	return ""
}

// live returns the live sessions; s.mu is held.
func (s *Server) live(now time.Time) []*session {
	var out []*session
	for _, ss := range s.sessions {
		if !ss.ended && now.Before(ss.expires) {
			out = append(out, ss)
		}
	}
	return out
}

// checkLicense answers the license key and status checks; s.mu is held.
func (s *Server) checkLicense(w http.ResponseWriter, r *http.Request, now time.Time) bool {
	if bearer(r, "License") != s.LicenseKey {
		w.Header().Set("WWW-Authenticate", `License realm="coditect"`)
		problem(w, http.StatusUnauthorized, coditect.CodeInvalidLicenseKey, "The license key is not valid.", nil)
		return false
	}
	expired := s.status == "expired" || !s.opts.ExpiresAt.IsZero() && !now.Before(s.opts.ExpiresAt)
	switch {
	case s.status == "suspended":
		problem(w, http.StatusForbidden, coditect.CodeLicenseSuspended, "The license is suspended.", nil)
		return false
	case expired:
		problem(w, http.StatusForbidden, coditect.CodeLicenseExpired, "The license has expired.", nil)
		return false
	}
	return true
}

func (s *Server) acquire(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Fingerprint string `json:"fingerprint"`
		InstanceID  string `json:"instance_id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Fingerprint == "" || len(body.Fingerprint) > 256 {
		problem(w, http.StatusBadRequest, coditect.CodeInvalidRequest, "fingerprint is required and must be 1 to 256 characters.", nil)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if !s.checkLicense(w, r, now) {
		return
	}
	live := s.live(now)
	status := http.StatusCreated
	var ss *session
	for _, l := range live {
		if body.InstanceID != "" && l.fingerprint == body.Fingerprint && l.instance == body.InstanceID {
			ss, status = l, http.StatusOK
		}
	}
	if ss == nil {
		if len(live) >= s.opts.Seats {
			earliest := live[0].expires
			for _, l := range live {
				if l.expires.Before(earliest) {
					earliest = l.expires
				}
			}
			secs := max(1, int(math.Ceil(earliest.Sub(now).Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			problem(w, http.StatusConflict, coditect.CodeSeatsExhausted,
				fmt.Sprintf("All %d seats of the license are in use; one frees in at most %d seconds.", s.opts.Seats, secs),
				map[string]any{"seats": s.opts.Seats, "in_use": len(live), "retry_after_seconds": secs})
			return
		}
		ss = &session{id: "ses-" + randomHex(8), token: "st1." + randomHex(16), fingerprint: body.Fingerprint, instance: body.InstanceID}
		s.sessions[ss.id] = ss
	}
	ss.expires = now.Add(s.opts.LeaseTTL)
	exp := ss.expires
	if s.opts.OfflineGrace > 0 {
		exp = now.Add(s.opts.OfflineGrace)
	}
	if !s.opts.ExpiresAt.IsZero() && exp.After(s.opts.ExpiresAt) {
		exp = s.opts.ExpiresAt
	}
	token := s.SignToken(client.Claims{
		Issuer: "clienttest", LicenseID: s.LicenseID, TenantID: s.TenantID, SessionID: ss.id,
		Fingerprint: ss.fingerprint, Seats: s.opts.Seats, Features: s.opts.Features,
		IssuedAt: now, NotBefore: now, ExpiresAt: exp,
	})
	writeJSON(w, status, map[string]any{
		"session_id": ss.id, "session_token": ss.token, "license_id": s.LicenseID,
		"expires_at": ss.expires.UTC(), "lease_ttl_seconds": int(s.opts.LeaseTTL / time.Second),
		"heartbeat_interval_seconds": int(s.opts.HeartbeatInterval / time.Second), "license_token": token,
	})
}

// session returns the session a bearer token may act on; s.mu is held.
func (s *Server) session(w http.ResponseWriter, r *http.Request) *session {
	ss, ok := s.sessions[r.PathValue("id")]
	if !ok || bearer(r, "Bearer") != ss.token {
		w.Header().Set("WWW-Authenticate", `Bearer realm="coditect"`)
		problem(w, http.StatusUnauthorized, coditect.CodeInvalidToken, "The session token is not valid.", nil)
		return nil
	}
	return ss
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.session(w, r)
	if ss == nil {
		return
	}
	now := s.opts.Now()
	switch {
	case ss.revoked:
		problem(w, http.StatusGone, coditect.CodeSessionRevoked, "The session was revoked by an administrator; acquire a new seat.", nil)
		return
	case ss.ended || !now.Before(ss.expires):
		ss.ended = true
		problem(w, http.StatusGone, coditect.CodeSessionExpired, "The session has ended or its lease expired; acquire a new seat.", nil)
		return
	}
	ss.expires = now.Add(s.opts.LeaseTTL)
	writeJSON(w, http.StatusOK, map[string]any{
		"session_id": ss.id, "expires_at": ss.expires.UTC(), "heartbeat_interval_seconds": int(s.opts.HeartbeatInterval / time.Second),
	})
}

func (s *Server) release(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.session(w, r)
	if ss == nil {
		return
	}
	ss.ended = true
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) license(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if bearer(r, "License") != s.LicenseKey {
		problem(w, http.StatusUnauthorized, coditect.CodeInvalidLicenseKey, "The license key is not valid.", nil)
		return
	}
	var exp *time.Time
	if !s.opts.ExpiresAt.IsZero() {
		e := s.opts.ExpiresAt.UTC()
		exp = &e
	}
	features := s.opts.Features
	if features == nil {
		features = []string{}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"license_id": s.LicenseID, "name": "Test license", "status": s.status, "seats": s.opts.Seats,
		"seats_in_use": len(s.live(now)), "expires_at": exp, "features": features,
		"lease_ttl_seconds": int(s.opts.LeaseTTL / time.Second), "heartbeat_interval_seconds": int(s.opts.HeartbeatInterval / time.Second),
	})
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	_, _ = w.Write(s.JWKS())
}
