//go:build chaos

package chaos_test

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
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

	"github.com/google/uuid"
	_ "github.com/jackc/pgx/v5/stdlib"
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

// threads is the server process's OS thread count (from /proc); the server
// exposes no goroutine count yet.
func (s *server) threads() int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
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

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// requireService skips (or, under CI=true, fails) a test whose service is
// missing.
func requireService(t *testing.T, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing service is a failure)", msg)
	}
	t.Skipf("!!! SKIPPING: %s", msg)
}

// postgresURL creates a fresh database on the server named by
// CODITECT_TEST_POSTGRES_URL and drops it when the test ends.
func postgresURL(t *testing.T) string {
	t.Helper()
	admin := os.Getenv("CODITECT_TEST_POSTGRES_URL")
	if admin == "" {
		admin = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		requireService(t, "PostgreSQL not reachable at %s: %v; set CODITECT_TEST_POSTGRES_URL or start it", admin, err)
	}
	name := "coditect_chaos_" + strings.ReplaceAll(uuid.NewString()[:13], "-", "")
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", admin)
		if err != nil {
			return
		}
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// redisServer is a redis-server of the test's own on a free loopback port,
// without persistence, so the test may stop, pause and restart it empty.
type redisServer struct {
	t    *testing.T
	port int
	cmd  *exec.Cmd
}

func startRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		requireService(t, "redis-server not installed")
	}
	r := &redisServer{t: t, port: freePort(t)}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

func (r *redisServer) start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir(), "--maxmemory-policy", "noeviction")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.cli("PING") != "PONG" {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %d did not start", r.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *redisServer) signal(sig syscall.Signal) {
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Errorf("redis signal %v: %v", sig, err)
	}
}

func (r *redisServer) stop() {
	if r.cmd != nil && r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

func (r *redisServer) cli(args ...string) string {
	out, _ := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(r.port)}, args...)...).Output()
	return strings.TrimSpace(string(out))
}
