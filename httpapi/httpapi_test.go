package httpapi_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
	"github.com/coditect/coditect-license/httpapi"
	"github.com/coditect/coditect-license/memory"
	"github.com/coditect/coditect-license/seat"
	"github.com/coditect/coditect-license/signing"
	"github.com/coditect/coditect-license/sqlite"
	"github.com/google/uuid"
)

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// fixture is an API server over SQLite and the memory ledger with one
// tenant, an owner and a viewer.
type fixture struct {
	t      *testing.T
	url    string
	store  *sqlite.Store
	tokens *auth.Tokens
	tenant string
	owner  string // Authorization header value
	viewer string
	ready  error
	bus    *memory.EventBus
	seats  *seat.Service
}

const password = "a long enough password"

func newFixture(t *testing.T, opts ...func(*httpapi.Server)) *fixture {
	t.Helper()
	return newFixtureAt(t, time.Now, opts...)
}

// newFixtureAt is newFixture with the seat service and the server on the
// clock now, which a test may move. Access tokens stay on the wall clock,
// so they do not expire as the test clock moves on.
func newFixtureAt(t *testing.T, now func() time.Time, opts ...func(*httpapi.Server)) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "api.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, lpriv, _ := ed25519.GenerateKey(rand.Reader)
	_, apriv, _ := ed25519.GenerateKey(rand.Reader)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	st2, _ := seat.NewSessionTokens(secret)
	ledger := memory.NewLedger()
	f := &fixture{t: t, store: st, bus: memory.NewEventBus()}
	sealer, _ := signing.NewSealer(lpriv.Seed())
	keys, err := signing.NewKeyring(ctx, signing.KeyringConfig{Store: st, Sealer: sealer, Published: time.Hour, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	seats, err := seat.New(seat.Config{
		Store: st, Ledger: ledger, Signer: keys,
		SessionTokens: st2, Issuer: "test", Now: now, NewID: newID, Events: f.bus, Usage: st,
	})
	if err != nil {
		t.Fatal(err)
	}
	evCtx, stopEvents := context.WithCancel(context.Background())
	t.Cleanup(stopEvents)
	go seats.RunEvents(evCtx)
	f.seats = seats
	f.tokens = &auth.Tokens{KeyID: "k1", Key: apriv, Issuer: "test", Audience: "coditect-admin", TTL: time.Minute, Now: time.Now, NewID: newID}
	srv := &httpapi.Server{
		Seats: seats, Store: st, Tokens: f.tokens, Keys: keys, OpenAPI: []byte(`{"openapi":"3.1.0"}`),
		Ready: func(context.Context) error { return f.ready }, Now: now, NewID: newID,
		Events: f.bus,
	}
	for _, o := range opts {
		o(srv)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	f.url = hs.URL

	tenant := &coditect.Tenant{ID: newID(), Name: "Acme", CreatedAt: time.Now()}
	if err := st.CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	f.tenant = tenant.ID
	f.owner = f.user("owner-"+newID()[:8]+"@example.com", coditect.RoleOwner)
	f.viewer = f.user("viewer-"+newID()[:8]+"@example.com", coditect.RoleViewer)
	return f
}

// user creates a user and signs in through the token endpoint.
func (f *fixture) user(email string, role coditect.Role) string {
	f.t.Helper()
	hash, err := auth.HashPassword(password)
	if err != nil {
		f.t.Fatal(err)
	}
	u := &coditect.User{ID: newID(), TenantID: f.tenant, Email: email, PasswordHash: hash, Role: role, CreatedAt: time.Now()}
	if err := f.store.CreateUser(context.Background(), u); err != nil {
		f.t.Fatal(err)
	}
	r := f.form(url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}})
	if r.status != 200 || r.body["token_type"] != "Bearer" {
		f.t.Fatalf("sign-in: got %d %s", r.status, r.raw)
	}
	return "Bearer " + r.body["access_token"].(string)
}

type result struct {
	status int
	header http.Header
	body   map[string]any
	raw    string
}

func (f *fixture) call(method, path, authz string, body string, header ...string) result {
	f.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, _ := http.NewRequest(method, f.url+path, rd)
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	r := result{status: resp.StatusCode, header: resp.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	return r
}

func (f *fixture) form(v url.Values) result {
	f.t.Helper()
	return f.call("POST", "/oauth/token", "", v.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

func (f *fixture) createLicense(body string) result {
	f.t.Helper()
	return f.call("POST", "/api/v1/licenses", f.owner, body)
}

func wantProblem(t *testing.T, r result, status int, code string) {
	t.Helper()
	if r.status != status || r.body["code"] != code {
		t.Fatalf("got %d %v, want %d %s: %s", r.status, r.body["code"], status, code, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("got Content-Type %q, want application/problem+json", ct)
	}
	if r.body["type"] != httpapi.ProblemTypePrefix+code || r.body["status"] != float64(status) {
		t.Fatalf("got type %v status %v, want the code's URN and %d", r.body["type"], r.body["status"], status)
	}
}

func TestLicenses(t *testing.T) {
	t.Parallel()
	f := newFixture(t)

	t.Run("create shows the key once and applies defaults", func(t *testing.T) {
		r := f.createLicense(`{"name":" Acme CAD ","seats":3,"features":["b","a","b"],"metadata":{"crm":"42"}}`)
		if r.status != 201 {
			t.Fatalf("got %d: %s", r.status, r.raw)
		}
		key, _ := r.body["key"].(string)
		if !strings.HasPrefix(key, "CDT-") || r.body["key_prefix"] != key[:coditect.LicenseKeyPrefixLength] {
			t.Fatalf("got key %q prefix %v", key, r.body["key_prefix"])
		}
		if r.body["name"] != "Acme CAD" || r.body["lease_ttl_seconds"] != float64(360) || r.body["heartbeat_interval_seconds"] != float64(120) ||
			r.body["offline_grace_seconds"] != float64(86400) || r.body["status"] != "active" || r.body["seats_in_use"] != float64(0) {
			t.Fatalf("got %s, want defaults applied", r.raw)
		}
		if got := r.body["features"].([]any); len(got) != 2 {
			t.Fatalf("got features %v, want duplicates removed", got)
		}
		if r.header.Get("Location") != "/api/v1/licenses/"+r.body["id"].(string) {
			t.Fatalf("got Location %q", r.header.Get("Location"))
		}
		g := f.call("GET", "/api/v1/licenses/"+r.body["id"].(string), f.viewer, "")
		if g.status != 200 || g.body["key"] != nil || g.body["name"] != "Acme CAD" {
			t.Fatalf("get: got %d %s, want the license without its key", g.status, g.raw)
		}
	})

	t.Run("validation mirrors the contract", func(t *testing.T) {
		for _, body := range []string{
			`{"seats":1}`,
			`{"name":"x","seats":1000001}`,
			`{"name":"x","seats":1,"lease_ttl_seconds":86401}`,
			`{"name":"x","seats":1,"lease_ttl_seconds":30,"heartbeat_interval_seconds":30}`,
			`{"name":"x","seats":1,"offline_grace_seconds":-1}`,
			`{"name":"x","seats":1,"expires_at":"2001-01-01T00:00:00Z"}`,
			`{"name":"x","seats":1,"expires_at":"yesterday"}`,
			`{"name":"x","seats":1,"features":[""]}`,
			`{"name":"x","seats":1} {"again":true}`,
			`{"name":"x","seats":1,"metadata":{"a":"` + strings.Repeat("x", 5000) + `"}}`,
			`null`,
			``,
		} {
			wantProblem(t, f.createLicense(body), 400, coditect.CodeInvalidRequest)
		}
		r := f.call("POST", "/api/v1/licenses", f.owner, `name=x`, "Content-Type", "text/plain")
		wantProblem(t, r, 415, coditect.CodeUnsupportedMediaType)
	})

	t.Run("viewers read but may not write", func(t *testing.T) {
		r := f.call("POST", "/api/v1/licenses", f.viewer, `{"name":"x","seats":1}`)
		wantProblem(t, r, 403, coditect.CodeForbidden)
		if r := f.call("GET", "/api/v1/licenses", f.viewer, ""); r.status != 200 {
			t.Fatalf("list as viewer: got %d", r.status)
		}
	})

	t.Run("lists page with a cursor and filter by q", func(t *testing.T) {
		g := newFixture(t)
		for _, name := range []string{"alpha", "beta", "gamma", "delta", "epsilon"} {
			if r := g.createLicense(`{"name":"` + name + `","seats":1}`); r.status != 201 {
				t.Fatal(r.raw)
			}
		}
		var names []string
		cursor := ""
		for pages := 0; ; pages++ {
			r := g.call("GET", "/api/v1/licenses?limit=2&cursor="+cursor, g.owner, "")
			for _, l := range r.body["data"].([]any) {
				names = append(names, l.(map[string]any)["name"].(string))
			}
			next, _ := r.body["next_cursor"].(string)
			if next == "" {
				break
			}
			if pages > 5 {
				t.Fatal("pagination does not end")
			}
			cursor = next
		}
		if strings.Join(names, ",") != "epsilon,delta,gamma,beta,alpha" {
			t.Fatalf("got %v, want newest first, each once", names)
		}
		r := g.call("GET", "/api/v1/licenses?q=ALP", g.owner, "")
		if d := r.body["data"].([]any); len(d) != 1 {
			t.Fatalf("got %d results for q=ALP, want 1", len(d))
		}
		wantProblem(t, g.call("GET", "/api/v1/licenses?limit=0", g.owner, ""), 400, coditect.CodeInvalidRequest)
		wantProblem(t, g.call("GET", "/api/v1/licenses?status=gone", g.owner, ""), 400, coditect.CodeInvalidRequest)
		if r := g.call("GET", "/api/v1/licenses?status=suspended", g.owner, ""); len(r.body["data"].([]any)) != 0 {
			t.Fatalf("got %s, want no suspended licenses", r.raw)
		}
	})

	t.Run("another tenant's license is not found", func(t *testing.T) {
		other := newFixture(t)
		r := f.createLicense(`{"name":"mine","seats":1}`)
		wantProblem(t, other.call("GET", "/api/v1/licenses/"+r.body["id"].(string), other.owner, ""), 404, coditect.CodeNotFound)
	})
}

func TestClientAPI(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lic := f.createLicense(`{"name":"client","seats":1,"lease_ttl_seconds":30}`)
	key := "License " + lic.body["key"].(string)

	r := f.call("POST", "/api/v1/sessions", key, `{"fingerprint":"m1","instance_id":"i","user":"ann","hostname":"h","client_name":"cad","client_version":"2.1","future_field":1}`,
		"X-Forwarded-For", "203.0.113.9")
	if r.status != 201 {
		t.Fatalf("acquire: got %d %s", r.status, r.raw)
	}
	sid, stok := r.body["session_id"].(string), "Bearer "+r.body["session_token"].(string)
	if r.body["lease_ttl_seconds"] != float64(30) || r.body["heartbeat_interval_seconds"] != float64(10) || r.body["license_id"] != lic.body["id"] {
		t.Fatalf("acquire: got %s", r.raw)
	}

	t.Run("the same instance is answered with 200", func(t *testing.T) {
		r := f.call("POST", "/api/v1/sessions", key, `{"fingerprint":"m1","instance_id":"i"}`)
		if r.status != 200 || r.body["session_id"] != sid {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})

	t.Run("seats exhausted carries Retry-After", func(t *testing.T) {
		r := f.call("POST", "/api/v1/sessions", key, `{"fingerprint":"m2"}`)
		wantProblem(t, r, 409, coditect.CodeSeatsExhausted)
		if r.header.Get("Retry-After") == "" || r.body["retry_after_seconds"] == nil || r.body["seats"] != float64(1) {
			t.Fatalf("got headers %v body %s", r.header, r.raw)
		}
	})

	t.Run("status and sessions list show the holder", func(t *testing.T) {
		st := f.call("GET", "/api/v1/license", key, "")
		if st.status != 200 || st.body["seats_in_use"] != float64(1) {
			t.Fatalf("status: got %d %s", st.status, st.raw)
		}
		ls := f.call("GET", "/api/v1/sessions?status=active&license_id="+lic.body["id"].(string), f.viewer, "")
		data := ls.body["data"].([]any)
		if len(data) != 1 {
			t.Fatalf("got %d sessions, want 1: %s", len(data), ls.raw)
		}
		s := data[0].(map[string]any)
		if s["id"] != sid || s["user"] != "ann" || s["client_version"] != "2.1" || s["ip"] != "127.0.0.1" || s["status"] != "active" || s["end_reason"] != nil {
			t.Fatalf("got session %v", s)
		}
		wantProblem(t, f.call("GET", "/api/v1/sessions?status=zombie", f.viewer, ""), 400, coditect.CodeInvalidRequest)
	})

	t.Run("heartbeat needs the session's own token", func(t *testing.T) {
		if r := f.call("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, ""); r.status != 200 || r.body["session_id"] != sid {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		wantProblem(t, f.call("POST", "/api/v1/sessions/"+sid+"/heartbeat", "", ""), 401, coditect.CodeInvalidToken)
		wantProblem(t, f.call("POST", "/api/v1/sessions/other/heartbeat", stok, ""), 401, coditect.CodeInvalidToken)
	})

	t.Run("a viewer may not revoke, an owner may", func(t *testing.T) {
		wantProblem(t, f.call("DELETE", "/api/v1/sessions/"+sid, f.viewer, ""), 403, coditect.CodeForbidden)
		wantProblem(t, f.call("DELETE", "/api/v1/sessions/"+newID(), f.owner, ""), 404, coditect.CodeSessionNotFound)
		if r := f.call("DELETE", "/api/v1/sessions/"+sid, f.owner, ""); r.status != 204 {
			t.Fatalf("revoke: got %d %s", r.status, r.raw)
		}
		wantProblem(t, f.call("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, ""), 410, coditect.CodeSessionRevoked)
		wantProblem(t, f.call("DELETE", "/api/v1/sessions/"+sid, "Bearer not-a-jwt", ""), 401, coditect.CodeInvalidToken)
	})

	t.Run("license status needs a key", func(t *testing.T) {
		r := f.call("GET", "/api/v1/license", "", "")
		wantProblem(t, r, 401, coditect.CodeInvalidLicenseKey)
		if r.header.Get("WWW-Authenticate") == "" {
			t.Fatal("401 without WWW-Authenticate")
		}
		wantProblem(t, f.call("GET", "/api/v1/license", "License nope", ""), 401, coditect.CodeInvalidLicenseKey)
	})
}

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	for name, tc := range map[string]struct {
		form   url.Values
		status int
		code   string
	}{
		"wrong password": {url.Values{"grant_type": {"password"}, "username": {"nobody@example.com"}, "password": {"x"}}, 400, "invalid_grant"},
		"unknown user":   {url.Values{"grant_type": {"password"}, "username": {"ghost@example.com"}, "password": {password}}, 400, "invalid_grant"},
		"not an email":   {url.Values{"grant_type": {"password"}, "username": {"not an email"}, "password": {password}}, 400, "invalid_grant"},
		"missing fields": {url.Values{"grant_type": {"password"}}, 400, "invalid_request"},
		"no grant type":  {url.Values{}, 400, "invalid_request"},
		"unknown grant":  {url.Values{"grant_type": {"implicit"}}, 400, "unsupported_grant_type"},
	} {
		t.Run(name, func(t *testing.T) {
			r := f.form(tc.form)
			if r.status != tc.status || r.body["error"] != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.status, r.raw, tc.status, tc.code)
			}
		})
	}
	t.Run("a disabled user cannot sign in", func(t *testing.T) {
		hash, _ := auth.HashPassword(password)
		u := &coditect.User{ID: newID(), TenantID: f.tenant, Email: "off@example.com", PasswordHash: hash, Role: coditect.RoleAdmin, Disabled: true, CreatedAt: time.Now()}
		if err := f.store.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		r := f.form(url.Values{"grant_type": {"password"}, "username": {"off@example.com"}, "password": {password}})
		if r.status != 400 || r.body["error"] != "invalid_grant" {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
	})
	t.Run("a form body over the limit is refused", func(t *testing.T) {
		r := f.call("POST", "/oauth/token", "", "grant_type=password&x="+strings.Repeat("a", 2<<20), "Content-Type", "application/x-www-form-urlencoded")
		if r.status != 413 {
			t.Fatalf("got %d %s, want 413", r.status, r.raw)
		}
	})
}

func TestOperations(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if r := f.call("GET", "/healthz", "", ""); r.status != 200 {
		t.Fatalf("healthz: got %d", r.status)
	}
	if r := f.call("GET", "/readyz", "", ""); r.status != 200 {
		t.Fatalf("readyz: got %d", r.status)
	}
	f.ready = errors.New("store down")
	wantProblem(t, f.call("GET", "/readyz", "", ""), 503, coditect.CodeUnavailable)
	if r := f.call("GET", "/.well-known/jwks.json", "", ""); r.status != 200 || r.header.Get("Content-Type") != "application/jwk-set+json" {
		t.Fatalf("jwks: got %d %v", r.status, r.header)
	}
	if r := f.call("GET", "/api/v1/openapi.json", "", ""); r.status != 200 || r.body["openapi"] != "3.1.0" {
		t.Fatalf("openapi: got %d %s", r.status, r.raw)
	}
	r := f.call("PATCH", "/healthz", "", "")
	wantProblem(t, r, 405, coditect.CodeMethodNotAllowed)
	if r.header.Get("Allow") != "GET, HEAD" {
		t.Fatalf("got Allow %q, want GET, HEAD", r.header.Get("Allow"))
	}
	wantProblem(t, f.call("GET", "/nope", "", ""), 404, coditect.CodeNotFound)
	big := bytes.Repeat([]byte("x"), httpapi.MaxBodyBytes+1)
	wantProblem(t, f.call("POST", "/api/v1/sessions", "License x", string(big)), 413, coditect.CodePayloadTooLarge)
}

func TestStatusTable(t *testing.T) {
	t.Parallel()
	for code, want := range map[string]int{
		coditect.CodeSeatsExhausted: 409, coditect.CodeSessionExpired: 410, coditect.CodeRateLimited: 429,
		coditect.CodeInternal: 500, "no_such_code": 500,
	} {
		if got := httpapi.Status(code); got != want {
			t.Errorf("Status(%q): got %d, want %d", code, got, want)
		}
	}
}
