package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coditect/coditect-license/signing"
)

// The end-to-end tests build the real binary once and run it on free
// loopback ports, each with its own data directory.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coditect-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "coditect-license-server")
		args := []string{"build", "-race", "-o", binPath, "."}
		if os.Getenv("CODITECT_E2E_COVERDIR") != "" {
			// make cover: the binary writes its coverage there, so what the
			// end-to-end tests exercise counts too.
			args = []string{"build", "-cover", "-coverpkg=github.com/coditect/coditect-license/...", "-o", binPath, "."}
		}
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

const (
	adminEmail    = "owner@example.com"
	adminPassword = "correct horse battery staple"
)

// process is one running server binary.
type process struct {
	t       *testing.T
	cmd     *exec.Cmd
	base    string
	dataDir string
	stderr  *lockedWriter
	done    chan error
}

func startServer(t *testing.T, dataDir string, extraArgs ...string) *process {
	t.Helper()
	args := append([]string{"--listen", "127.0.0.1:0", "--data-dir", dataDir, "--sweep-interval", "500ms"}, extraArgs...)
	cmd := exec.Command(serverBinary(t), args...)
	cmd.Env = append(os.Environ(), "CODITECT_ADMIN_EMAIL="+adminEmail, "CODITECT_ADMIN_PASSWORD="+adminPassword)
	if dir := os.Getenv("CODITECT_E2E_COVERDIR"); dir != "" {
		cmd.Env = append(cmd.Env, "GOCOVERDIR="+dir)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &process{t: t, cmd: cmd, dataDir: dataDir, stderr: &lockedWriter{}, done: make(chan error, 1)}
	cmd.Stderr = p.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- cmd.Wait() }()
	t.Cleanup(func() { p.stop() })

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for p.base == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("server exited before listening; stderr:\n%s", p.stderr)
			}
			if _, addr, found := strings.Cut(line, "listening on "); found {
				p.base = strings.TrimSpace(addr)
			}
		case <-deadline:
			t.Fatalf("server did not report its address within 30s; stderr:\n%s", p.stderr)
		}
	}
	go func() {
		for range lines { // keep draining so the server never blocks on stdout
		}
	}()
	return p
}

// stop sends SIGTERM and waits for a graceful exit.
func (p *process) stop() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			p.t.Errorf("server exited with %v after SIGTERM; stderr:\n%s", err, p.stderr)
		}
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		p.t.Errorf("server did not stop within 20s of SIGTERM")
	}
}

// lockedWriter collects the server's log output safely across goroutines.
type lockedWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(b)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// response is a decoded HTTP response.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

var httpClient = &http.Client{Timeout: 30 * time.Second}

func (p *process) do(method, path, auth string, body any) response {
	p.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		rd = bytes.NewReader(b)
	case string:
		rd = strings.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			p.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, p.base+path, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	if len(raw) > 0 && strings.Contains(resp.Header.Get("Content-Type"), "json") {
		if err := json.Unmarshal(raw, &out.Body); err != nil {
			p.t.Fatalf("%s %s: body is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return out
}

func (p *process) login() string {
	p.t.Helper()
	return p.loginAs(adminEmail, adminPassword)
}

func (p *process) loginAs(email, password string) string {
	p.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}}
	resp, err := httpClient.PostForm(p.base+"/oauth/token", form)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != 200 || tok.AccessToken == "" {
		p.t.Fatalf("login: status %d, err %v", resp.StatusCode, err)
	}
	return "Bearer " + tok.AccessToken
}

// createLicense creates a license and returns its id and key.
func (p *process) createLicense(admin string, body map[string]any) (id, key string) {
	p.t.Helper()
	r := p.do("POST", "/api/v1/licenses", admin, body)
	if r.Status != http.StatusCreated {
		p.t.Fatalf("create license: got status %d, want 201: %s", r.Status, r.Raw)
	}
	return r.Body["id"].(string), r.Body["key"].(string)
}

func acquireBody(fpr, instance string) map[string]any {
	return map[string]any{"fingerprint": fpr, "instance_id": instance, "hostname": "host-" + fpr, "client_name": "e2e", "client_version": "1.0"}
}

func wantProblem(t *testing.T, r response, status int, code string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("got status %d, want %d: %s", r.Status, status, r.Raw)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("got Content-Type %q, want application/problem+json", ct)
	}
	if got := r.Body["code"]; got != code {
		t.Fatalf("got code %v, want %s: %s", got, code, r.Raw)
	}
}

func parseTime(t *testing.T, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q: %v", v, err)
	}
	return tm
}

func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			testEndToEnd(t, b.args(t))
		})
	}
}

func testEndToEnd(t *testing.T, args []string) {
	dataDir := t.TempDir()
	srv := startServer(t, dataDir, args...)
	admin := srv.login()
	licID, key := srv.createLicense(admin, map[string]any{"name": "Acme CAD", "seats": 3, "lease_ttl_seconds": 60})
	lic := "License " + key

	// 50 machines race for 3 seats.
	type result struct {
		status int
		resp   response
	}
	results := make([]result, 50)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := srv.do("POST", "/api/v1/sessions", lic, acquireBody(fmt.Sprintf("machine-%02d", i), "main"))
			results[i] = result{r.Status, r}
		}()
	}
	wg.Wait()
	var granted []response
	denied := 0
	for _, r := range results {
		switch r.status {
		case http.StatusCreated:
			granted = append(granted, r.resp)
		case http.StatusConflict:
			wantProblem(t, r.resp, http.StatusConflict, "seats_exhausted")
			if r.resp.Header.Get("Retry-After") == "" {
				t.Errorf("409 without Retry-After: %s", r.resp.Raw)
			}
			if r.resp.Body["seats"] != float64(3) || r.resp.Body["in_use"] != float64(3) {
				t.Errorf("got seats %v in_use %v, want 3 and 3", r.resp.Body["seats"], r.resp.Body["in_use"])
			}
			denied++
		default:
			t.Fatalf("got status %d, want 201 or 409: %s", r.status, r.resp.Raw)
		}
	}
	if len(granted) != 3 || denied != 47 {
		t.Fatalf("got %d × 201 and %d × 409, want 3 and 47", len(granted), denied)
	}

	first := granted[0].Body
	sid, stok := first["session_id"].(string), "Bearer "+first["session_token"].(string)
	fpr := ""
	for i, r := range results {
		if r.status == http.StatusCreated && r.resp.Body["session_id"] == sid {
			fpr = fmt.Sprintf("machine-%02d", i)
		}
	}

	t.Run("re-acquire with the same instance_id returns the same session", func(t *testing.T) {
		r := srv.do("POST", "/api/v1/sessions", lic, acquireBody(fpr, "main"))
		if r.Status != http.StatusOK || r.Body["session_id"] != sid {
			t.Fatalf("got %d session %v, want 200 and %s", r.Status, r.Body["session_id"], sid)
		}
	})

	t.Run("heartbeat moves expires_at forward", func(t *testing.T) {
		before := parseTime(t, first["expires_at"])
		time.Sleep(20 * time.Millisecond) // the server's clock must advance for the expiry to move
		r := srv.do("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("got status %d, want 200: %s", r.Status, r.Raw)
		}
		if after := parseTime(t, r.Body["expires_at"]); !after.After(before) {
			t.Fatalf("got expires_at %v, want after %v", after, before)
		}
	})

	t.Run("license status counts seats in use", func(t *testing.T) {
		r := srv.do("GET", "/api/v1/license", lic, nil)
		if r.Status != 200 || r.Body["seats_in_use"] != float64(3) || r.Body["license_id"] != licID {
			t.Fatalf("got %d %s, want 200 with seats_in_use 3", r.Status, r.Raw)
		}
	})

	t.Run("release frees the seat for the next machine", func(t *testing.T) {
		if r := srv.do("POST", "/api/v1/sessions", lic, acquireBody("latecomer", "")); r.Status != http.StatusConflict {
			t.Fatalf("before release: got %d, want 409", r.Status)
		}
		if r := srv.do("DELETE", "/api/v1/sessions/"+sid, stok, nil); r.Status != http.StatusNoContent {
			t.Fatalf("release: got %d, want 204: %s", r.Status, r.Raw)
		}
		if r := srv.do("DELETE", "/api/v1/sessions/"+sid, stok, nil); r.Status != http.StatusNoContent {
			t.Fatalf("second release: got %d, want 204: %s", r.Status, r.Raw)
		}
		if r := srv.do("POST", "/api/v1/sessions", lic, acquireBody("latecomer", "")); r.Status != http.StatusCreated {
			t.Fatalf("after release: got %d, want 201: %s", r.Status, r.Raw)
		}
	})

	t.Run("heartbeat after release is 410", func(t *testing.T) {
		r := srv.do("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, nil)
		wantProblem(t, r, http.StatusGone, "session_expired")
	})

	t.Run("a silent session's seat frees after the TTL", func(t *testing.T) {
		_, shortKey := srv.createLicense(admin, map[string]any{"name": "Short TTL", "seats": 1, "lease_ttl_seconds": 5})
		r := srv.do("POST", "/api/v1/sessions", "License "+shortKey, acquireBody("silent", ""))
		if r.Status != http.StatusCreated {
			t.Fatalf("got %d, want 201", r.Status)
		}
		expires := parseTime(t, r.Body["expires_at"])
		if r := srv.do("POST", "/api/v1/sessions", "License "+shortKey, acquireBody("waiting", "")); r.Status != http.StatusConflict {
			t.Fatalf("while held: got %d, want 409", r.Status)
		}
		deadline := expires.Add(3 * time.Second)
		for {
			r := srv.do("POST", "/api/v1/sessions", "License "+shortKey, acquireBody("waiting", ""))
			if r.Status == http.StatusCreated {
				if now := time.Now(); now.Before(expires) {
					t.Fatalf("seat freed at %v, before the lease expired at %v", now, expires)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("seat still taken 3s after the TTL: %d %s", r.Status, r.Raw)
			}
			time.Sleep(250 * time.Millisecond)
		}
		// The sweeper marks the silent session expired.
		deadline = time.Now().Add(5 * time.Second)
		for {
			r := srv.do("GET", "/api/v1/sessions?status=ended&limit=500", admin, nil)
			found := false
			for _, s := range r.Body["data"].([]any) {
				m := s.(map[string]any)
				if m["fingerprint"] == "silent" && m["end_reason"] == "expired" {
					found = true
				}
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the silent session was not swept as expired: %s", r.Raw)
			}
			time.Sleep(200 * time.Millisecond)
		}
	})

	t.Run("held seats survive a restart", func(t *testing.T) {
		srv.stop()
		srv2 := startServer(t, dataDir, args...)
		r := srv2.do("POST", "/api/v1/sessions", lic, acquireBody("after-restart", ""))
		wantProblem(t, r, http.StatusConflict, "seats_exhausted")
		st := srv2.do("GET", "/api/v1/license", lic, nil)
		if st.Body["seats_in_use"] != float64(3) {
			t.Fatalf("got seats_in_use %v after restart, want 3", st.Body["seats_in_use"])
		}
		// A session from before the restart still heartbeats.
		other := granted[1].Body
		hb := srv2.do("POST", "/api/v1/sessions/"+other["session_id"].(string)+"/heartbeat", "Bearer "+other["session_token"].(string), nil)
		if hb.Status != http.StatusOK {
			t.Fatalf("heartbeat after restart: got %d, want 200: %s", hb.Status, hb.Raw)
		}
	})
}

func TestBadInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	srv := startServer(t, t.TempDir())
	admin := srv.login()
	_, key := srv.createLicense(admin, map[string]any{"name": "Bad input", "seats": 2})
	lic := "License " + key

	cases := []struct {
		name   string
		method string
		path   string
		auth   string
		body   any
		status int
		code   string
	}{
		{"malformed JSON", "POST", "/api/v1/sessions", lic, `{"fingerprint": `, 400, "invalid_request"},
		{"JSON that is not an object", "POST", "/api/v1/sessions", lic, `[1,2]`, 400, "invalid_request"},
		{"missing fingerprint", "POST", "/api/v1/sessions", lic, map[string]any{}, 400, "invalid_request"},
		{"5000-character fingerprint", "POST", "/api/v1/sessions", lic, map[string]any{"fingerprint": strings.Repeat("x", 5000)}, 400, "invalid_request"},
		{"wrong license key", "POST", "/api/v1/sessions", "License CDT-NOTAREALKEY", acquireBody("m", ""), 401, "invalid_license_key"},
		{"no credentials on acquire", "POST", "/api/v1/sessions", "", acquireBody("m", ""), 401, "invalid_license_key"},
		{"no credentials on admin", "GET", "/api/v1/licenses", "", nil, 401, "unauthorized"},
		{"8 MiB body", "POST", "/api/v1/sessions", lic, bytes.Repeat([]byte("a"), 8<<20), 413, "payload_too_large"},
		{"garbage session token", "POST", "/api/v1/sessions/abc/heartbeat", "Bearer garbage", nil, 401, "invalid_token"},
		{"forged session token", "POST", "/api/v1/sessions/abc/heartbeat", "Bearer st1.eyJ0IjoiYSJ9.AAAA", nil, 401, "invalid_token"},
		{"garbage admin token", "GET", "/api/v1/licenses", "Bearer garbage", nil, 401, "invalid_token"},
		{"unknown route", "GET", "/api/v1/nothing", "", nil, 404, "not_found"},
		{"wrong method", "PUT", "/api/v1/license", lic, nil, 405, "method_not_allowed"},
		{"unknown license", "GET", "/api/v1/licenses/does-not-exist", admin, nil, 404, "not_found"},
		{"seats out of range", "POST", "/api/v1/licenses", admin, map[string]any{"name": "x", "seats": 0}, 400, "invalid_request"},
		{"ttl out of range", "POST", "/api/v1/licenses", admin, map[string]any{"name": "x", "seats": 1, "lease_ttl_seconds": 4}, 400, "invalid_request"},
		{"unknown license field", "POST", "/api/v1/licenses", admin, map[string]any{"name": "x", "seat": 1}, 400, "invalid_request"},
		{"wrong field type", "POST", "/api/v1/licenses", admin, map[string]any{"name": "x", "seats": "three"}, 400, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := srv.do(tc.method, tc.path, tc.auth, tc.body)
			wantProblem(t, r, tc.status, tc.code)
			for _, member := range []string{"type", "title", "status", "detail"} {
				if _, ok := r.Body[member]; !ok {
					t.Errorf("problem lacks %q: %s", member, r.Raw)
				}
			}
		})
	}
	// The server keeps serving after all of that.
	if r := srv.do("POST", "/api/v1/sessions", lic, acquireBody("still-alive", "")); r.Status != http.StatusCreated {
		t.Fatalf("after bad input: got %d, want 201: %s", r.Status, r.Raw)
	}
	if strings.Contains(srv.stderr.String(), "panic") {
		t.Fatalf("server logged a panic:\n%s", srv.stderr)
	}
}

func TestLicenseTokenVerifiesWithJWKS(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	srv := startServer(t, t.TempDir())
	admin := srv.login()
	_, key := srv.createLicense(admin, map[string]any{"name": "Offline", "seats": 1, "features": []string{"export", "render"}})
	r := srv.do("POST", "/api/v1/sessions", "License "+key, acquireBody("laptop", ""))
	if r.Status != http.StatusCreated {
		t.Fatalf("acquire: got %d, want 201", r.Status)
	}
	token := r.Body["license_token"].(string)

	jr := srv.do("GET", "/.well-known/jwks.json", "", nil)
	var set signing.JWKS
	if err := json.Unmarshal(jr.Raw, &set); err != nil {
		t.Fatal(err)
	}
	keys, err := set.PublicKeys()
	if err != nil || len(keys) != 1 {
		t.Fatalf("got %d keys (%v), want 1", len(keys), err)
	}
	claims, err := signing.VerifyLicenseToken(token, keys, time.Now())
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if claims.Fingerprint != "laptop" || claims.Seats != 1 || claims.SessionID != r.Body["session_id"] || claims.Subject != r.Body["license_id"] {
		t.Fatalf("got claims %+v, want the acquire's session, license and fingerprint", claims)
	}

	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(payload, &raw); err != nil {
		t.Fatal(err)
	}
	for claim := range raw {
		t.Run("changing "+claim+" breaks the signature", func(t *testing.T) {
			changed := map[string]any{}
			for k, v := range raw {
				changed[k] = v
			}
			switch v := raw[claim].(type) {
			case string:
				changed[claim] = v + "x"
			case float64:
				changed[claim] = v + 1
			default:
				changed[claim] = []string{"export", "render", "everything"}
			}
			b, _ := json.Marshal(changed)
			forged := parts[0] + "." + base64.RawURLEncoding.EncodeToString(b) + "." + parts[2]
			if _, err := signing.VerifyLicenseToken(forged, keys, time.Now()); err == nil {
				t.Fatalf("a token with %s changed verified", claim)
			}
		})
	}
}
