package auth_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
	"github.com/golang-jwt/jwt/v5"
)

const ssoAudience = "coditect-dashboard"

var ssoNow = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// Keys are generated once: RSA generation is slow under the race detector.
var (
	rsaKeyA  = sync.OnceValue(func() crypto.Signer { return must(rsa.GenerateKey(rand.Reader, 2048)) })
	rsaKeyB  = sync.OnceValue(func() crypto.Signer { return must(rsa.GenerateKey(rand.Reader, 2048)) })
	ecKey    = sync.OnceValue(func() crypto.Signer { return must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader)) })
	ecKey384 = sync.OnceValue(func() crypto.Signer { return must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)) })
	edKey    = sync.OnceValue(func() crypto.Signer {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		return must(k, err)
	})
)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// issuerKey is a signing key of the test issuer. alg is the JWK's alg
// member; empty leaves it out, as issuers may.
type issuerKey struct {
	kid    string
	alg    string
	method jwt.SigningMethod
	key    crypto.Signer
}

func keyRSA() issuerKey {
	return issuerKey{kid: "rsa-1", alg: "RS256", method: jwt.SigningMethodRS256, key: rsaKeyA()}
}
func keyEC() issuerKey { return issuerKey{kid: "ec-1", method: jwt.SigningMethodES256, key: ecKey()} }
func keyEd() issuerKey {
	return issuerKey{kid: "ed-1", alg: "EdDSA", method: jwt.SigningMethodEdDSA, key: edKey()}
}

// testIssuer is an OpenID Connect issuer: a discovery document and a JWKS.
type testIssuer struct {
	srv *httptest.Server

	mu        sync.Mutex
	keys      []issuerKey
	jwksHits  int
	jwksDown  bool
	discovery map[string]any // nil: the correct document
}

func newTestIssuer(t *testing.T, keys ...issuerKey) *testIssuer {
	t.Helper()
	if keys == nil {
		keys = []issuerKey{keyRSA(), keyEC(), keyEd()}
	}
	ti := &testIssuer{keys: keys}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		ti.mu.Lock()
		doc := ti.discovery
		ti.mu.Unlock()
		if doc == nil {
			doc = map[string]any{"issuer": ti.srv.URL, "jwks_uri": ti.srv.URL + "/jwks"}
		}
		writeJSON(w, doc)
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		ti.mu.Lock()
		defer ti.mu.Unlock()
		ti.jwksHits++
		if ti.jwksDown {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var set jwkset.JWKSMarshal
		for _, k := range ti.keys {
			jwk, err := jwkset.NewJWKFromKey(k.key.Public(), jwkset.JWKOptions{
				Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: jwkset.ALG(k.alg), USE: jwkset.UseSig},
			})
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			set.Keys = append(set.Keys, jwk.Marshal())
		}
		writeJSON(w, set)
	})
	ti.srv = httptest.NewTLSServer(mux)
	t.Cleanup(ti.srv.Close)
	return ti
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (ti *testIssuer) setKeys(keys ...issuerKey) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.keys = keys
}

func (ti *testIssuer) setDiscovery(doc map[string]any) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.discovery = doc
}

func (ti *testIssuer) setDown(down bool) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.jwksDown = down
}

func (ti *testIssuer) hits() int {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	return ti.jwksHits
}

func (ti *testIssuer) config() auth.OIDCConfig {
	return auth.OIDCConfig{Issuer: ti.srv.URL, Audience: ssoAudience, HTTPClient: ti.srv.Client()}
}

// claims are what the issuer writes for alice, an admin of tenant-1, at ssoNow.
func (ti *testIssuer) claims() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": ti.srv.URL, "aud": ssoAudience, "sub": "alice",
		"coditect_tenant": "tenant-1", "coditect_role": "admin",
		"iat": ssoNow.Unix(), "nbf": ssoNow.Unix(), "exp": ssoNow.Add(5 * time.Minute).Unix(),
	}
}

func (ti *testIssuer) sign(t *testing.T, k issuerKey, claims jwt.MapClaims) string {
	t.Helper()
	return signBy(t, k.method, k.key, map[string]any{"kid": k.kid}, claims)
}

// clock is a settable Now for the verifier.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// newSSO returns a verifier of ti whose clock reads ssoNow; change, when
// non-nil, edits the configuration first.
func newSSO(t *testing.T, ti *testIssuer, change func(*auth.OIDCConfig)) (*auth.OIDC, *clock) {
	t.Helper()
	c := &clock{now: ssoNow}
	cfg := ti.config()
	cfg.Now = c.Now
	if change != nil {
		change(&cfg)
	}
	o, err := auth.NewOIDC(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewOIDC: got %v, want nil", err)
	}
	return o, c
}

func wantPrincipal(t *testing.T, o *auth.OIDC, token string, want auth.Principal) {
	t.Helper()
	got, err := o.Verify(context.Background(), token)
	if err != nil || got != want {
		t.Fatalf("got %+v, %v, want %+v, nil", got, err, want)
	}
}

func wantRefused(t *testing.T, o *auth.OIDC, token string) {
	t.Helper()
	p, err := o.Verify(context.Background(), token)
	var e *coditect.Error
	if !errors.As(err, &e) || e.Code != coditect.CodeInvalidToken {
		t.Fatalf("got error %v, want a *coditect.Error with code %q", err, coditect.CodeInvalidToken)
	}
	if e.Err == nil {
		t.Errorf("got no cause in Err, want one for the logs")
	}
	if p != (auth.Principal{}) {
		t.Errorf("got principal %+v, want the zero Principal", p)
	}
}

var alice = auth.Principal{TenantID: "tenant-1", UserID: "oidc:alice", Role: coditect.RoleAdmin}

func TestOIDCVerify(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	o, _ := newSSO(t, ti, nil)

	t.Run("tokens signed with RSA, EC and Ed25519 keys map tenant, role and subject", func(t *testing.T) {
		t.Parallel()
		for _, k := range []issuerKey{keyRSA(), keyEC(), keyEd()} {
			wantPrincipal(t, o, ti.sign(t, k, ti.claims()), alice)
		}
		c := ti.claims()
		c["coditect_role"], c["coditect_tenant"], c["sub"] = "owner", "tenant-2", "bob"
		wantPrincipal(t, o, ti.sign(t, keyEC(), c), auth.Principal{TenantID: "tenant-2", UserID: "oidc:bob", Role: coditect.RoleOwner})
	})

	t.Run("an SSO principal is never a platform admin", func(t *testing.T) {
		t.Parallel()
		c := ti.claims()
		c["padm"], c["platform_admin"] = true, true
		wantPrincipal(t, o, ti.sign(t, keyRSA(), c), alice)
	})

	t.Run("a token without the role claim gets the default role", func(t *testing.T) {
		t.Parallel()
		c := ti.claims()
		delete(c, "coditect_role")
		want := alice
		want.Role = coditect.RoleViewer
		wantPrincipal(t, o, ti.sign(t, keyRSA(), c), want)

		admins, _ := newSSO(t, ti, func(cfg *auth.OIDCConfig) { cfg.DefaultRole = coditect.RoleAdmin })
		wantPrincipal(t, admins, ti.sign(t, keyRSA(), c), alice)
	})

	t.Run("configured claim names are read", func(t *testing.T) {
		t.Parallel()
		custom, _ := newSSO(t, ti, func(cfg *auth.OIDCConfig) { cfg.TenantClaim, cfg.RoleClaim = "org", "grp" })
		c := ti.claims()
		c["org"], c["grp"] = "tenant-9", "owner"
		wantPrincipal(t, custom, ti.sign(t, keyRSA(), c), auth.Principal{TenantID: "tenant-9", UserID: "oidc:alice", Role: coditect.RoleOwner})
		delete(c, "org")
		wantRefused(t, custom, ti.sign(t, keyRSA(), c))
	})

	t.Run("an audience list containing the audience is accepted", func(t *testing.T) {
		t.Parallel()
		c := ti.claims()
		c["aud"] = []string{"other-client", ssoAudience}
		wantPrincipal(t, o, ti.sign(t, keyRSA(), c), alice)
	})

	t.Run("a token without kid verifies against the keys fitting its algorithm", func(t *testing.T) {
		t.Parallel()
		for _, k := range []issuerKey{keyRSA(), keyEC(), keyEd()} {
			wantPrincipal(t, o, signBy(t, k.method, k.key, nil, ti.claims()), alice)
		}
		stranger := must(rsa.GenerateKey(rand.Reader, 2048))
		wantRefused(t, o, signBy(t, jwt.SigningMethodRS256, stranger, nil, ti.claims()))
	})

	t.Run("the token is valid within its lifetime only", func(t *testing.T) {
		t.Parallel()
		timed, c := newSSO(t, ti, nil)
		token := ti.sign(t, keyRSA(), ti.claims())
		c.Advance(5*time.Minute - time.Second)
		wantPrincipal(t, timed, token, alice)
		c.Advance(time.Second)
		wantRefused(t, timed, token)
	})

	t.Run("leeway tolerates clock skew", func(t *testing.T) {
		t.Parallel()
		skewed, clk := newSSO(t, ti, func(cfg *auth.OIDCConfig) { cfg.Leeway = time.Minute })
		c := ti.claims()
		c["iat"], c["nbf"] = ssoNow.Add(30*time.Second).Unix(), ssoNow.Add(30*time.Second).Unix()
		wantPrincipal(t, skewed, ti.sign(t, keyRSA(), c), alice)
		clk.Advance(5*time.Minute + 30*time.Second)
		wantPrincipal(t, skewed, ti.sign(t, keyRSA(), c), alice)
		clk.Advance(time.Minute)
		wantRefused(t, skewed, ti.sign(t, keyRSA(), c))
	})

	t.Run("a token with wrong or missing claims is refused", func(t *testing.T) {
		t.Parallel()
		for name, change := range map[string]func(jwt.MapClaims){
			"wrong issuer":           func(c jwt.MapClaims) { c["iss"] = "https://evil.example" },
			"issuer with a slash":    func(c jwt.MapClaims) { c["iss"] = ti.srv.URL + "/" },
			"no issuer":              func(c jwt.MapClaims) { delete(c, "iss") },
			"wrong audience":         func(c jwt.MapClaims) { c["aud"] = "other-client" },
			"no audience":            func(c jwt.MapClaims) { delete(c, "aud") },
			"expired":                func(c jwt.MapClaims) { c["exp"] = ssoNow.Add(-time.Second).Unix() },
			"no expiry":              func(c jwt.MapClaims) { delete(c, "exp") },
			"not yet valid":          func(c jwt.MapClaims) { c["nbf"] = ssoNow.Add(time.Minute).Unix() },
			"issued in the future":   func(c jwt.MapClaims) { c["iat"] = ssoNow.Add(time.Minute).Unix() },
			"no tenant":              func(c jwt.MapClaims) { delete(c, "coditect_tenant") },
			"empty tenant":           func(c jwt.MapClaims) { c["coditect_tenant"] = "" },
			"tenant not a string":    func(c jwt.MapClaims) { c["coditect_tenant"] = 7 },
			"invalid role":           func(c jwt.MapClaims) { c["coditect_role"] = "root" },
			"role not a string":      func(c jwt.MapClaims) { c["coditect_role"] = []string{"admin"} },
			"null role":              func(c jwt.MapClaims) { c["coditect_role"] = nil },
			"platform role rejected": func(c jwt.MapClaims) { c["coditect_role"] = "platform_admin" },
			"no subject":             func(c jwt.MapClaims) { delete(c, "sub") },
			"empty subject":          func(c jwt.MapClaims) { c["sub"] = "" },
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c := ti.claims()
				change(c)
				wantRefused(t, o, ti.sign(t, keyRSA(), c))
			})
		}
	})

	t.Run("an alg none token is refused", func(t *testing.T) {
		t.Parallel()
		for _, alg := range []string{"none", "None", "NONE"} {
			unsigned := b64JSON(t, map[string]any{"alg": alg, "kid": "rsa-1"}) + "." + b64JSON(t, ti.claims()) + "."
			wantRefused(t, o, unsigned)
		}
		none := signBy(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, map[string]any{"kid": "rsa-1"}, ti.claims())
		wantRefused(t, o, none)
	})

	t.Run("an HS256 token keyed with the RSA public key is refused", func(t *testing.T) {
		t.Parallel()
		der := must(x509.MarshalPKIXPublicKey(rsaKeyA().Public()))
		pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
		for _, secret := range [][]byte{pemKey, der} {
			wantRefused(t, o, signBy(t, jwt.SigningMethodHS256, secret, map[string]any{"kid": "rsa-1"}, ti.claims()))
		}
	})

	t.Run("a signature by the wrong type of key for the kid is refused", func(t *testing.T) {
		t.Parallel()
		// ES256 under the RSA kid: the JWK's alg RS256 pins it.
		wantRefused(t, o, signBy(t, jwt.SigningMethodES256, ecKey(), map[string]any{"kid": "rsa-1"}, ti.claims()))
		// RS256 under the EC kid, whose JWK has no alg: the key type pins it.
		wantRefused(t, o, signBy(t, jwt.SigningMethodRS256, rsaKeyA(), map[string]any{"kid": "ec-1"}, ti.claims()))
	})

	t.Run("an algorithm outside AllowedAlgs is refused", func(t *testing.T) {
		t.Parallel()
		ecOnly, _ := newSSO(t, ti, func(cfg *auth.OIDCConfig) { cfg.AllowedAlgs = []string{"ES256"} })
		wantPrincipal(t, ecOnly, ti.sign(t, keyEC(), ti.claims()), alice)
		wantRefused(t, ecOnly, ti.sign(t, keyRSA(), ti.claims()))
		ps := issuerKey{kid: "rsa-1", method: jwt.SigningMethodPS256, key: rsaKeyA()}
		wantRefused(t, o, ti.sign(t, ps, ti.claims()))
	})

	t.Run("a kid-less token with no key for its algorithm is refused", func(t *testing.T) {
		t.Parallel()
		es384, _ := newSSO(t, ti, func(cfg *auth.OIDCConfig) { cfg.AllowedAlgs = []string{"ES384"} })
		wantRefused(t, es384, signBy(t, jwt.SigningMethodES384, ecKey384(), nil, ti.claims()))
	})

	t.Run("a tampered payload is refused", func(t *testing.T) {
		t.Parallel()
		token := ti.sign(t, keyRSA(), ti.claims())
		parts := strings.Split(token, ".")
		c := ti.claims()
		c["coditect_role"] = "owner"
		wantRefused(t, o, parts[0]+"."+b64JSON(t, c)+"."+parts[2])
	})

	t.Run("a token signed by a key not in the JWKS is refused", func(t *testing.T) {
		t.Parallel()
		stranger := must(rsa.GenerateKey(rand.Reader, 2048))
		wantRefused(t, o, signBy(t, jwt.SigningMethodRS256, stranger, map[string]any{"kid": "rsa-1"}, ti.claims()))
	})

	t.Run("a kid that is not a string is refused", func(t *testing.T) {
		t.Parallel()
		wantRefused(t, o, signBy(t, jwt.SigningMethodRS256, rsaKeyA(), map[string]any{"kid": 1}, ti.claims()))
	})

	t.Run("garbage is refused", func(t *testing.T) {
		t.Parallel()
		for _, bad := range []string{"", "garbage", "a.b.c", "..", strings.Repeat("A", 4096)} {
			wantRefused(t, o, bad)
		}
	})

	t.Run("the refusal message is safe for clients", func(t *testing.T) {
		t.Parallel()
		c := ti.claims()
		c["coditect_role"] = "root"
		_, err := o.Verify(context.Background(), ti.sign(t, keyRSA(), c))
		if got := coditect.ErrorMessage(err); strings.Contains(got, "root") || strings.Contains(got, "coditect_role") {
			t.Errorf("got message %q, want one without the cause", got)
		}
		if got := err.Error(); !strings.Contains(got, `coditect_role: root is not a role`) {
			t.Errorf("got error %q, want the cause in it", got)
		}
	})
}

func TestOIDCKeyRefresh(t *testing.T) {
	t.Parallel()
	keyB := issuerKey{kid: "rsa-2", alg: "RS256", method: jwt.SigningMethodRS256, key: rsaKeyB()}

	t.Run("an unknown kid refetches the JWKS once, so a rotated key verifies", func(t *testing.T) {
		t.Parallel()
		ti := newTestIssuer(t, keyRSA())
		o, clk := newSSO(t, ti, nil)
		if got := ti.hits(); got != 1 {
			t.Fatalf("got %d JWKS fetches after NewOIDC, want 1", got)
		}
		ti.setKeys(keyB)
		wantPrincipal(t, o, ti.sign(t, keyB, ti.claims()), alice)
		if got := ti.hits(); got != 2 {
			t.Fatalf("got %d JWKS fetches after the new kid, want 2", got)
		}
		// The retired key was dropped with the refetch.
		wantRefused(t, o, ti.sign(t, keyRSA(), ti.claims()))

		unknown := issuerKey{kid: "unknown", method: jwt.SigningMethodRS256, key: rsaKeyA()}
		for range 5 {
			wantRefused(t, o, ti.sign(t, unknown, ti.claims()))
		}
		if got := ti.hits(); got != 2 {
			t.Fatalf("got %d JWKS fetches after unknown kids within 30s, want 2", got)
		}
		clk.Advance(30 * time.Second)
		wantRefused(t, o, ti.sign(t, unknown, ti.claims()))
		if got := ti.hits(); got != 3 {
			t.Fatalf("got %d JWKS fetches 30s later, want 3", got)
		}
	})

	t.Run("keys older than the refresh interval are fetched again", func(t *testing.T) {
		t.Parallel()
		ti := newTestIssuer(t, keyRSA())
		o, clk := newSSO(t, ti, func(cfg *auth.OIDCConfig) { cfg.RefreshInterval = time.Hour })
		ti.setKeys(keyB)
		clk.Advance(time.Hour - time.Second)
		c := ti.claims()
		c["exp"] = ssoNow.Add(2 * time.Hour).Unix()
		wantPrincipal(t, o, ti.sign(t, keyRSA(), c), alice)
		if got := ti.hits(); got != 1 {
			t.Fatalf("got %d JWKS fetches before the interval, want 1", got)
		}
		clk.Advance(time.Second)
		wantRefused(t, o, ti.sign(t, keyRSA(), c))
		if got := ti.hits(); got != 2 {
			t.Fatalf("got %d JWKS fetches after the interval, want 2", got)
		}
		wantPrincipal(t, o, signBy(t, keyB.method, keyB.key, nil, c), alice)
	})

	t.Run("the default refresh interval is ten minutes", func(t *testing.T) {
		t.Parallel()
		ti := newTestIssuer(t, keyRSA())
		o, clk := newSSO(t, ti, nil)
		c := ti.claims()
		c["exp"] = ssoNow.Add(time.Hour).Unix()
		clk.Advance(auth.DefaultRefreshInterval)
		wantPrincipal(t, o, signBy(t, jwt.SigningMethodRS256, rsaKeyA(), nil, c), alice)
		if got := ti.hits(); got != 2 {
			t.Fatalf("got %d JWKS fetches after 10 minutes, want 2", got)
		}
	})

	t.Run("a failed refresh keeps the last keys", func(t *testing.T) {
		t.Parallel()
		ti := newTestIssuer(t, keyRSA())
		o, clk := newSSO(t, ti, nil)
		ti.setDown(true)
		clk.Advance(time.Hour)
		c := ti.claims()
		c["exp"] = ssoNow.Add(2 * time.Hour).Unix()
		wantPrincipal(t, o, ti.sign(t, keyRSA(), c), alice)
		if got := ti.hits(); got != 2 {
			t.Fatalf("got %d JWKS fetches, want 2", got)
		}
		// The next attempt waits 30s, not one per request.
		wantPrincipal(t, o, ti.sign(t, keyRSA(), c), alice)
		_, err := o.Verify(context.Background(), ti.sign(t, keyB, c))
		if got := ti.hits(); got != 2 {
			t.Fatalf("got %d JWKS fetches within 30s of a failure, want 2", got)
		}
		if err == nil || !strings.Contains(err.Error(), "refetched less than 30s ago") {
			t.Errorf("got %v, want an error saying the refetch is rate limited", err)
		}
		clk.Advance(30 * time.Second)
		_, err = o.Verify(context.Background(), ti.sign(t, keyB, c))
		if err == nil || !strings.Contains(err.Error(), "503") {
			t.Errorf("got %v, want the issuer's 503 as the cause", err)
		}
		ti.setDown(false)
		ti.setKeys(keyRSA(), keyB)
		clk.Advance(30 * time.Second)
		wantPrincipal(t, o, ti.sign(t, keyB, c), alice)
	})

	t.Run("concurrent verifications share one refetch", func(t *testing.T) {
		t.Parallel()
		ti := newTestIssuer(t, keyRSA())
		o, _ := newSSO(t, ti, nil)
		ti.setKeys(keyRSA(), keyB)
		token := ti.sign(t, keyB, ti.claims())
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				if _, err := o.Verify(context.Background(), token); err != nil {
					t.Errorf("got %v, want nil", err)
				}
			})
		}
		wg.Wait()
		if got := ti.hits(); got != 2 {
			t.Fatalf("got %d JWKS fetches, want 2", got)
		}
	})
}

func TestNewOIDC(t *testing.T) {
	t.Parallel()

	t.Run("an unreachable issuer fails discovery", func(t *testing.T) {
		t.Parallel()
		ti := newTestIssuer(t)
		cfg := ti.config()
		ti.srv.Close()
		_, err := auth.NewOIDC(t.Context(), cfg)
		want := "oidc discovery for " + cfg.Issuer
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("got %v, want an error starting %q", err, want)
		}
	})

	t.Run("an unusable discovery document fails", func(t *testing.T) {
		t.Parallel()
		for name, tc := range map[string]struct {
			doc  func(url string) map[string]any
			want string
		}{
			"another issuer": {
				func(u string) map[string]any {
					return map[string]any{"issuer": "https://evil.example", "jwks_uri": u + "/jwks"}
				},
				`names issuer "https://evil.example"`,
			},
			"no jwks_uri": {
				func(u string) map[string]any { return map[string]any{"issuer": u} },
				"jwks_uri",
			},
			"http jwks_uri": {
				func(u string) map[string]any {
					return map[string]any{"issuer": u, "jwks_uri": "http://keys.example/jwks"}
				},
				"must use https",
			},
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ti := newTestIssuer(t)
				ti.setDiscovery(tc.doc(ti.srv.URL))
				_, err := auth.NewOIDC(t.Context(), ti.config())
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, want an error containing %q", err, tc.want)
				}
			})
		}
	})

	t.Run("a missing discovery document or JWKS fails", func(t *testing.T) {
		t.Parallel()
		ti := newTestIssuer(t)
		for _, cfg := range []auth.OIDCConfig{
			{Issuer: ti.srv.URL + "/tenant-a", Audience: ssoAudience, HTTPClient: ti.srv.Client()},
			{Issuer: ti.srv.URL, Audience: ssoAudience, HTTPClient: ti.srv.Client(), JWKSURL: ti.srv.URL + "/missing"},
		} {
			_, err := auth.NewOIDC(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), "404") {
				t.Errorf("got %v, want a 404 error", err)
			}
		}
	})

	t.Run("a JWKS without a usable key fails", func(t *testing.T) {
		t.Parallel()
		for name, body := range map[string]string{
			"empty":     `{"keys":[]}`,
			"symmetric": `{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"}]}`,
			"not json":  `<html>`,
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					_, _ = w.Write([]byte(body))
				}))
				t.Cleanup(srv.Close)
				cfg := auth.OIDCConfig{Issuer: srv.URL, Audience: ssoAudience, HTTPClient: srv.Client(), JWKSURL: srv.URL + "/jwks"}
				if _, err := auth.NewOIDC(t.Context(), cfg); err == nil {
					t.Fatalf("got nil, want an error")
				}
			})
		}
	})

	t.Run("unusable keys are skipped beside usable ones", func(t *testing.T) {
		t.Parallel()
		ti := newTestIssuer(t, keyRSA())
		good := must(json.Marshal(must(jwkset.NewJWKFromKey(rsaKeyA().Public(), jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: "rsa-1", ALG: "RS256"},
		})).Marshal()))
		srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte(`{"keys":[{"kty":"oct","kid":"h","k":"c2VjcmV0"},` + string(good) + `]}`))
		}))
		t.Cleanup(srv.Close)
		o, _ := newSSO(t, ti, func(cfg *auth.OIDCConfig) { cfg.JWKSURL, cfg.HTTPClient = srv.URL, srv.Client() })
		wantPrincipal(t, o, ti.sign(t, keyRSA(), ti.claims()), alice)
	})

	t.Run("a JWKS URL skips discovery", func(t *testing.T) {
		t.Parallel()
		ti := newTestIssuer(t)
		ti.setDiscovery(map[string]any{"issuer": "https://evil.example"})
		o, _ := newSSO(t, ti, func(cfg *auth.OIDCConfig) { cfg.JWKSURL = ti.srv.URL + "/jwks" })
		wantPrincipal(t, o, ti.sign(t, keyRSA(), ti.claims()), alice)
	})

	t.Run("http is accepted for a loopback issuer", func(t *testing.T) {
		t.Parallel()
		var srv *httptest.Server
		srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/.well-known/openid-configuration" {
				writeJSON(w, map[string]any{"issuer": srv.URL, "jwks_uri": srv.URL + "/jwks"})
				return
			}
			jwk := must(jwkset.NewJWKFromKey(edKey().Public(), jwkset.JWKOptions{}))
			writeJSON(w, jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
		}))
		t.Cleanup(srv.Close)
		o, err := auth.NewOIDC(t.Context(), auth.OIDCConfig{Issuer: srv.URL, Audience: ssoAudience})
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		if got := o.Issuer(); got != srv.URL {
			t.Errorf("got issuer %q, want %q", got, srv.URL)
		}
	})

	t.Run("an invalid configuration is refused before any request", func(t *testing.T) {
		t.Parallel()
		for name, tc := range map[string]struct {
			cfg  auth.OIDCConfig
			want string
		}{
			"no issuer":          {auth.OIDCConfig{Audience: "a"}, "issuer"},
			"relative issuer":    {auth.OIDCConfig{Issuer: "/idp", Audience: "a"}, "absolute URL"},
			"issuer with query":  {auth.OIDCConfig{Issuer: "https://idp.example?x=1", Audience: "a"}, "without query"},
			"bad issuer URL":     {auth.OIDCConfig{Issuer: "https://idp.example/%zz", Audience: "a"}, "issuer"},
			"http issuer":        {auth.OIDCConfig{Issuer: "http://idp.example", Audience: "a"}, "must use https"},
			"http JWKS URL":      {auth.OIDCConfig{Issuer: "https://idp.example", JWKSURL: "http://idp.example/k", Audience: "a"}, "JWKS URL"},
			"no audience":        {auth.OIDCConfig{Issuer: "https://idp.example"}, "audience"},
			"alg none":           {auth.OIDCConfig{Issuer: "https://idp.example", Audience: "a", AllowedAlgs: []string{"none"}}, `"none" is not allowed`},
			"alg HS256":          {auth.OIDCConfig{Issuer: "https://idp.example", Audience: "a", AllowedAlgs: []string{"RS256", "HS256"}}, `"HS256" is not allowed`},
			"invalid role":       {auth.OIDCConfig{Issuer: "https://idp.example", Audience: "a", DefaultRole: "root"}, "not a role"},
			"negative interval":  {auth.OIDCConfig{Issuer: "https://idp.example", Audience: "a", RefreshInterval: -time.Second}, "negative"},
			"negative leeway":    {auth.OIDCConfig{Issuer: "https://idp.example", Audience: "a", Leeway: -time.Second}, "negative"},
			"unknown algorithm":  {auth.OIDCConfig{Issuer: "https://idp.example", Audience: "a", AllowedAlgs: []string{"XS1"}}, `"XS1"`},
			"issuer w/ fragment": {auth.OIDCConfig{Issuer: "https://idp.example#f", Audience: "a"}, "fragment"},
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				_, err := auth.NewOIDC(t.Context(), tc.cfg)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "oidc config: ") {
					t.Fatalf("got %v, want an oidc config error containing %q", err, tc.want)
				}
			})
		}
	})
}

func TestUnverifiedIssuer(t *testing.T) {
	t.Parallel()
	ti := newTestIssuer(t)
	o, _ := newSSO(t, ti, nil)
	token := ti.sign(t, keyRSA(), ti.claims())

	t.Run("it routes a token to the verifier of its issuer", func(t *testing.T) {
		t.Parallel()
		if got, want := auth.UnverifiedIssuer(token), o.Issuer(); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	})

	t.Run("it reads the issuer of an unverifiable token too", func(t *testing.T) {
		t.Parallel()
		forged := b64JSON(t, map[string]any{"alg": "none"}) + "." + b64JSON(t, map[string]any{"iss": "https://idp.example"}) + "."
		if got := auth.UnverifiedIssuer(forged); got != "https://idp.example" {
			t.Fatalf("got %q, want https://idp.example", got)
		}
		padded := "e30." + b64JSON(t, map[string]any{"iss": "ab"}) + "==.x"
		if got := auth.UnverifiedIssuer(padded); got != "ab" {
			t.Fatalf("got %q for a padded payload, want ab", got)
		}
	})

	t.Run("it returns empty for anything else", func(t *testing.T) {
		t.Parallel()
		for _, bad := range []string{
			"", "garbage", "a.b", "a.b.c.d", "e30.!!!.x",
			"e30." + b64JSON(t, "not an object") + ".x",
			"e30." + b64JSON(t, map[string]any{"iss": 7}) + ".x",
			"e30." + b64JSON(t, map[string]any{"sub": "x"}) + ".x",
		} {
			if got := auth.UnverifiedIssuer(bad); got != "" {
				t.Errorf("got %q for %q, want empty", got, bad)
			}
		}
	})
}
