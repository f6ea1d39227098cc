package client

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Version is the SDK's version, sent in the User-Agent header.
const Version = "1.0.0"

// RetryPolicy bounds the retries of one call. Zero fields take the defaults.
type RetryPolicy struct {
	// MaxAttempts is the number of tries, the first included (default 4;
	// 1 disables retries).
	MaxAttempts int
	// BaseDelay is the first backoff step (default 500 ms). Attempt n waits a
	// random time in [0, min(MaxDelay, BaseDelay·2ⁿ⁻¹)] ("full jitter").
	BaseDelay time.Duration
	// MaxDelay caps one wait (default 30 s). A Retry-After longer than
	// MaxDelay ends the retries: the error carries it for the caller.
	MaxDelay time.Duration
}

// Config configures a [Client]. BaseURL is required; LicenseKey is required
// for everything but verifying tokens; Product or Fingerprint is required.
type Config struct {
	// BaseURL is the license server, e.g. "https://license.example.com".
	BaseURL string
	// LicenseKey is the customer's license key.
	LicenseKey string
	// Product names the vendor's product. It keys the machine fingerprint,
	// so two products on one machine have different fingerprints.
	Product string
	// Fingerprint binds sessions and offline tokens to this machine; empty
	// means Fingerprint(Product).
	Fingerprint string
	// InstanceID tells copies of the product on one machine apart. The
	// same license, fingerprint and instance ID get the same session back
	// instead of a second seat. Empty means a random ID per Acquire, kept
	// for that lease's retries and re-acquires.
	InstanceID string
	// User, Hostname, ClientName and ClientVersion are shown to the
	// vendor's administrators with the session. None is sent when empty,
	// except ClientName, which defaults to Product.
	User, Hostname, ClientName, ClientVersion string
	// Metadata is sent with each acquire (a JSON object, at most 4 KiB).
	Metadata map[string]any
	// HTTPClient sends the requests; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
	// PublicKeys pins the keys that license tokens must be signed with, by
	// key ID. Ship them in the product. With neither PublicKeys nor JWKS,
	// the keys are fetched from /.well-known/jwks.json at the first online
	// acquire and cached (trust on first use).
	PublicKeys map[string]ed25519.PublicKey
	// JWKS pins keys as a JSON Web Key Set (the server's
	// /.well-known/jwks.json saved at build time); merged with PublicKeys.
	JWKS []byte
	// CacheDir holds the offline cache (one JSON file per license, mode
	// 0600). Empty disables offline use; DefaultCacheDir gives a good one.
	CacheDir string
	// Reacquire makes a lease whose session ended on the server (410, e.g.
	// after a long network outage or an administrator's revoke) acquire a
	// new one by itself instead of reporting the loss.
	Reacquire bool
	// OnLeaseLost, if set, is called once, from the lease's goroutine, when
	// a lease is lost. Lease.Lost delivers the same error.
	OnLeaseLost func(err error)
	// Retry bounds the retries of each call.
	Retry RetryPolicy
	// Now is the clock (default time.Now). Tests move it.
	Now func() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then. It
	// paces retries and heartbeats; nil means a real timer. Tests inject
	// one that returns at once or waits for a fake clock.
	Sleep func(ctx context.Context, d time.Duration) error
	// Logger receives the SDK's logs (never keys or tokens); nil discards.
	Logger *slog.Logger
}

// Client talks to one license server for one license. It is safe for
// concurrent use.
type Client struct {
	base        string
	key         string
	fingerprint string
	cfg         Config
	hc          *http.Client
	pinned      map[string]ed25519.PublicKey
	cache       *cache
	retry       RetryPolicy
	now         func() time.Time
	sleep       func(ctx context.Context, d time.Duration) error
	logger      *slog.Logger
}

// New checks cfg and returns a Client. It computes the machine fingerprint
// when none is given.
func New(cfg Config) (*Client, error) {
	base := strings.TrimRight(strings.TrimSpace(cfg.BaseURL), "/")
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("client: BaseURL %q is not an http(s) URL", cfg.BaseURL)
	}
	c := &Client{base: base, key: strings.TrimSpace(cfg.LicenseKey), cfg: cfg, hc: cfg.HTTPClient,
		retry: cfg.Retry, now: cfg.Now, sleep: cfg.Sleep, logger: cfg.Logger}
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if c.now == nil {
		c.now = time.Now
	}
	if c.sleep == nil {
		c.sleep = sleep
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if c.retry.MaxAttempts <= 0 {
		c.retry.MaxAttempts = 4
	}
	if c.retry.BaseDelay <= 0 {
		c.retry.BaseDelay = 500 * time.Millisecond
	}
	if c.retry.MaxDelay <= 0 {
		c.retry.MaxDelay = 30 * time.Second
	}
	if c.cfg.ClientName == "" {
		c.cfg.ClientName = cfg.Product
	}
	c.fingerprint = strings.TrimSpace(cfg.Fingerprint)
	if c.fingerprint == "" {
		if cfg.Product == "" {
			return nil, errors.New("client: Config.Product is required (it keys the machine fingerprint), or set Config.Fingerprint")
		}
		if c.fingerprint, err = Fingerprint(cfg.Product); err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
	}
	c.pinned = make(map[string]ed25519.PublicKey, len(cfg.PublicKeys))
	for kid, k := range cfg.PublicKeys {
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("client: public key %q is not an Ed25519 key", kid)
		}
		c.pinned[kid] = k
	}
	if len(cfg.JWKS) > 0 {
		keys, err := ParseJWKS(cfg.JWKS)
		if err != nil {
			return nil, fmt.Errorf("client: %w", err)
		}
		for kid, k := range keys {
			c.pinned[kid] = k
		}
	}
	c.cache = newCache(cfg.CacheDir, base, c.key, c.fingerprint)
	return c, nil
}

// DefaultCacheDir returns a per-user cache directory for a product's offline
// license cache: os.UserCacheDir()/coditect-license/PRODUCT.
func DefaultCacheDir(product string) (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("user cache dir: %w", err)
	}
	return filepath.Join(dir, "coditect-license", product), nil
}

// Fingerprint returns the machine fingerprint the client sends.
func (c *Client) Fingerprint() string { return c.fingerprint }

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// backoff is the full-jitter wait before retry n (n ≥ 1).
func (c *Client) backoff(n int) time.Duration {
	ceiling := c.retry.MaxDelay
	if n < 32 && c.retry.BaseDelay<<(n-1) < ceiling && c.retry.BaseDelay<<(n-1) > 0 {
		ceiling = c.retry.BaseDelay << (n - 1)
	}
	return time.Duration(mrand.Int64N(int64(ceiling) + 1))
}

// jitter spreads a period by ±10 %, so that clients started together do not
// heartbeat together.
func jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.9 + 0.2*mrand.Float64()))
}

// maxResponse bounds a success body.
const maxResponse = 1 << 20

// request is one API call.
type request struct {
	method, path, auth string
	body               any
	out                any
	attempts           int
	// status, when set, receives the status of a success.
	status *int
}

// do sends r, retrying network errors, 5xx and 429 with backoff, and
// decodes a 2xx body into r.out. Other answers come back as *Error.
func (c *Client) do(ctx context.Context, r request) error {
	var payload []byte
	if r.body != nil {
		b, err := json.Marshal(r.body)
		if err != nil {
			return err
		}
		payload = b
	}
	attempts := r.attempts
	if attempts <= 0 {
		attempts = c.retry.MaxAttempts
	}
	var last error
	for n := 1; ; n++ {
		retryAfter, err := c.once(ctx, r, payload)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return interrupted(ctx, last)
		}
		last = err
		var e *Error
		if errors.As(last, &e) && !e.transient() {
			return last
		}
		if n >= attempts {
			return last
		}
		wait := c.backoff(n)
		if retryAfter > 0 {
			if retryAfter > c.retry.MaxDelay {
				return last
			}
			wait = retryAfter
		}
		c.logger.DebugContext(ctx, "license server request failed; retrying", "method", r.method, "path", r.path, "attempt", n, "wait", wait, "err", last)
		if err := c.sleep(ctx, wait); err != nil {
			return interrupted(ctx, last)
		}
	}
}

// interrupted is the error of a call whose context ended: the context's
// error, and the failure that was being retried, if any (so that a deadline
// hit while the server is unreachable still matches ErrUnreachable).
func interrupted(ctx context.Context, last error) error {
	if last == nil {
		return ctx.Err()
	}
	return fmt.Errorf("%w; before that: %w", ctx.Err(), last)
}

// once sends one request and returns its outcome and any Retry-After.
func (c *Client) once(ctx context.Context, r request, payload []byte) (time.Duration, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, c.base+r.path, body)
	if err != nil {
		return 0, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	req.Header.Set("User-Agent", c.userAgent())
	if r.auth != "" {
		req.Header.Set("Authorization", r.auth)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		return 0, &netError{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		e := parseError(resp.StatusCode, resp.Header, raw, c.now())
		return e.RetryAfter, e
	}
	if r.status != nil {
		*r.status = resp.StatusCode
	}
	if r.out == nil {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponse))
		return 0, nil
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return 0, &netError{fmt.Errorf("read response: %w", err)}
	}
	if err := json.Unmarshal(raw, r.out); err != nil {
		// A 2xx that is not our JSON: a captive portal or a wrong BaseURL.
		return 0, &netError{fmt.Errorf("%s %s: the answer is not a license server's (%d, %s)", r.method, r.path, resp.StatusCode, resp.Header.Get("Content-Type"))}
	}
	return 0, nil
}

func (c *Client) userAgent() string {
	ua := "coditect-license-go/" + Version
	if c.cfg.ClientName != "" {
		ua += " " + strings.ReplaceAll(c.cfg.ClientName, " ", "-")
		if c.cfg.ClientVersion != "" {
			ua += "/" + strings.ReplaceAll(c.cfg.ClientVersion, " ", "-")
		}
	}
	return ua
}

func (c *Client) licenseAuth() (string, error) {
	if c.key == "" {
		return "", errors.New("client: Config.LicenseKey is required")
	}
	return "License " + c.key, nil
}

// Session is a seat held on the server, with the credentials to heartbeat
// and release it.
type Session struct {
	// ID is the session ID.
	ID string
	// Token authorises heartbeat and release of this session only. Keep it
	// secret.
	Token string
	// LicenseID is the license the seat belongs to.
	LicenseID string
	// InstanceID is the instance ID the session was acquired with.
	InstanceID string
	// ExpiresAt is when the lease lapses without a heartbeat.
	ExpiresAt time.Time
	// LeaseTTL is the lease's length; HeartbeatInterval how often to extend it.
	LeaseTTL, HeartbeatInterval time.Duration
	// LicenseToken is the signed license token for offline use.
	LicenseToken string
	// Created is false when the server returned an existing session of the
	// same instance ID instead of a new one.
	Created bool
}

type acquireRequest struct {
	Fingerprint   string         `json:"fingerprint"`
	InstanceID    string         `json:"instance_id,omitempty"`
	User          string         `json:"user,omitempty"`
	Hostname      string         `json:"hostname,omitempty"`
	ClientName    string         `json:"client_name,omitempty"`
	ClientVersion string         `json:"client_version,omitempty"`
	Metadata      map[string]any `json:"metadata,omitempty"`
}

type acquireResponse struct {
	SessionID                string    `json:"session_id"`
	SessionToken             string    `json:"session_token"`
	LicenseID                string    `json:"license_id"`
	ExpiresAt                time.Time `json:"expires_at"`
	LeaseTTLSeconds          int       `json:"lease_ttl_seconds"`
	HeartbeatIntervalSeconds int       `json:"heartbeat_interval_seconds"`
	LicenseToken             string    `json:"license_token"`
}

// AcquireSession takes a seat once, with retries, and returns the session
// without managing it: no background heartbeats, no offline fallback. It is
// for callers that heartbeat and release themselves (the CLI's acquire);
// most products want [Client.Acquire]. The license token is cached for
// offline use all the same.
func (c *Client) AcquireSession(ctx context.Context) (*Session, error) {
	s, _, err := c.acquire(ctx, c.instanceID(), 0)
	if err != nil {
		return nil, fmt.Errorf("acquire: %w", err)
	}
	return s, nil
}

func (c *Client) instanceID() string {
	if c.cfg.InstanceID != "" {
		return c.cfg.InstanceID
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// acquire takes a seat and caches its license token; the claims are those
// of the token when it verifies.
func (c *Client) acquire(ctx context.Context, instanceID string, attempts int) (*Session, *Claims, error) {
	auth, err := c.licenseAuth()
	if err != nil {
		return nil, nil, err
	}
	var out acquireResponse
	var status int
	err = c.do(ctx, request{
		method: http.MethodPost, path: "/api/v1/sessions", auth: auth, attempts: attempts, out: &out, status: &status,
		body: acquireRequest{
			Fingerprint: c.fingerprint, InstanceID: instanceID, User: c.cfg.User, Hostname: c.cfg.Hostname,
			ClientName: c.cfg.ClientName, ClientVersion: c.cfg.ClientVersion, Metadata: c.cfg.Metadata,
		},
	})
	if err != nil {
		return nil, nil, err
	}
	if out.SessionID == "" || out.SessionToken == "" {
		return nil, nil, &netError{errors.New("the acquire answer lacks session_id or session_token")}
	}
	s := &Session{
		ID: out.SessionID, Token: out.SessionToken, LicenseID: out.LicenseID, InstanceID: instanceID,
		ExpiresAt: out.ExpiresAt, LeaseTTL: time.Duration(out.LeaseTTLSeconds) * time.Second,
		HeartbeatInterval: time.Duration(out.HeartbeatIntervalSeconds) * time.Second,
		LicenseToken:      out.LicenseToken, Created: status == http.StatusCreated,
	}
	return s, c.remember(ctx, s), nil
}

// remember verifies a fresh license token and caches it with the time the
// server was seen. It returns the verified claims, or nil.
func (c *Client) remember(ctx context.Context, s *Session) *Claims {
	now := c.now()
	keys, jwks := c.keysFor(ctx, s.LicenseToken)
	claims, err := VerifyLicenseToken(s.LicenseToken, keys, now)
	switch {
	case err != nil:
		c.logger.WarnContext(ctx, "the license token does not verify; offline use will not be possible", "err", err)
		claims = nil
	case claims.Fingerprint != c.fingerprint:
		c.logger.WarnContext(ctx, "the license token is bound to another fingerprint; offline use will not be possible")
		claims = nil
	}
	if c.cache == nil {
		return claims
	}
	err = c.cache.update(func(e *cacheEntry) {
		e.LastSeen = now
		if claims != nil {
			e.LicenseToken, e.LicenseID, e.SessionID = s.LicenseToken, s.LicenseID, s.ID
			e.HeartbeatIntervalSeconds = int(s.HeartbeatInterval / time.Second)
		}
		if jwks != nil {
			e.JWKS = jwks
		}
	})
	if err != nil {
		c.logger.WarnContext(ctx, "cannot write the offline license cache", "err", err)
	}
	return claims
}

// keysFor returns the keys to verify token with: the pinned ones, else the
// cached JWKS, fetched from the server when it lacks the token's key (the
// fetched set is returned, to be cached).
func (c *Client) keysFor(ctx context.Context, token string) (map[string]ed25519.PublicKey, json.RawMessage) {
	if len(c.pinned) > 0 {
		return c.pinned, nil
	}
	var cached map[string]ed25519.PublicKey
	if c.cache != nil {
		if e, err := c.cache.load(); err == nil && len(e.JWKS) > 0 {
			cached, _ = ParseJWKS(e.JWKS)
		}
	}
	if _, ok := cached[tokenKeyID(token)]; ok {
		return cached, nil
	}
	raw, keys, err := c.fetchJWKS(ctx)
	if err != nil {
		c.logger.WarnContext(ctx, "cannot fetch the server's public keys", "err", err)
		return cached, nil
	}
	return keys, raw
}

// tokenKeyID returns the kid of a token's header, unverified, or "".
func tokenKeyID(token string) string {
	head, _, _ := strings.Cut(token, ".")
	b, err := decodeSegment(head)
	if err != nil {
		return ""
	}
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(b, &h)
	return h.Kid
}

// FetchJWKS downloads the server's public keys from /.well-known/jwks.json.
// Prefer pinning keys shipped with the product: keys fetched over the
// network are only as trustworthy as the connection.
func (c *Client) FetchJWKS(ctx context.Context) (map[string]ed25519.PublicKey, error) {
	_, keys, err := c.fetchJWKS(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetch JWKS: %w", err)
	}
	return keys, nil
}

func (c *Client) fetchJWKS(ctx context.Context) (json.RawMessage, map[string]ed25519.PublicKey, error) {
	var raw json.RawMessage
	if err := c.do(ctx, request{method: http.MethodGet, path: "/.well-known/jwks.json", out: &raw}); err != nil {
		return nil, nil, err
	}
	keys, err := ParseJWKS(raw)
	if err != nil {
		return nil, nil, err
	}
	return raw, keys, nil
}

// Beat is the outcome of a heartbeat.
type Beat struct {
	SessionID         string
	ExpiresAt         time.Time
	HeartbeatInterval time.Duration
}

// Heartbeat extends a session's lease once. A session that ended on the
// server answers an error matching ErrLeaseLost. [Lease] heartbeats by
// itself; this is for callers of [Client.AcquireSession].
func (c *Client) Heartbeat(ctx context.Context, sessionID, sessionToken string) (*Beat, error) {
	b, err := c.heartbeat(ctx, sessionID, sessionToken, 0)
	if err != nil {
		return nil, fmt.Errorf("heartbeat: %w", err)
	}
	return b, nil
}

func (c *Client) heartbeat(ctx context.Context, sessionID, sessionToken string, attempts int) (*Beat, error) {
	var out struct {
		SessionID                string    `json:"session_id"`
		ExpiresAt                time.Time `json:"expires_at"`
		HeartbeatIntervalSeconds int       `json:"heartbeat_interval_seconds"`
	}
	err := c.do(ctx, request{
		method: http.MethodPost, path: "/api/v1/sessions/" + url.PathEscape(sessionID) + "/heartbeat",
		auth: "Bearer " + sessionToken, attempts: attempts, out: &out,
	})
	if err != nil {
		return nil, err
	}
	c.seen(ctx)
	return &Beat{SessionID: out.SessionID, ExpiresAt: out.ExpiresAt, HeartbeatInterval: time.Duration(out.HeartbeatIntervalSeconds) * time.Second}, nil
}

// seen records that the server answered now.
func (c *Client) seen(ctx context.Context) {
	if c.cache == nil {
		return
	}
	now := c.now()
	if err := c.cache.update(func(e *cacheEntry) { e.LastSeen = now }); err != nil {
		c.logger.WarnContext(ctx, "cannot write the offline license cache", "err", err)
	}
}

// Release gives a session's seat back; releasing an ended session succeeds.
// [Lease.Release] does this for a managed lease.
func (c *Client) Release(ctx context.Context, sessionID, sessionToken string) error {
	err := c.do(ctx, request{
		method: http.MethodDelete, path: "/api/v1/sessions/" + url.PathEscape(sessionID), auth: "Bearer " + sessionToken,
	})
	if err != nil {
		return fmt.Errorf("release: %w", err)
	}
	return nil
}

// LicenseStatus is the license's state on the server.
type LicenseStatus struct {
	LicenseID                   string
	Name                        string
	Status                      string
	Seats, SeatsInUse           int
	ExpiresAt                   *time.Time
	Features                    []string
	LeaseTTL, HeartbeatInterval time.Duration
}

// Status returns the license's status and how many seats are in use.
func (c *Client) Status(ctx context.Context) (*LicenseStatus, error) {
	auth, err := c.licenseAuth()
	if err != nil {
		return nil, err
	}
	var out struct {
		LicenseID                string     `json:"license_id"`
		Name                     string     `json:"name"`
		Status                   string     `json:"status"`
		Seats                    int        `json:"seats"`
		SeatsInUse               int        `json:"seats_in_use"`
		ExpiresAt                *time.Time `json:"expires_at"`
		Features                 []string   `json:"features"`
		LeaseTTLSeconds          int        `json:"lease_ttl_seconds"`
		HeartbeatIntervalSeconds int        `json:"heartbeat_interval_seconds"`
	}
	if err := c.do(ctx, request{method: http.MethodGet, path: "/api/v1/license", auth: auth, out: &out}); err != nil {
		return nil, fmt.Errorf("license status: %w", err)
	}
	c.seen(ctx)
	return &LicenseStatus{
		LicenseID: out.LicenseID, Name: out.Name, Status: out.Status, Seats: out.Seats, SeatsInUse: out.SeatsInUse,
		ExpiresAt: out.ExpiresAt, Features: out.Features, LeaseTTL: time.Duration(out.LeaseTTLSeconds) * time.Second,
		HeartbeatInterval: time.Duration(out.HeartbeatIntervalSeconds) * time.Second,
	}, nil
}

// clockTolerance is how far the clock may read behind the last time it was
// seen before that counts as set back: small NTP corrections are normal.
const clockTolerance = 2 * time.Minute

// offlineClaims checks whether the cache allows an offline lease at now and
// returns the cached token's claims. Every error matches
// ErrOfflineUnavailable. A success moves the clock's high-water mark.
func (c *Client) offlineClaims(now time.Time) (*cacheEntry, *Claims, error) {
	fail := func(reason error) (*cacheEntry, *Claims, error) {
		return nil, nil, fmt.Errorf("%w: %w", ErrOfflineUnavailable, reason)
	}
	if c.cache == nil {
		return fail(errors.New("offline use is disabled (no cache directory)"))
	}
	e, err := c.cache.load()
	if errors.Is(err, fs.ErrNotExist) {
		return fail(errors.New("no license token is cached; the product must reach the server once"))
	} else if err != nil {
		return fail(err)
	}
	if e.LicenseToken == "" {
		return fail(errors.New("no license token is cached; the product must reach the server once"))
	}
	if hw := e.highWater(); now.Before(hw.Add(-clockTolerance)) {
		return fail(fmt.Errorf("%w: it reads %s, but %s was already seen", ErrClockRollback,
			now.UTC().Format(time.RFC3339), hw.UTC().Format(time.RFC3339)))
	}
	keys := c.pinned
	if len(keys) == 0 && len(e.JWKS) > 0 {
		keys, _ = ParseJWKS(e.JWKS)
	}
	if len(keys) == 0 {
		return fail(errors.New("no public keys are pinned or cached to verify the license token"))
	}
	claims, err := VerifyLicenseToken(e.LicenseToken, keys, now)
	if err != nil {
		return fail(err)
	}
	if claims.Fingerprint != c.fingerprint {
		return fail(ErrWrongMachine)
	}
	if now.After(e.CheckedAt) {
		if err := c.cache.update(func(e *cacheEntry) {
			if now.After(e.CheckedAt) {
				e.CheckedAt = now
			}
		}); err != nil {
			c.logger.Warn("cannot write the offline license cache", "err", err)
		}
	}
	return e, claims, nil
}
