package httpapi_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
	"github.com/coditect/coditect-license/httpapi"
)

// publicRoutes need no admin token: operations, OAuth and the client API
// (license key or session token). Every other route is an admin route and
// must have a case below.
var publicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /.well-known/jwks.json": true, "GET /api/v1/openapi.json": true, "GET /metrics": true,
	"POST /oauth/token": true, "POST /oauth/revoke": true,
	"POST /api/v1/sessions": true, "POST /api/v1/sessions/{session_id}/heartbeat": true, "GET /api/v1/license": true,
}

// TestEveryAdminRouteIsAuthorised walks every admin route of the router
// with a token of another tenant (which must get 403/404, or a list without
// any of the first tenant's data) and, for writes, with a viewer's token
// (which must get 403).
func TestEveryAdminRouteIsAuthorised(t *testing.T) {
	t.Parallel()
	a := newFixture(t)
	lic := a.createLicense(`{"name":"tenant-a-secret-license","seats":2}`)
	licID := lic.body["id"].(string)
	acq := a.call("POST", "/api/v1/sessions", "License "+lic.body["key"].(string), `{"fingerprint":"tenant-a-machine"}`)
	sessID := acq.body["session_id"].(string)
	cl := a.call("POST", "/api/v1/clients", a.owner, `{"name":"tenant-a-ci","role":"admin"}`)
	if cl.status != 201 {
		t.Fatalf("create client: %d %s", cl.status, cl.raw)
	}
	clientID := cl.body["id"].(string)
	wh := a.call("POST", "/api/v1/webhooks", a.owner, `{"url":"https://93.184.215.14/tenant-a-hook","events":["license.created"]}`)
	if wh.status != 201 {
		t.Fatalf("create webhook: %d %s", wh.status, wh.raw)
	}
	webhookID := wh.body["id"].(string)
	users := a.call("GET", "/api/v1/users", a.owner, "")
	var viewerID string
	for _, u := range users.body["data"].([]any) {
		if m := u.(map[string]any); m["role"] == "viewer" {
			viewerID = m["id"].(string)
		}
	}

	// A second tenant with its own owner, in the same deployment.
	other := &coditect.Tenant{ID: newID(), Name: "Other", CreatedAt: time.Now()}
	if err := a.store.CreateTenant(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	hash, _ := auth.HashPassword(password)
	if err := a.store.CreateUser(context.Background(), &coditect.User{ID: newID(), TenantID: other.ID, Email: "owner-b-" + newID()[:8] + "@example.com",
		PasswordHash: hash, Role: coditect.RoleOwner, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	intruder := a.tokenFor(other.ID)

	ids := map[string]string{"{license_id}": licID, "{session_id}": sessID, "{client_id}": clientID, "{user_id}": viewerID, "{webhook_id}": webhookID}
	bodies := map[string]string{
		"POST /api/v1/licenses":               `{"name":"x","seats":1}`,
		"PATCH /api/v1/licenses/{license_id}": `{"seats":50}`,
		"POST /api/v1/users":                  `{"email":"new-` + newID()[:8] + `@example.com","password":"a long enough password","role":"viewer"}`,
		"PATCH /api/v1/users/{user_id}":       `{"role":"owner"}`,
		"POST /api/v1/users/me/password":      `{"current_password":"wrong","new_password":"another long password"}`,
		"POST /api/v1/clients":                `{"name":"x"}`,
		"POST /api/v1/webhooks":               `{"url":"https://93.184.215.14/x","events":["session.expired"]}`,
		"POST /api/v1/tenants":                `{"name":"x","owner":{"email":"t-` + newID()[:8] + `@example.com","password":"a long enough password"}}`,
	}
	// Routes that act on the caller's own tenant only: another tenant gets
	// its own (empty or separate) data, never the first tenant's.
	ownTenant := map[string]bool{
		"GET /api/v1/licenses": true, "GET /api/v1/sessions": true, "GET /api/v1/audit-events": true,
		"GET /api/v1/users": true, "GET /api/v1/clients": true, "POST /api/v1/licenses": true,
		"POST /api/v1/users": true, "POST /api/v1/clients": true, "POST /api/v1/users/me/password": true,
		"GET /api/v1/stats/overview": true, "GET /api/v1/stats/usage": true,
		"GET /api/v1/webhooks": true, "POST /api/v1/webhooks": true,
	}
	secrets := []string{licID, sessID, clientID, viewerID, webhookID, "tenant-a-secret-license", "tenant-a-machine", "tenant-a-hook"}

	for _, rt := range httpapi.Routes() {
		name := rt.Method + " " + rt.Pattern
		if publicRoutes[name] {
			continue
		}
		path := rt.Pattern
		for k, v := range ids {
			path = strings.ReplaceAll(path, k, v)
		}
		t.Run(name, func(t *testing.T) {
			if name == "GET /api/v1/sessions/events" {
				// A stream: the intruder's stream must carry nothing of
				// tenant A's while A's sessions change.
				stream := a.openEvents(intruder)
				a.call("POST", "/api/v1/sessions/"+sessID+"/heartbeat", "Bearer "+acq.body["session_token"].(string), "")
				if got := stream.next(300 * time.Millisecond); got != "" {
					t.Fatalf("another tenant's stream got %q", got)
				}
				return
			}
			r := a.call(rt.Method, path, intruder, bodies[name])
			for _, s := range secrets {
				if strings.Contains(r.raw, s) {
					t.Fatalf("another tenant's token got tenant A's data (%s): %d %s", s, r.status, r.raw)
				}
			}
			if !ownTenant[name] && r.status != http.StatusNotFound && r.status != http.StatusForbidden {
				t.Fatalf("another tenant's token: got %d %s, want 404 or 403", r.status, r.raw)
			}
			if rt.Method != "GET" {
				v := a.call(rt.Method, path, a.viewer, bodies[name])
				if name == "POST /api/v1/users/me/password" {
					return // every signed-in user may change their own password
				}
				if v.status != http.StatusForbidden {
					t.Fatalf("viewer: got %d %s, want 403", v.status, v.raw)
				}
			}
		})
	}
}

// tokenFor signs in the first owner of tenantID.
func (f *fixture) tokenFor(tenantID string) string {
	f.t.Helper()
	tok, _, err := f.tokens.Issue(auth.Principal{TenantID: tenantID, UserID: newID(), Role: coditect.RoleOwner})
	if err != nil {
		f.t.Fatal(err)
	}
	return "Bearer " + tok
}

func TestRefreshTokens(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	email := "rot-" + newID()[:8] + "@example.com"
	f.user(email, coditect.RoleAdmin)
	first := f.form(url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}})
	rt1, _ := first.body["refresh_token"].(string)
	if !strings.HasPrefix(rt1, "rt1.") {
		t.Fatalf("got %s, want a refresh token", first.raw)
	}

	second := f.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	rt2, _ := second.body["refresh_token"].(string)
	if second.status != 200 || rt2 == "" || rt2 == rt1 || second.body["access_token"] == nil {
		t.Fatalf("rotation: got %d %s", second.status, second.raw)
	}

	// Reusing the spent token revokes the whole family, so rt2 dies too.
	reuse := f.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt1}})
	if reuse.status != 400 || reuse.body["error"] != "invalid_grant" {
		t.Fatalf("reuse: got %d %s, want invalid_grant", reuse.status, reuse.raw)
	}
	after := f.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt2}})
	if after.status != 400 {
		t.Fatalf("the family's newest token after a reuse: got %d %s, want refused", after.status, after.raw)
	}
	audit := f.call("GET", "/api/v1/audit-events?action=auth.refresh_reuse", f.owner, "")
	if len(audit.body["data"].([]any)) != 1 {
		t.Fatalf("got %s, want one auth.refresh_reuse event", audit.raw)
	}

	t.Run("logout revokes the family", func(t *testing.T) {
		login := f.form(url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}})
		rt := login.body["refresh_token"].(string)
		if r := f.call("POST", "/oauth/revoke", "", url.Values{"token": {rt}}.Encode(), "Content-Type", "application/x-www-form-urlencoded"); r.status != 200 {
			t.Fatalf("revoke: got %d %s", r.status, r.raw)
		}
		if r := f.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}); r.status != 400 {
			t.Fatalf("after logout: got %d, want 400", r.status)
		}
	})

	t.Run("garbage refresh tokens are refused", func(t *testing.T) {
		for _, tok := range []string{"", "rt1.nope", "x"} {
			r := f.form(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {tok}})
			if r.status != 400 {
				t.Errorf("refresh_token %q: got %d, want 400", tok, r.status)
			}
		}
	})
}

func TestClientCredentials(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	c := f.call("POST", "/api/v1/clients", f.owner, `{"name":"ci","role":"admin"}`)
	if c.status != 201 {
		t.Fatalf("create client: got %d %s", c.status, c.raw)
	}
	id, secret := c.body["id"].(string), c.body["client_secret"].(string)
	if l := f.call("GET", "/api/v1/clients", f.owner, ""); strings.Contains(l.raw, secret) {
		t.Fatal("the client list shows the secret")
	}
	tok := f.form(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if tok.status != 200 || tok.body["refresh_token"] != nil {
		t.Fatalf("got %d %s, want an access token and no refresh token", tok.status, tok.raw)
	}
	bearer := "Bearer " + tok.body["access_token"].(string)
	if r := f.call("POST", "/api/v1/licenses", bearer, `{"name":"from-ci","seats":1}`); r.status != 201 {
		t.Fatalf("an admin client creating a license: got %d %s", r.status, r.raw)
	}
	if r := f.call("POST", "/api/v1/users", bearer, `{"email":"x@example.com","password":"a long enough password"}`); r.status != 403 {
		t.Fatalf("a client managing users: got %d, want 403", r.status)
	}
	bad := f.form(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {"wrong"}})
	if bad.status != 401 || bad.body["error"] != "invalid_client" {
		t.Fatalf("wrong secret: got %d %s", bad.status, bad.raw)
	}
	if r := f.call("DELETE", "/api/v1/clients/"+id, f.owner, ""); r.status != 204 {
		t.Fatalf("delete client: got %d", r.status)
	}
	gone := f.form(url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}})
	if gone.status != 401 {
		t.Fatalf("deleted client: got %d, want 401", gone.status)
	}
}
