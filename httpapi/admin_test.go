package httpapi_test

import (
	"net/url"
	"strings"
	"testing"

	coditect "github.com/coditect/coditect-license"
)

func TestLicenseLifecycle(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	lic := f.createLicense(`{"name":"cad","seats":2,"lease_ttl_seconds":60}`)
	id, key := lic.body["id"].(string), "License "+lic.body["key"].(string)
	acq := f.call("POST", "/api/v1/sessions", key, `{"fingerprint":"m1"}`)
	sid, stok := acq.body["session_id"].(string), "Bearer "+acq.body["session_token"].(string)

	t.Run("patch changes only the given fields and is audited", func(t *testing.T) {
		r := f.call("PATCH", "/api/v1/licenses/"+id, f.owner, `{"seats":5,"name":"CAD Pro","expires_at":"2099-01-01T00:00:00Z"}`)
		if r.status != 200 || r.body["seats"] != float64(5) || r.body["name"] != "CAD Pro" || r.body["lease_ttl_seconds"] != float64(60) {
			t.Fatalf("got %d %s", r.status, r.raw)
		}
		r = f.call("PATCH", "/api/v1/licenses/"+id, f.owner, `{"expires_at":null}`)
		if r.body["expires_at"] != nil {
			t.Fatalf("clearing expires_at: got %s", r.raw)
		}
		for _, bad := range []string{`{"seats":0}`, `{"status":"suspended"}`, `{"seats":"x"}`, `{"heartbeat_interval_seconds":60}`} {
			wantProblem(t, f.call("PATCH", "/api/v1/licenses/"+id, f.owner, bad), 400, coditect.CodeInvalidRequest)
		}
		ev := f.call("GET", "/api/v1/audit-events?action=license.update&target_id="+id, f.viewer, "")
		data := ev.body["data"].([]any)
		if len(data) != 2 {
			t.Fatalf("got %d license.update events, want 2: %s", len(data), ev.raw)
		}
		first := data[1].(map[string]any)
		if first["before"].(map[string]any)["seats"] != float64(2) || first["after"].(map[string]any)["seats"] != float64(5) {
			t.Fatalf("got before/after %v / %v, want seats 2 then 5", first["before"], first["after"])
		}
	})

	t.Run("suspend revokes sessions and refuses acquires; reinstate restores", func(t *testing.T) {
		if r := f.call("POST", "/api/v1/licenses/"+id+"/suspend", f.owner, ""); r.status != 200 || r.body["status"] != "suspended" {
			t.Fatalf("suspend: got %d %s", r.status, r.raw)
		}
		wantProblem(t, f.call("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, ""), 410, coditect.CodeSessionRevoked)
		wantProblem(t, f.call("POST", "/api/v1/sessions", key, `{"fingerprint":"m2"}`), 403, coditect.CodeLicenseSuspended)
		if r := f.call("POST", "/api/v1/licenses/"+id+"/reinstate", f.owner, ""); r.status != 200 || r.body["status"] != "active" {
			t.Fatalf("reinstate: got %d %s", r.status, r.raw)
		}
		if r := f.call("POST", "/api/v1/sessions", key, `{"fingerprint":"m2"}`); r.status != 201 {
			t.Fatalf("acquire after reinstate: got %d %s", r.status, r.raw)
		}
	})

	t.Run("rotate-key shows the new key once; the old key stops working", func(t *testing.T) {
		r := f.call("POST", "/api/v1/licenses/"+id+"/rotate-key", f.owner, "")
		newKey, _ := r.body["key"].(string)
		if r.status != 200 || newKey == "" || "License "+newKey == key {
			t.Fatalf("rotate: got %d %s", r.status, r.raw)
		}
		wantProblem(t, f.call("GET", "/api/v1/license", key, ""), 401, coditect.CodeInvalidLicenseKey)
		if r := f.call("GET", "/api/v1/license", "License "+newKey, ""); r.status != 200 {
			t.Fatalf("new key: got %d", r.status)
		}
		if g := f.call("GET", "/api/v1/licenses/"+id, f.owner, ""); g.body["key"] != nil {
			t.Fatal("the key is shown again after rotation")
		}
	})

	t.Run("delete removes the license and its sessions", func(t *testing.T) {
		if r := f.call("DELETE", "/api/v1/licenses/"+id, f.owner, ""); r.status != 204 {
			t.Fatalf("delete: got %d %s", r.status, r.raw)
		}
		wantProblem(t, f.call("GET", "/api/v1/licenses/"+id, f.owner, ""), 404, coditect.CodeNotFound)
		wantProblem(t, f.call("DELETE", "/api/v1/licenses/"+id, f.owner, ""), 404, coditect.CodeNotFound)
	})
}

func TestUsers(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	email := "new-" + newID()[:8] + "@example.com"
	r := f.call("POST", "/api/v1/users", f.owner, `{"email":"`+strings.ToUpper(email)+`","password":"a long enough password","role":"admin"}`)
	if r.status != 201 || r.body["email"] != email || r.body["role"] != "admin" {
		t.Fatalf("create: got %d %s", r.status, r.raw)
	}
	uid := r.body["id"].(string)
	wantProblem(t, f.call("POST", "/api/v1/users", f.owner, `{"email":"`+email+`","password":"a long enough password"}`), 409, coditect.CodeConflict)
	wantProblem(t, f.call("POST", "/api/v1/users", f.owner, `{"email":"short@example.com","password":"short"}`), 400, coditect.CodeInvalidRequest)
	wantProblem(t, f.call("POST", "/api/v1/users", f.owner, `{"email":"x@example.com","password":"a long enough password","role":"god"}`), 400, coditect.CodeInvalidRequest)

	if r := f.call("PATCH", "/api/v1/users/"+uid, f.owner, `{"disabled":true}`); r.status != 200 || r.body["disabled"] != true {
		t.Fatalf("disable: got %d %s", r.status, r.raw)
	}
	login := f.form(url.Values{"grant_type": {"password"}, "username": {email}, "password": {"a long enough password"}})
	if login.status != 400 {
		t.Fatalf("a disabled user signed in: %d", login.status)
	}

	t.Run("change own password", func(t *testing.T) {
		e2 := "pw-" + newID()[:8] + "@example.com"
		tok := f.user(e2, coditect.RoleViewer)
		wantProblem(t, f.call("POST", "/api/v1/users/me/password", tok, `{"current_password":"wrong","new_password":"a brand new password"}`), 403, coditect.CodeForbidden)
		if r := f.call("POST", "/api/v1/users/me/password", tok, `{"current_password":"`+password+`","new_password":"a brand new password"}`); r.status != 204 {
			t.Fatalf("change: got %d %s", r.status, r.raw)
		}
		if r := f.form(url.Values{"grant_type": {"password"}, "username": {e2}, "password": {"a brand new password"}}); r.status != 200 {
			t.Fatalf("sign in with the new password: got %d", r.status)
		}
	})

	t.Run("tenants are for platform admins", func(t *testing.T) {
		wantProblem(t, f.call("GET", "/api/v1/tenants", f.owner, ""), 403, coditect.CodeForbidden)
	})
}
