package httpapi_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coditect/coditect-license/auth"
	"github.com/coditect/coditect-license/httpapi"
	"github.com/golang-jwt/jwt/v5"
)

// testIssuer is an OpenID Connect issuer inside the test: discovery and a
// JWKS with one Ed25519 key.
type testIssuer struct {
	url  string
	priv ed25519.PrivateKey
}

func newTestIssuer(t *testing.T) *testIssuer {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	iss := &testIssuer{priv: priv}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss.url, "jwks_uri": iss.url + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(pub), "kid": "sso-1", "alg": "EdDSA", "use": "sig",
		}}})
	})
	hs := httptest.NewServer(mux)
	t.Cleanup(hs.Close)
	iss.url = hs.URL
	return iss
}

func (i *testIssuer) token(t *testing.T, tenant, role string) string {
	t.Helper()
	claims := jwt.MapClaims{
		"iss": i.url, "aud": "coditect", "sub": "alice", "iat": time.Now().Unix(), "exp": time.Now().Add(time.Minute).Unix(),
		"coditect_tenant": tenant, "coditect_role": role,
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = "sso-1"
	s, err := tok.SignedString(i.priv)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + s
}

func TestSingleSignOn(t *testing.T) {
	t.Parallel()
	iss := newTestIssuer(t)
	f := newFixture(t, func(s *httpapi.Server) {
		o, err := auth.NewOIDC(t.Context(), auth.OIDCConfig{Issuer: iss.url, Audience: "coditect", Now: time.Now})
		if err != nil {
			t.Fatal(err)
		}
		s.OIDC = o
	})
	f.createLicense(`{"name":"sso-visible","seats":1}`)

	admin := iss.token(t, f.tenant, "admin")
	r := f.call("GET", "/api/v1/licenses", admin, "")
	if r.status != 200 || len(r.body["data"].([]any)) != 1 {
		t.Fatalf("an SSO admin listing licenses: got %d %s", r.status, r.raw)
	}
	if r := f.call("POST", "/api/v1/licenses", admin, `{"name":"by-sso","seats":1}`); r.status != 201 {
		t.Fatalf("an SSO admin creating a license: got %d %s", r.status, r.raw)
	}
	if r := f.call("POST", "/api/v1/licenses", iss.token(t, f.tenant, "viewer"), `{"name":"x","seats":1}`); r.status != 403 {
		t.Fatalf("an SSO viewer writing: got %d, want 403", r.status)
	}
	if r := f.call("GET", "/api/v1/licenses", iss.token(t, newID(), "owner"), ""); r.status != 200 || len(r.body["data"].([]any)) != 0 {
		t.Fatalf("an SSO token of another tenant: got %d %s, want an empty list", r.status, r.raw)
	}
	if r := f.call("POST", "/api/v1/users/me/password", admin, `{"current_password":"x","new_password":"a long enough password"}`); r.status != 403 {
		t.Fatalf("an SSO identity changing a password: got %d, want 403", r.status)
	}
	bad := iss.token(t, f.tenant, "emperor")
	if r := f.call("GET", "/api/v1/licenses", bad, ""); r.status != 401 {
		t.Fatalf("an invalid role claim: got %d, want 401", r.status)
	}
}
