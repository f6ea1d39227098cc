// Package testservice gives end-to-end tests the services they need: a
// fresh PostgreSQL database, a redis-server of their own on a free
// loopback port, free ports. A missing service skips the test loudly, and
// fails it under CI=true.
package testservice

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx database/sql driver
)

// Require skips (or, under CI=true, fails) a test whose service is missing.
func Require(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing service is a failure)", msg)
	}
	t.Skipf("!!! SKIPPING: %s", msg)
}

// PostgresURL creates a fresh database, named prefix plus a random suffix,
// on the server named by CODITECT_TEST_POSTGRES_URL and returns its URL;
// the database is dropped when the test ends.
func PostgresURL(t testing.TB, prefix string) string {
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
		Require(t, "PostgreSQL not reachable at %s: %v; set CODITECT_TEST_POSTGRES_URL or start it", admin, err)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + hex.EncodeToString(b)
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

// Redis is a redis-server of the test's own on a free loopback port,
// without persistence, so the test may flush, pause, stop and restart it.
type Redis struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
}

// StartRedis starts a Redis and stops it when the test ends.
func StartRedis(t testing.TB) *Redis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		Require(t, "redis-server not installed")
	}
	r := &Redis{t: t, port: FreePort(t)}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the Redis URL of the server.
func (r *Redis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// Start starts the server (again, empty) on its port.
func (r *Redis) Start() {
	r.t.Helper()
	r.cmd = exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir(), "--maxmemory-policy", "noeviction")
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for r.CLI("PING") != "PONG" {
		if time.Now().After(deadline) {
			r.t.Fatalf("redis-server on port %d did not start", r.port)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Signal sends sig to the server (SIGSTOP pauses it, SIGCONT resumes).
func (r *Redis) Signal(sig syscall.Signal) {
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Errorf("redis signal %v: %v", sig, err)
	}
}

// Stop kills the server; without persistence it restarts empty.
func (r *Redis) Stop() {
	if r.cmd != nil && r.cmd.ProcessState == nil {
		_ = r.cmd.Process.Signal(syscall.SIGCONT)
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

// CLI runs one redis-cli command and returns its trimmed output.
func (r *Redis) CLI(args ...string) string {
	out, _ := exec.Command("redis-cli", append([]string{"-p", strconv.Itoa(r.port)}, args...)...).Output()
	return strings.TrimSpace(string(out))
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
