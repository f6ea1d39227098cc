//go:build chaos

package chaos_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coditect/coditect-license/internal/testservice"
)

// The fault tests run the real server binary, built once without the race
// detector (the faults, not the server's speed, are under test), on fixed
// free loopback ports so that a restarted server keeps its address.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// TestMain removes the built binary after the run.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		_ = os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

func serverBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "coditect-chaos-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "coditect-license-server")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/coditect/coditect-license/cmd/coditect-license-server").CombinedOutput()
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

// server is one server process that the test may kill, pause and restart
// on the same port and data directory.
type server struct {
	t      *testing.T
	args   []string
	base   string
	cmd    *exec.Cmd
	done   chan struct{}
	mu     sync.Mutex
	stderr bytes.Buffer
}

func startServer(t *testing.T, dataDir string, extra ...string) *server {
	t.Helper()
	port := freePort(t)
	s := &server{
		t:    t,
		base: fmt.Sprintf("http://127.0.0.1:%d", port),
		args: append([]string{"--listen", fmt.Sprintf("127.0.0.1:%d", port), "--data-dir", dataDir,
			"--sweep-interval", "500ms", "--rate-limits=false", "--log-level", "warn"}, extra...),
	}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *server) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.Write(b)
}

func (s *server) logs() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stderr.String()
}

func (s *server) start() {
	s.t.Helper()
	cmd := exec.Command(serverBinary(s.t), s.args...)
	cmd.Env = append(os.Environ(), "CODITECT_ADMIN_EMAIL="+adminEmail, "CODITECT_ADMIN_PASSWORD="+adminPassword)
	cmd.Stderr = s
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { _ = cmd.Wait(); close(s.done) }()
	listening := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		once := sync.Once{}
		for sc.Scan() {
			if strings.Contains(sc.Text(), "listening on") {
				once.Do(func() { close(listening) })
			}
		}
	}()
	select {
	case <-listening:
	case <-s.done:
		s.t.Fatalf("server exited before listening:\n%s", s.logs())
	case <-time.After(60 * time.Second):
		s.t.Fatalf("server did not listen within 60s:\n%s", s.logs())
	}
}

// kill ends the server with SIGKILL: no graceful shutdown, no write-back.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

func (s *server) signal(sig syscall.Signal) {
	if err := s.cmd.Process.Signal(sig); err != nil {
		s.t.Errorf("signal %v: %v", sig, err)
	}
}

// goroutines is the server's goroutine count, go_goroutines from its
// /metrics, or -1 if it cannot be read. The scrape runs on a connection
// of its own, so the workload's connections are counted the same way in
// every reading.
func (s *server) goroutines() int {
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(s.base + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "go_goroutines "); ok {
			if n, err := strconv.ParseFloat(v, 64); err == nil {
				return int(n)
			}
		}
	}
	return -1
}

func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT)
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(20 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	if strings.Contains(s.logs(), "panic") {
		s.t.Errorf("server logged a panic:\n%s", s.logs())
	}
}

// setup signs in and creates licenses of the given seats and TTL.
func (s *server) setup(n, seats int, ttl time.Duration) []lic {
	s.t.Helper()
	form := url.Values{"grant_type": {"password"}, "username": {adminEmail}, "password": {adminPassword}}
	resp, err := http.PostForm(s.base+"/oauth/token", form)
	if err != nil {
		s.t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil || tok.AccessToken == "" {
		s.t.Fatalf("login: status %d, err %v", resp.StatusCode, err)
	}
	var out []lic
	for i := range n {
		body, _ := json.Marshal(map[string]any{"name": fmt.Sprint("chaos ", i), "seats": seats, "lease_ttl_seconds": int(ttl.Seconds())})
		req, _ := http.NewRequest("POST", s.base+"/api/v1/licenses", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			s.t.Fatal(err)
		}
		var l struct{ ID, Key string }
		err = json.NewDecoder(resp.Body).Decode(&l)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusCreated {
			s.t.Fatalf("create license: status %d, err %v", resp.StatusCode, err)
		}
		out = append(out, lic{ID: l.ID, Key: l.Key, Seats: seats, TTL: ttl})
	}
	return out
}

func freePort(t *testing.T) int { return testservice.FreePort(t) }

func postgresURL(t *testing.T) string { return testservice.PostgresURL(t, "coditect_chaos_") }

func startRedis(t *testing.T) *testservice.Redis { return testservice.StartRedis(t) }
