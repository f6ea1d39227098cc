package auth

import (
	"cmp"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	coditect "github.com/coditect/coditect-license"
	"github.com/golang-jwt/jwt/v5"
)

// Defaults of OIDCConfig.
const (
	DefaultTenantClaim     = "coditect_tenant"
	DefaultRoleClaim       = "coditect_role"
	DefaultRefreshInterval = 10 * time.Minute
)

// OIDCUserPrefix starts the UserID of every single sign-on principal, so an
// issuer's subject never collides with a local user ID.
const OIDCUserPrefix = "oidc:"

const (
	// minRefetch spaces JWKS fetches after the first: a flood of tokens with
	// made-up kids costs the issuer one request per interval.
	minRefetch = 30 * time.Second
	// fetchTimeout bounds one discovery or JWKS request.
	fetchTimeout = 10 * time.Second
	// maxDocumentBytes bounds what we read from the issuer.
	maxDocumentBytes = 1 << 20
)

// signingAlgs are the asymmetric JWS algorithms AllowedAlgs may name. HMAC
// and "none" are absent on purpose: an issuer's public key is no secret.
var signingAlgs = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// ecCurves pins each ECDSA algorithm to its curve (RFC 7518 §3.4).
var ecCurves = map[string]string{"ES256": "P-256", "ES384": "P-384", "ES512": "P-521"}

// OIDCConfig configures single sign-on through one external OpenID Connect
// issuer. Zero fields take the defaults named beside them.
type OIDCConfig struct {
	// Issuer is the issuer URL; a token's iss must equal it exactly. It must
	// be https, or http to a loopback host for local development.
	Issuer string
	// Audience must be one of a token's aud values, e.g. the client ID.
	Audience string
	// JWKSURL is where the issuer publishes its keys. Empty: the jwks_uri of
	// Issuer + "/.well-known/openid-configuration".
	JWKSURL string
	// TenantClaim names the top-level claim whose string value is the tenant
	// ID; DefaultTenantClaim when empty. A token without it is refused.
	TenantClaim string
	// RoleClaim names the top-level claim whose string value is the role;
	// DefaultRoleClaim when empty.
	RoleClaim string
	// DefaultRole is the role of a token without the role claim; viewer when
	// empty. A role claim that is not a valid role is refused, not defaulted.
	DefaultRole coditect.Role
	// AllowedAlgs are the accepted signature algorithms; RS256, ES256 and
	// EdDSA when empty. HMAC algorithms and "none" are never accepted.
	AllowedAlgs []string
	// HTTPClient fetches the discovery document and the keys;
	// http.DefaultClient when nil.
	HTTPClient *http.Client
	// Now is the clock for token times and the key cache; time.Now when nil.
	Now func() time.Time
	// RefreshInterval is how long fetched keys are used before they are
	// fetched again; DefaultRefreshInterval when zero.
	RefreshInterval time.Duration
	// Leeway is the clock skew tolerated on exp, nbf and iat; none when zero.
	Leeway time.Duration
}

// OIDC verifies the tokens of one external OpenID Connect issuer and maps
// them to principals. It is safe for concurrent use.
//
// Keys are fetched from the issuer's JWKS and kept in memory. They are
// fetched again when older than RefreshInterval, checked on the next
// verification rather than by a background goroutine, and when a token names
// an unknown kid, as after a key rotation; either refetch happens at most
// once per 30 seconds. If a refetch fails the last keys stay in use.
type OIDC struct {
	cfg    OIDCConfig
	find   keyfunc.Keyfunc
	parser *jwt.Parser
}

// NewOIDC validates cfg, discovers the issuer's JWKS URL unless cfg.JWKSURL
// is set, and fetches the keys once. It fails when the issuer is unreachable
// or its discovery document or key set is unusable, so a misconfigured
// single sign-on stops the server at start rather than at the first sign-in.
// ctx bounds only these requests.
func NewOIDC(ctx context.Context, cfg OIDCConfig) (*OIDC, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, fmt.Errorf("oidc config: %w", err)
	}
	if cfg.JWKSURL == "" {
		u, err := discoverJWKS(ctx, cfg.HTTPClient, cfg.Issuer)
		if err != nil {
			return nil, fmt.Errorf("oidc discovery for %s: %w", cfg.Issuer, err)
		}
		cfg.JWKSURL = u
	}
	keys := &keySet{
		MemoryJWKSet: jwkset.NewMemoryStorage(),
		url:          cfg.JWKSURL, client: cfg.HTTPClient, now: cfg.Now, every: cfg.RefreshInterval,
	}
	if err := keys.fetch(ctx); err != nil {
		return nil, fmt.Errorf("oidc keys of %s: %w", cfg.Issuer, err)
	}
	keys.fetchedAt = cfg.Now()
	find, err := keyfunc.New(keyfunc.Options{Storage: keys, UseWhitelist: []jwkset.USE{jwkset.UseSig, ""}})
	if err != nil {
		return nil, fmt.Errorf("oidc keyfunc: %w", err)
	}
	parser := jwt.NewParser(
		jwt.WithValidMethods(cfg.AllowedAlgs),
		jwt.WithIssuer(cfg.Issuer),
		jwt.WithAudience(cfg.Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(cfg.Leeway),
		jwt.WithTimeFunc(cfg.Now),
	)
	return &OIDC{cfg: cfg, find: find, parser: parser}, nil
}

func (c *OIDCConfig) setDefaults() error {
	if err := checkURL(c.Issuer); err != nil {
		return fmt.Errorf("issuer: %w", err)
	}
	if c.JWKSURL != "" {
		if err := checkURL(c.JWKSURL); err != nil {
			return fmt.Errorf("JWKS URL: %w", err)
		}
	}
	if c.Audience == "" {
		return errors.New("audience is required")
	}
	if c.RefreshInterval < 0 || c.Leeway < 0 {
		return errors.New("refresh interval and leeway must not be negative")
	}
	if c.DefaultRole != "" && !c.DefaultRole.Valid() {
		return fmt.Errorf("default role %q is not a role", c.DefaultRole)
	}
	for _, alg := range c.AllowedAlgs {
		if !signingAlgs[alg] {
			return fmt.Errorf("algorithm %q is not allowed; use an asymmetric one such as RS256, ES256 or EdDSA", alg)
		}
	}
	c.TenantClaim = cmp.Or(c.TenantClaim, DefaultTenantClaim)
	c.RoleClaim = cmp.Or(c.RoleClaim, DefaultRoleClaim)
	c.DefaultRole = cmp.Or(c.DefaultRole, coditect.RoleViewer)
	c.RefreshInterval = cmp.Or(c.RefreshInterval, DefaultRefreshInterval)
	if len(c.AllowedAlgs) == 0 {
		c.AllowedAlgs = []string{"RS256", "ES256", "EdDSA"}
	}
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return nil
}

// checkURL accepts an absolute https URL, or http to a loopback host, with no
// query or fragment (OpenID Connect Discovery §3).
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%q is not an absolute URL without query or fragment", s)
	}
	if u.Scheme == "https" {
		return nil
	}
	ip := net.ParseIP(u.Hostname())
	if u.Scheme == "http" && (u.Hostname() == "localhost" || ip != nil && ip.IsLoopback()) {
		return nil
	}
	return fmt.Errorf("%q must use https", s)
}

// discoverJWKS reads the issuer's discovery document and returns its jwks_uri.
func discoverJWKS(ctx context.Context, client *http.Client, issuer string) (string, error) {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := getJSON(ctx, client, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration", &doc); err != nil {
		return "", err
	}
	// OpenID Connect Discovery §4.3: the document speaks for this issuer only.
	if doc.Issuer != issuer {
		return "", fmt.Errorf("discovery document names issuer %q, want %q", doc.Issuer, issuer)
	}
	if err := checkURL(doc.JWKSURI); err != nil {
		return "", fmt.Errorf("jwks_uri: %w", err)
	}
	return doc.JWKSURI, nil
}

func getJSON(ctx context.Context, client *http.Client, u string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %s", u, resp.Status)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxDocumentBytes)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: decode: %w", u, err)
	}
	return nil
}

// Issuer returns the issuer URL whose tokens o verifies.
func (o *OIDC) Issuer() string { return o.cfg.Issuer }

// Verify checks a token of the issuer: a signature by one of its keys with
// an allowed algorithm fitting that key, iss, aud, exp (required), nbf and
// iat. It maps the tenant claim to TenantID, the role claim (or DefaultRole
// when absent) to Role and sub to UserID, prefixed with OIDCUserPrefix. SSO
// principals are never platform admins. Any failure is CodeInvalidToken,
// with the cause in Err.
func (o *OIDC) Verify(ctx context.Context, token string) (Principal, error) {
	p, err := o.verify(ctx, token)
	if err != nil {
		return Principal{}, &coditect.Error{
			Code:    coditect.CodeInvalidToken,
			Message: "The single sign-on token is not valid; sign in again.",
			Err:     fmt.Errorf("oidc token of %s: %w", o.cfg.Issuer, err),
		}
	}
	return p, nil
}

func (o *OIDC) verify(ctx context.Context, token string) (Principal, error) {
	claims := jwt.MapClaims{}
	if _, err := o.parser.ParseWithClaims(token, claims, o.keyfunc(ctx)); err != nil {
		return Principal{}, err
	}
	sub, err := claims.GetSubject()
	if err != nil || sub == "" {
		return Principal{}, errors.New("sub: want a non-empty string")
	}
	tenant, _ := claims[o.cfg.TenantClaim].(string)
	if tenant == "" {
		return Principal{}, fmt.Errorf("%s: want a non-empty string", o.cfg.TenantClaim)
	}
	role := o.cfg.DefaultRole
	if v, ok := claims[o.cfg.RoleClaim]; ok {
		s, _ := v.(string)
		if role = coditect.Role(s); !role.Valid() {
			return Principal{}, fmt.Errorf("%s: %v is not a role", o.cfg.RoleClaim, v)
		}
	}
	return Principal{TenantID: tenant, UserID: OIDCUserPrefix + sub, Role: role}, nil
}

// keyfunc finds the key for a token by kid (keyfunc also refuses a JWK whose
// own alg differs from the token's) and pins the algorithm to the key's type,
// so an RSA key never checks an ECDSA signature or the other way round. A
// token without kid is tried against every key fitting its algorithm.
func (o *OIDC) keyfunc(ctx context.Context) jwt.Keyfunc {
	find := o.find.KeyfuncCtx(ctx)
	return func(tok *jwt.Token) (any, error) {
		key, err := find(tok)
		if err != nil {
			return nil, err
		}
		alg := tok.Method.Alg()
		if set, ok := key.(jwt.VerificationKeySet); ok {
			var fit jwt.VerificationKeySet
			for _, k := range set.Keys {
				if fits(alg, k) {
					fit.Keys = append(fit.Keys, k)
				}
			}
			if len(fit.Keys) == 0 {
				return nil, fmt.Errorf("no key for %s", alg)
			}
			return fit, nil
		}
		if !fits(alg, key) {
			return nil, fmt.Errorf("key %v is a %T, not a %s key", tok.Header["kid"], key, alg)
		}
		return key, nil
	}
}

// fits reports whether key is of the type alg signs with.
func fits(alg string, key any) bool {
	switch k := key.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		return ecCurves[alg] == k.Curve.Params().Name
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// UnverifiedIssuer returns the iss claim of a JWT without verifying anything,
// or "" when token is not a JWT with a string iss. Use it only to choose the
// verifier of a bearer token (our own Tokens or one OIDC per issuer); never
// trust the result for anything else.
func UnverifiedIssuer(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return ""
	}
	var claims struct {
		Issuer string `json:"iss"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return ""
	}
	return claims.Issuer
}

// keySet is the issuer's JWK Set held in memory. It implements
// jwkset.Storage for keyfunc, refetching on reads as OIDC describes.
type keySet struct {
	*jwkset.MemoryJWKSet
	url    string
	client *http.Client
	now    func() time.Time
	every  time.Duration

	mu        sync.Mutex
	fetchedAt time.Time     // last successful fetch
	triedAt   time.Time     // last refetch attempt; zero before the first
	lastErr   error         // of the last refetch
	inflight  chan struct{} // closed when the refetch under way ends
}

// KeyRead returns the key with the given kid, refetching (rate limited)
// when it is unknown.
func (s *keySet) KeyRead(ctx context.Context, kid string) (jwkset.JWK, error) {
	s.refetch(ctx, false)
	jwk, err := s.MemoryJWKSet.KeyRead(ctx, kid)
	if errors.Is(err, jwkset.ErrKeyNotFound) {
		// Read again even if this caller did not fetch: another may have.
		ferr := s.refetch(ctx, true)
		if jwk, err = s.MemoryJWKSet.KeyRead(ctx, kid); err != nil && ferr != nil {
			err = errors.Join(err, ferr)
		}
	}
	return jwk, err
}

// KeyReadAll returns every key, refetching first when they are stale.
func (s *keySet) KeyReadAll(ctx context.Context) ([]jwkset.JWK, error) {
	s.refetch(ctx, false)
	return s.MemoryJWKSet.KeyReadAll(ctx)
}

var errRefetchLimited = errors.New("keys were refetched less than 30s ago")

// refetch fetches the keys again when they are stale or, if unknownKID, a
// kid is missing; either way at most once per minRefetch, and one fetch at a
// time. For an unknown kid it returns why no new keys came: the fetch
// failed, or was rate limited, or the caller gave up waiting for another.
func (s *keySet) refetch(ctx context.Context, unknownKID bool) error {
	s.mu.Lock()
	now, done, last := s.now(), s.inflight, s.lastErr
	switch {
	case !unknownKID && (done != nil || now.Sub(s.fetchedAt) < s.every || now.Sub(s.triedAt) < minRefetch):
		s.mu.Unlock()
		return nil
	case done != nil:
		s.mu.Unlock()
		select {
		case <-done:
			s.mu.Lock()
			defer s.mu.Unlock()
			return s.lastErr
		case <-ctx.Done():
			return ctx.Err()
		}
	case now.Sub(s.triedAt) < minRefetch:
		s.mu.Unlock()
		if last != nil {
			return fmt.Errorf("%w; that attempt failed: %w", errRefetchLimited, last)
		}
		return errRefetchLimited
	}
	done = make(chan struct{})
	s.inflight, s.triedAt = done, now
	s.mu.Unlock()

	// The fetch serves every waiter, so the caller going away must not cancel it.
	err := s.fetch(context.WithoutCancel(ctx))
	s.mu.Lock()
	if err == nil {
		s.fetchedAt = now
	}
	s.inflight, s.lastErr = nil, err
	s.mu.Unlock()
	close(done)
	return err
}

// fetch replaces the keys with the issuer's current JWK Set, skipping keys
// jwkset cannot use for verification (symmetric, unknown types, invalid).
func (s *keySet) fetch(ctx context.Context) error {
	var set jwkset.JWKSMarshal
	if err := getJSON(ctx, s.client, s.url, &set); err != nil {
		return err
	}
	var keys []jwkset.JWK
	var errs []error
	for _, m := range set.Keys {
		jwk, err := jwkset.NewJWKFromMarshal(m, jwkset.JWKMarshalOptions{}, jwkset.JWKValidateOptions{})
		if err != nil {
			errs = append(errs, fmt.Errorf("kid %q: %w", m.KID, err))
			continue
		}
		keys = append(keys, jwk)
	}
	if len(keys) == 0 {
		return errors.Join(append([]error{fmt.Errorf("%s holds no usable key", s.url)}, errs...)...)
	}
	return s.KeyReplaceAll(ctx, keys)
}
