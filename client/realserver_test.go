package client_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

	"github.com/coditect/coditect-license/client"
)

// The real-server tests build cmd/coditect-license-server from this tree
// once and run it on loopback ports, each with its own data directory. Set
// CODITECT_SERVER_BIN to run a prebuilt binary instead.

var (
	buildOnce sync.Once
	serverBin string
	buildErr  error
)

func serverBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	buildOnce.Do(func() {
		if bin := os.Getenv("CODITECT_SERVER_BIN"); bin != "" {
			serverBin = bin
			return
		}
		dir, err := os.MkdirTemp("", "coditect-client-test")
		if err != nil {
			buildErr = err
			return
		}
		serverBin = filepath.Join(dir, "coditect-license-server")
		cmd := exec.Command("go", "build", "-o", serverBin, "./cmd/coditect-license-server")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build the server: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return serverBin
}

const (
	adminEmail    = "owner@example.com"
	adminPassword = "correct horse battery staple"
)

// realServer is one running server binary.
type realServer struct {
	t       *testing.T
	cmd     *exec.Cmd
	base    string
	dataDir string
	stderr  *syncBuffer
	done    chan error
}

// startServer starts the server on listen (host:port; port 0 picks one).
func startServer(t *testing.T, dataDir, listen string) *realServer {
	t.Helper()
	cmd := exec.Command(serverBinary(t), "--listen", listen, "--data-dir", dataDir, "--sweep-interval", "500ms")
	cmd.Env = append(os.Environ(), "CODITECT_ADMIN_EMAIL="+adminEmail, "CODITECT_ADMIN_PASSWORD="+adminPassword)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &realServer{t: t, cmd: cmd, dataDir: dataDir, stderr: &syncBuffer{}, done: make(chan error, 1)}
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- cmd.Wait() }()
	t.Cleanup(s.stop)
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(30 * time.Second)
	for s.base == "" {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("server exited before listening; stderr:\n%s", s.stderr)
			}
			if _, addr, found := strings.Cut(line, "listening on "); found {
				s.base = strings.TrimSpace(addr)
			}
		case <-deadline:
			t.Fatalf("server did not report its address within 30s; stderr:\n%s", s.stderr)
		}
	}
	go func() {
		for range lines {
		}
	}()
	return s
}

// hostPort returns the address the server listens on.
func (s *realServer) hostPort() string {
	u, err := url.Parse(s.base)
	if err != nil {
		s.t.Fatal(err)
	}
	return u.Host
}

// stop sends SIGTERM and waits for the exit.
func (s *realServer) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
		s.t.Errorf("server did not stop within 20s of SIGTERM")
	}
}

// do sends a JSON request and decodes a JSON answer into out.
func (s *realServer) do(method, path, auth string, body, out any) int {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, s.base+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// license creates a license and returns its key.
func (s *realServer) license(body map[string]any) string {
	s.t.Helper()
	resp, err := http.PostForm(s.base+"/oauth/token", url.Values{"grant_type": {"password"}, "username": {adminEmail}, "password": {adminPassword}})
	if err != nil {
		s.t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	var lic struct {
		Key string `json:"key"`
	}
	if st := s.do("POST", "/api/v1/licenses", "Bearer "+tok.AccessToken, body, &lic); st != http.StatusCreated || lic.Key == "" {
		s.t.Fatalf("create license: got %d, want 201 with a key", st)
	}
	return lic.Key
}

// seatsInUse reads seats_in_use from GET /api/v1/license.
func (s *realServer) seatsInUse(key string) int {
	s.t.Helper()
	var st struct {
		SeatsInUse int `json:"seats_in_use"`
	}
	if code := s.do("GET", "/api/v1/license", "License "+key, nil, &st); code != http.StatusOK {
		s.t.Fatalf("license status: got %d, want 200", code)
	}
	return st.SeatsInUse
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls cond every 100 ms for up to d of real time.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, d)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// contextT returns a context cancelled at the end of the test.
func contextT(t *testing.T) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx
}

// realConfig is a client config for a real server, with quick retries.
func realConfig(t *testing.T, s *realServer, key, fingerprint string) client.Config {
	return client.Config{
		BaseURL: s.base, LicenseKey: key, Product: "acme-cad", Fingerprint: fingerprint, CacheDir: t.TempDir(),
		Hostname: "test-host", ClientName: "client-test", ClientVersion: "1.0", Logger: testLogger(t),
		Retry: client.RetryPolicy{MaxAttempts: 2, BaseDelay: 50 * time.Millisecond, MaxDelay: time.Second},
	}
}

func newRealClient(t *testing.T, cfg client.Config) *client.Client {
	t.Helper()
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRealServerLease(t *testing.T) {
	t.Parallel()
	srv := startServer(t, t.TempDir(), "127.0.0.1:0")

	t.Run("background heartbeats keep the lease past several TTLs; release frees the seat", func(t *testing.T) {
		t.Parallel()
		key := srv.license(map[string]any{"name": "Short TTL", "seats": 1, "lease_ttl_seconds": 5, "features": []string{"export"}})
		c := newRealClient(t, realConfig(t, srv, key, "fp-heartbeats"))
		l, err := c.Acquire(contextT(t))
		if err != nil {
			t.Fatal(err)
		}
		if l.Offline() || l.Claims() == nil || !l.Claims().HasFeature("export") || l.Claims().Fingerprint != "fp-heartbeats" {
			t.Fatalf("got offline=%v claims %+v, want an online lease with verified claims", l.Offline(), l.Claims())
		}
		sid := l.SessionID()
		time.Sleep(12 * time.Second) // more than two TTLs of 5 s: only heartbeats keep the seat
		if l.Err() != nil || l.Offline() || l.SessionID() != sid {
			t.Fatalf("got err %v offline %v session %s (want %s), want the same lease held", l.Err(), l.Offline(), l.SessionID(), sid)
		}
		if got := srv.seatsInUse(key); got != 1 {
			t.Fatalf("got %d seats in use, want 1", got)
		}
		if !l.ExpiresAt().After(time.Now()) {
			t.Fatalf("got expiry %v, want in the future", l.ExpiresAt())
		}
		if err := l.Release(contextT(t)); err != nil {
			t.Fatal(err)
		}
		if got := srv.seatsInUse(key); got != 0 {
			t.Fatalf("got %d seats in use after release, want 0", got)
		}
	})

	t.Run("a full license is ErrSeatsExhausted with the retry time", func(t *testing.T) {
		t.Parallel()
		key := srv.license(map[string]any{"name": "One seat", "seats": 1, "lease_ttl_seconds": 60})
		acquire(t, newRealClient(t, realConfig(t, srv, key, "fp-first")))
		_, err := newRealClient(t, realConfig(t, srv, key, "fp-second")).Acquire(contextT(t))
		var ce *client.Error
		if !errors.Is(err, client.ErrSeatsExhausted) || !errors.As(err, &ce) {
			t.Fatalf("got %v, want ErrSeatsExhausted", err)
		}
		if ce.RetryAfter <= 0 || ce.RetryAfter > 60*time.Second || ce.Seats != 1 || ce.InUse != 1 {
			t.Fatalf("got %+v, want RetryAfter in (0, 60s], 1 of 1 seats in use", ce)
		}
	})

	t.Run("a wrong key is ErrInvalidKey", func(t *testing.T) {
		t.Parallel()
		_, err := newRealClient(t, realConfig(t, srv, "CDT-NOT-A-KEY", "fp")).Acquire(contextT(t))
		if !errors.Is(err, client.ErrInvalidKey) {
			t.Fatalf("got %v, want ErrInvalidKey", err)
		}
	})
}

func TestRealServerOffline(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	srv := startServer(t, dataDir, "127.0.0.1:0")
	addr := srv.hostPort()
	key := srv.license(map[string]any{"name": "Offline", "seats": 3, "lease_ttl_seconds": 5})

	// Lease a is online before the outage; its client discovers the JWKS.
	cfg := realConfig(t, srv, key, "fp-laptop")
	a := acquire(t, newRealClient(t, cfg))
	keys, err := newRealClient(t, cfg).FetchJWKS(contextT(t))
	if err != nil {
		t.Fatal(err)
	}
	// Another machine's cache, to forge a wrong-machine cache below.
	otherCfg := realConfig(t, srv, key, "fp-other-machine")
	acquire(t, newRealClient(t, otherCfg))

	srv.stop()

	t.Run("the server stopped gives an offline lease from the cache", func(t *testing.T) {
		b := acquire(t, newRealClient(t, cfg))
		if !b.Offline() || b.Claims() == nil || b.Claims().Fingerprint != "fp-laptop" {
			t.Fatalf("got offline=%v claims %+v, want an offline lease for fp-laptop", b.Offline(), b.Claims())
		}
		pinned := cfg
		pinned.PublicKeys = keys
		if c := acquire(t, newRealClient(t, pinned)); !c.Offline() {
			t.Fatal("with pinned keys: got an online lease, want offline")
		}
	})

	// copyCache returns a config whose cache dir holds a copy of cfg's cache,
	// with the license token changed by edit.
	copyCache := func(t *testing.T, edit func(token string) string) client.Config {
		c := cfg
		c.CacheDir = t.TempDir()
		src := cacheFile(t, cfg.CacheDir)
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		m["license_token"] = edit(m["license_token"].(string))
		b, _ = json.Marshal(m)
		if err := os.WriteFile(filepath.Join(c.CacheDir, filepath.Base(src)), b, 0o600); err != nil {
			t.Fatal(err)
		}
		return c
	}
	otherToken := func() string {
		b, err := os.ReadFile(cacheFile(t, otherCfg.CacheDir))
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m["license_token"].(string)
	}()

	refusals := []struct {
		name string
		cfg  func(t *testing.T) client.Config
		want error
	}{
		{"a token with one claim changed", func(t *testing.T) client.Config {
			return copyCache(t, func(tok string) string {
				parts := strings.Split(tok, ".")
				var p map[string]any
				_ = json.Unmarshal(must(decodeB64(parts[1])), &p)
				p["seats"] = p["seats"].(float64) + 1
				return parts[0] + "." + encodeSegment(p) + "." + parts[2]
			})
		}, client.ErrTokenInvalid},
		{"a token for another fingerprint", func(t *testing.T) client.Config {
			return copyCache(t, func(string) string { return otherToken })
		}, client.ErrWrongMachine},
		{"an expired token", func(t *testing.T) client.Config {
			c := cfg
			c.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
			return c
		}, client.ErrTokenExpired},
		{"a clock set back", func(t *testing.T) client.Config {
			c := cfg
			c.Now = func() time.Time { return time.Now().Add(-time.Hour) }
			return c
		}, client.ErrClockRollback},
	}
	for _, tc := range refusals {
		t.Run(tc.name+" gets no offline lease", func(t *testing.T) {
			l, err := newRealClient(t, tc.cfg(t)).Acquire(contextT(t))
			if l != nil || !errors.Is(err, client.ErrOfflineUnavailable) || !errors.Is(err, tc.want) {
				t.Fatalf("got lease %v and %v, want ErrOfflineUnavailable and %v", l, err, tc.want)
			}
		})
	}

	t.Run("a lease online before the outage continues offline", func(t *testing.T) {
		waitFor(t, 15*time.Second, "lease a offline", a.Offline)
		if a.Err() != nil {
			t.Fatalf("got %v, want the lease held", a.Err())
		}
	})

	t.Run("the server back on the same data dir and port brings the leases online by themselves", func(t *testing.T) {
		b := acquire(t, newRealClient(t, cfg))
		if !b.Offline() {
			t.Fatal("want an offline lease while the server is down")
		}
		srv2 := startServer(t, dataDir, addr)
		waitFor(t, 15*time.Second, "both leases online", func() bool { return !a.Offline() && !b.Offline() })
		if a.Err() != nil || b.Err() != nil || a.SessionID() == "" || b.SessionID() == "" {
			t.Fatalf("got errs %v, %v and sessions %q, %q, want two online leases", a.Err(), b.Err(), a.SessionID(), b.SessionID())
		}
		// a, b, and the other machine's lease, which came back online too.
		waitFor(t, 10*time.Second, "three seats in use", func() bool { return srv2.seatsInUse(key) == 3 })
		if err := a.Release(contextT(t)); err != nil {
			t.Fatal(err)
		}
		if err := b.Release(contextT(t)); err != nil {
			t.Fatal(err)
		}
		if got := srv2.seatsInUse(key); got != 1 {
			t.Fatalf("got %d seats in use after two releases, want 1", got)
		}
	})
}
