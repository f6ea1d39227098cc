package main

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
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// These tests build cmd/coditect-license-server from this tree once and run
// the CLI against it. Set CODITECT_SERVER_BIN to use a prebuilt server.

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
		dir, err := os.MkdirTemp("", "coditect-cli-test")
		if err != nil {
			buildErr = err
			return
		}
		serverBin = filepath.Join(dir, "coditect-license-server")
		cmd := exec.Command("go", "build", "-o", serverBin, "../coditect-license-server")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build the server: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return serverBin
}

// realServer is a running server binary with an admin signed in.
type realServer struct {
	t     *testing.T
	base  string
	admin string
}

func startServer(t *testing.T) *realServer {
	t.Helper()
	const email, password = "owner@example.com", "correct horse battery staple"
	cmd := exec.Command(serverBinary(t), "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--sweep-interval", "500ms")
	cmd.Env = append(os.Environ(), "CODITECT_ADMIN_EMAIL="+email, "CODITECT_ADMIN_PASSWORD="+password)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	s := &realServer{t: t}
	sc := bufio.NewScanner(stdout)
	found := make(chan string, 1)
	go func() {
		for sc.Scan() {
			if _, addr, ok := strings.Cut(sc.Text(), "listening on "); ok {
				found <- strings.TrimSpace(addr)
			}
		}
	}()
	select {
	case s.base = <-found:
	case <-done:
		t.Fatalf("server exited before listening; stderr:\n%s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not report its address within 30s; stderr:\n%s", stderr.String())
	}
	resp, err := http.PostForm(s.base+"/oauth/token", url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("login: status %d, err %v", resp.StatusCode, err)
	}
	s.admin = "Bearer " + tok.AccessToken
	return s
}

// license creates a license and returns a CLI environment for it.
func (s *realServer) license(t *testing.T, seats, ttl int) *cliEnv {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"name": t.Name(), "seats": seats, "lease_ttl_seconds": ttl})
	req, _ := http.NewRequest("POST", s.base+"/api/v1/licenses", bytes.NewReader(b))
	req.Header.Set("Authorization", s.admin)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var lic struct {
		Key string `json:"key"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&lic); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create license: got %d (%v), want 201", resp.StatusCode, err)
	}
	return &cliEnv{vars: map[string]string{
		"CODITECT_SERVER": s.base, "CODITECT_LICENSE_KEY": lic.Key,
		"CODITECT_FINGERPRINT": "fp-" + strings.ReplaceAll(t.Name(), "/", "-"), "CODITECT_CACHE_DIR": t.TempDir(),
	}}
}

// seatsInUse reads seats_in_use from GET /api/v1/license.
func (s *realServer) seatsInUse(t *testing.T, e *cliEnv) int {
	t.Helper()
	req, _ := http.NewRequest("GET", s.base+"/api/v1/license", nil)
	req.Header.Set("Authorization", "License "+e.vars["CODITECT_LICENSE_KEY"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		SeatsInUse int `json:"seats_in_use"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st.SeatsInUse
}

func TestRealServerRun(t *testing.T) {
	t.Parallel()
	srv := startServer(t)

	t.Run("run -- sleep 2 holds a seat for about 2 s and releases it", func(t *testing.T) {
		t.Parallel()
		e := srv.license(t, 1, 5)
		began := time.Now()
		_, _, _, wait := e.start("run", "--", "sleep", "2")
		done := make(chan result, 1)
		go func() { done <- wait() }()
		// Poll the seat count while the command runs: it must be 1 from
		// shortly after the start until shortly before the end.
		var first, last time.Duration
		var r result
		for running := true; running; {
			select {
			case r = <-done:
				running = false
			case <-time.After(100 * time.Millisecond):
				if srv.seatsInUse(t, e) == 1 {
					if first == 0 {
						first = time.Since(began)
					}
					last = time.Since(began)
				}
			}
		}
		wantCode(t, r, exitOK)
		if first == 0 || first > 1500*time.Millisecond || last < 1500*time.Millisecond {
			t.Fatalf("saw the seat in use from %v to %v, want from under 1.5s to over 1.5s", first, last)
		}
		if took := time.Since(began); took < 2*time.Second || took > 8*time.Second {
			t.Fatalf("run took %v, want about 2s", took)
		}
		if got := srv.seatsInUse(t, e); got != 0 {
			t.Fatalf("got %d seats in use after the command, want 0", got)
		}
	})

	t.Run("with every seat taken it exits 75", func(t *testing.T) {
		t.Parallel()
		e := srv.license(t, 1, 5)
		wantCode(t, e.run("acquire", "--fingerprint", "fp-holder"), exitOK)
		r := e.run("run", "--", "true")
		wantCode(t, r, exitNoSeat)
		if !strings.Contains(r.stderr, "no free seat") {
			t.Fatalf("got stderr %q, want a clear message", r.stderr)
		}
	})

	t.Run("--wait takes the seat when one frees", func(t *testing.T) {
		t.Parallel()
		e := srv.license(t, 1, 5)
		holder := exports(t, e.run("acquire", "--fingerprint", "fp-holder").stdout)
		began := time.Now()
		_, _, stderr, wait := e.start("run", "--wait", "30s", "--", "true")
		waitOutput(t, stderr, "waiting up to 30s")
		r := e.run("release", "--session", holder["CODITECT_SESSION_ID"], "--token", holder["CODITECT_SESSION_TOKEN"])
		wantCode(t, r, exitOK)
		r = wait()
		wantCode(t, r, exitOK)
		if took := time.Since(began); took > 15*time.Second {
			t.Fatalf("run took %v, want the seat taken soon after it freed", took)
		}
		if got := srv.seatsInUse(t, e); got != 0 {
			t.Fatalf("got %d seats in use after the command, want 0", got)
		}
	})
}
