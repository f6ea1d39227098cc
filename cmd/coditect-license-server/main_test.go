package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// openMain opens a Main on a free loopback port and runs it until the test
// ends.
func openMain(t *testing.T, cfg Config) (*Main, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	m := &Main{Config: cfg, Stdout: &stdout, Stderr: &stderr}
	if err := m.Open(context.Background()); err != nil {
		_ = m.Close()
		t.Fatalf("open: %v\n%s", err, stderr.String())
	}
	return m, &stdout, &stderr
}

func run(t *testing.T, m *Main) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	var once bool
	stop = func() {
		if once {
			return
		}
		once = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	}
	t.Cleanup(stop)
	return stop
}

func testConfig(t *testing.T) Config {
	t.Helper()
	c := DefaultConfig()
	c.Listen = "127.0.0.1:0"
	c.DataDir = filepath.Join(t.TempDir(), "data")
	c.SweepInterval = 100 * time.Millisecond
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFirstStartGeneratesAnOwner(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	m, stdout, stderr := openMain(t, cfg)
	stop := run(t, m)

	out := stdout.String()
	if !strings.Contains(out, "listening on http://"+m.Addr()) {
		t.Fatalf("banner %q does not say where the server listens", out)
	}
	match := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if match == nil || !strings.Contains(out, "admin@localhost") {
		t.Fatalf("banner %q does not show the generated owner", out)
	}
	pw := match[1]
	if strings.Contains(stderr.String(), pw) {
		t.Fatal("the generated password reached the log")
	}

	resp, err := http.PostForm("http://"+m.Addr()+"/oauth/token", url.Values{"grant_type": {"password"}, "username": {"admin@localhost"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("sign-in with the printed password: got %d, want 200", resp.StatusCode)
	}
	ready, err := http.Get("http://" + m.Addr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	ready.Body.Close()
	if ready.StatusCode != http.StatusOK {
		t.Fatalf("readyz: got %d, want 200", ready.StatusCode)
	}
	stop()

	for _, name := range []string{"master.key", "access-token.pem", "session-token.secret"} {
		fi, err := os.Stat(filepath.Join(cfg.DataDir, "keys", name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s: got mode %v, want 0600", name, perm)
		}
	}

	// The second start finds the owner and prints no password.
	m2, stdout2, _ := openMain(t, cfg)
	run(t, m2)
	if strings.Contains(stdout2.String(), "password:") {
		t.Fatalf("second start printed a password: %q", stdout2.String())
	}
}

func TestFirstStartWithConfiguredOwner(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.AdminEmail, cfg.AdminPassword = "Boss@Example.com", "twelve chars or more"
	cfg.LogFormat = "json"
	m, stdout, stderr := openMain(t, cfg)
	run(t, m)
	if !strings.Contains(stdout.String(), "boss@example.com") || strings.Contains(stdout.String(), cfg.AdminPassword) {
		t.Fatalf("banner %q: want the normalised email and no password", stdout.String())
	}
	if strings.Contains(stderr.String(), cfg.AdminPassword) {
		t.Fatal("the configured password reached the log")
	}
	var first map[string]any
	line, _, _ := strings.Cut(stderr.String(), "\n")
	if err := json.Unmarshal([]byte(line), &first); err != nil {
		t.Fatalf("log line %q is not JSON: %v", line, err)
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()

	t.Run("a short configured password", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.AdminEmail, cfg.AdminPassword = "a@example.com", "short"
		m := &Main{Config: cfg}
		defer m.Close()
		if err := m.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "at least") {
			t.Fatalf("got %v, want a password length error", err)
		}
	})

	t.Run("an invalid configured email", func(t *testing.T) {
		cfg := testConfig(t)
		cfg.AdminEmail, cfg.AdminPassword = "not-an-email", "twelve chars or more"
		m := &Main{Config: cfg}
		defer m.Close()
		if err := m.Open(context.Background()); err == nil {
			t.Fatal("got nil error for an invalid email")
		}
	})

	t.Run("an address in use", func(t *testing.T) {
		cfg := testConfig(t)
		m1, _, _ := openMain(t, cfg)
		run(t, m1)
		cfg2 := testConfig(t)
		cfg2.Listen = m1.Addr()
		m2 := &Main{Config: cfg2}
		defer m2.Close()
		if err := m2.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "listen") {
			t.Fatalf("got %v, want a listen error", err)
		}
	})

	t.Run("a world-readable key", func(t *testing.T) {
		cfg := testConfig(t)
		m1, _, _ := openMain(t, cfg)
		run(t, m1)()
		if err := os.Chmod(filepath.Join(cfg.DataDir, "keys", "access-token.pem"), 0o644); err != nil {
			t.Fatal(err)
		}
		m2 := &Main{Config: cfg}
		defer m2.Close()
		if err := m2.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "chmod") {
			t.Fatalf("got %v, want a key permission error", err)
		}
	})
}

func TestKeysCommand(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	getenv := func(string) string { return "" }
	var out, errb bytes.Buffer
	if code := runKeys(context.Background(), []string{"list", "--data-dir", dir}, getenv, &out, &errb); code != 0 {
		t.Fatalf("keys list: exit %d: %s", code, errb.String())
	}
	if !strings.Contains(out.String(), "EdDSA") || !strings.Contains(out.String(), "active") {
		t.Fatalf("keys list printed %q, want the active key", out.String())
	}
	out.Reset()
	if code := runKeys(context.Background(), []string{"rotate", "--data-dir", dir}, getenv, &out, &errb); code != 0 || strings.Count(out.String(), "retired") != 1 {
		t.Fatalf("keys rotate: exit %d, printed %q", code, out.String())
	}
	if code := runKeys(context.Background(), nil, getenv, &out, &errb); code != 2 {
		t.Fatalf("keys without a verb: exit %d, want 2", code)
	}
	if code := runKeys(context.Background(), []string{"list", "--nope"}, getenv, &out, &errb); code != 2 {
		t.Fatalf("keys with a bad flag: exit %d, want 2", code)
	}
	badKey := func(k string) string {
		if k == "CODITECT_MASTER_KEY" {
			return "not base64!"
		}
		return ""
	}
	errb.Reset()
	if code := runKeys(context.Background(), []string{"list", "--data-dir", dir}, badKey, &out, &errb); code != 1 || !strings.Contains(errb.String(), "CODITECT_MASTER_KEY") {
		t.Fatalf("a malformed master key: exit %d, stderr %q", code, errb.String())
	}
	wrongKey := func(k string) string {
		if k == "CODITECT_MASTER_KEY" {
			return "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
		}
		return ""
	}
	errb.Reset()
	if code := runKeys(context.Background(), []string{"list", "--data-dir", dir}, wrongKey, &out, &errb); code != 1 || !strings.Contains(errb.String(), "master key") {
		t.Fatalf("the wrong master key: exit %d, stderr %q", code, errb.String())
	}
}

// The profiler answers on --debug-listen and nowhere on the API's address.
func TestDebugListenerServesProfiler(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.DebugListen = "127.0.0.1:0"
	m, _, stderr := openMain(t, cfg)
	run(t, m)
	match := regexp.MustCompile(`profiler listening.*addr=(http://\S+)`).FindStringSubmatch(stderr.String())
	if match == nil {
		t.Fatalf("no profiler address in the log:\n%s", stderr.String())
	}
	resp, err := http.Get(match[1] + "goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("GET goroutine profile: %d %.200s", resp.StatusCode, body)
	}
	resp, err = http.Get("http://" + m.Addr() + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(body), "goroutine profile") {
		t.Fatal("the API listener serves the profiler")
	}
}

// A graceful shutdown ends the open event streams at once and lets the
// requests in flight finish: a sign-in (slow: argon2) caught by the
// shutdown answers 200 or never reaches the server, never 500.
func TestShutdownEndsStreamsAndFinishesRequests(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.AdminEmail, cfg.AdminPassword = "owner@example.com", "twelve chars or more"
	m, _, _ := openMain(t, cfg)
	stop := run(t, m)
	base := "http://" + m.Addr()
	signIn := func() (*http.Response, error) {
		return http.PostForm(base+"/oauth/token", url.Values{
			"grant_type": {"password"}, "username": {cfg.AdminEmail}, "password": {cfg.AdminPassword},
		})
	}
	resp, err := signIn()
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		t.Fatalf("sign in: %v (status %d)", err, resp.StatusCode)
	}

	req, _ := http.NewRequest("GET", base+"/api/v1/sessions/events", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	stream, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	if stream.StatusCode != http.StatusOK {
		t.Fatalf("event stream: status %d", stream.StatusCode)
	}
	streamEnded := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, stream.Body)
		streamEnded <- err
	}()

	inFlight := make(chan int, 1)
	go func() {
		resp, err := signIn()
		if err != nil {
			inFlight <- 0 // refused: it never reached the server
			return
		}
		resp.Body.Close()
		inFlight <- resp.StatusCode
	}()
	time.Sleep(20 * time.Millisecond) // let the sign-in start hashing
	start := time.Now()
	stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("shutdown took %v with an event stream open", d)
	}
	select {
	case <-streamEnded:
	case <-time.After(5 * time.Second):
		t.Fatal("the event stream is still open after shutdown")
	}
	if code := <-inFlight; code != 0 && code != http.StatusOK {
		t.Errorf("a sign-in in flight during shutdown answered %d, want 200", code)
	}
}
