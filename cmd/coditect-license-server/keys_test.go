package main_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coditect/coditect-license/signing"
)

func kidOf(t *testing.T, token string) string {
	t.Helper()
	h, _, _ := strings.Cut(token, ".")
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	var header struct {
		Kid string `json:"kid"`
	}
	if err := json.Unmarshal(b, &header); err != nil {
		t.Fatal(err)
	}
	return header.Kid
}

func (p *process) verifyToken(t *testing.T, token string) error {
	t.Helper()
	var set signing.JWKS
	if err := json.Unmarshal(p.do("GET", "/.well-known/jwks.json", "", nil).Raw, &set); err != nil {
		t.Fatal(err)
	}
	keys, err := set.PublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	_, err = signing.VerifyLicenseToken(token, keys, time.Now())
	return err
}

func TestKeyRotation(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel()
	dataDir := t.TempDir()
	srv := startServer(t, dataDir)
	admin := srv.login()
	_, key := srv.createLicense(admin, map[string]any{"name": "Rotated", "seats": 10})
	acquire := func(p *process, fpr string) string {
		t.Helper()
		r := p.do("POST", "/api/v1/sessions", "License "+key, acquireBody(fpr, ""))
		if r.Status != http.StatusCreated {
			t.Fatalf("acquire: got %d %s", r.Status, r.Raw)
		}
		return r.Body["license_token"].(string)
	}
	before := acquire(srv, "m1")
	oldKid := kidOf(t, before)

	rot := srv.do("POST", "/api/v1/signing-keys/rotate", admin, nil)
	if rot.Status != http.StatusCreated || rot.Body["active"] != true {
		t.Fatalf("rotate: got %d %s", rot.Status, rot.Raw)
	}
	newKid := rot.Body["id"].(string)
	if newKid == oldKid {
		t.Fatal("rotation kept the key ID")
	}
	if err := srv.verifyToken(t, before); err != nil {
		t.Fatalf("a token signed before the rotation no longer verifies: %v", err)
	}
	after := acquire(srv, "m2")
	if got := kidOf(t, after); got != newKid {
		t.Fatalf("a token signed after the rotation has kid %s, want %s", got, newKid)
	}
	list := srv.do("GET", "/api/v1/signing-keys", admin, nil)
	if n := len(list.Body["data"].([]any)); n != 2 {
		t.Fatalf("got %d signing keys, want 2: %s", n, list.Raw)
	}

	t.Run("keys rotate on the command line", func(t *testing.T) {
		srv.stop()
		out, err := exec.Command(serverBinary(t), "keys", "rotate", "--data-dir", dataDir).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "rotated: new license signing key") {
			t.Fatalf("keys rotate: %v\n%s", err, out)
		}
		srv2 := startServer(t, dataDir)
		third := acquire(srv2, "m3")
		if k := kidOf(t, third); k == newKid || k == oldKid || !strings.Contains(string(out), k) {
			t.Fatalf("after the CLI rotation: got kid %s, want the one it printed", k)
		}
		for _, tok := range []string{before, after, third} {
			if err := srv2.verifyToken(t, tok); err != nil {
				t.Fatalf("after two rotations a token (kid %s) no longer verifies: %v", kidOf(t, tok), err)
			}
		}
		if out, err := exec.Command(serverBinary(t), "keys", "bogus").CombinedOutput(); err == nil || !strings.Contains(string(out), "usage") {
			t.Fatalf("keys bogus: got %v %s, want usage and a failure", err, out)
		}
	})
}
