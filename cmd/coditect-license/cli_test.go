package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coditect/coditect-license/client"
	"github.com/coditect/coditect-license/client/clienttest"
)

// syncBuffer is an io.Writer that a command's copying goroutine and the
// test may use at once.
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

// result is one CLI invocation's outcome.
type result struct {
	code           int
	stdout, stderr string
}

// cliEnv is an environment for the CLI: variables and a fake server.
type cliEnv struct {
	srv  *clienttest.Server
	vars map[string]string
}

func newCLIEnv(t *testing.T, opts clienttest.Options) *cliEnv {
	t.Helper()
	srv := clienttest.NewServer(t, opts)
	return &cliEnv{srv: srv, vars: map[string]string{
		"CODITECT_SERVER": srv.URL, "CODITECT_LICENSE_KEY": srv.LicenseKey,
		"CODITECT_FINGERPRINT": "fp-cli-test", "CODITECT_CACHE_DIR": t.TempDir(),
	}}
}

func (e *cliEnv) getenv(k string) string { return e.vars[k] }

// run runs the CLI through run(), as main does.
func (e *cliEnv) run(args ...string) result {
	var stdout, stderr syncBuffer
	code := run(args, &stdout, &stderr, e.getenv)
	return result{code, stdout.String(), stderr.String()}
}

func wantCode(t *testing.T, r result, code int) {
	t.Helper()
	if r.code != code {
		t.Fatalf("got exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
}

// exports parses the `export K=V` lines of acquire.
func exports(t *testing.T, out string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			t.Fatalf("got line %q, want export K=V", line)
		}
		m[k] = v
	}
	return m
}

func TestUsage(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t, clienttest.Options{})
	cases := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"no command", nil, exitUsage, "Usage:"},
		{"unknown command", []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"help lists the exit codes", []string{"help"}, exitOK, "75  no free seat"},
		{"--help", []string{"--help"}, exitOK, "Exit codes:"},
		{"version", []string{"version"}, exitOK, "coditect-license " + client.Version},
		{"a command's -h", []string{"run", "-h"}, exitOK, "--wait"},
		{"a bad flag", []string{"status", "--no-such-flag"}, exitUsage, "flag provided but not defined"},
		{"run without a command", []string{"run"}, exitUsage, "run needs a command"},
		{"verify without a token", []string{"verify", "--jwks", "x"}, exitUsage, "one TOKEN"},
		{"verify without keys", []string{"verify", "--server=", "tok"}, exitUsage, "--jwks FILE"},
		{"heartbeat without a session", []string{"heartbeat"}, exitUsage, "no session"},
		{"release without a session", []string{"release"}, exitUsage, "no session"},
		{"acquire without a server", []string{"acquire", "--server="}, exitUsage, "no server"},
		{"acquire without a key", []string{"acquire", "--key="}, exitUsage, "no license key"},
		{"run without a key", []string{"run", "--key=", "--", "true"}, exitUsage, "no license key"},
		{"run without a server", []string{"run", "--server=", "--", "true"}, exitUsage, "no server"},
		{"a bad base URL", []string{"status", "--server", "localhost:1"}, exitError, "not an http(s) URL"},
		{"a missing --jwks file", []string{"acquire", "--jwks", "/nonexistent/jwks.json"}, exitUsage, "read --jwks"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := e.run(tc.args...)
			wantCode(t, r, tc.code)
			if !strings.Contains(r.stdout+r.stderr, tc.out) {
				t.Fatalf("got stdout %q stderr %q, want %q", r.stdout, r.stderr, tc.out)
			}
		})
	}
}

func TestFingerprintCommand(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t, clienttest.Options{})
	delete(e.vars, "CODITECT_FINGERPRINT")
	r := e.run("fingerprint", "--product", "acme-cad")
	want, err := client.Fingerprint("acme-cad")
	if err != nil {
		// CI machines have one (/etc/machine-id): there, this is a failure.
		if os.Getenv("CI") == "true" {
			t.Fatalf("no machine ID here: %v", err)
		}
		t.Skipf("no machine ID here: %v", err)
	}
	wantCode(t, r, exitOK)
	if got := strings.TrimSpace(r.stdout); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	if r := e.run("fingerprint", "--fingerprint", "fixed"); strings.TrimSpace(r.stdout) != "fixed" {
		t.Fatalf("got %q, want the --fingerprint value", r.stdout)
	}
}

func TestSessionCommands(t *testing.T) {
	t.Parallel()

	t.Run("acquire, heartbeat, status and release", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 2, Features: []string{"export"}})
		r := e.run("acquire")
		wantCode(t, r, exitOK)
		ex := exports(t, r.stdout)
		if ex["CODITECT_SESSION_ID"] == "" || ex["CODITECT_SESSION_TOKEN"] == "" || ex["CODITECT_HEARTBEAT_INTERVAL"] != "120" {
			t.Fatalf("got exports %v, want the session and interval 120", ex)
		}
		for k, v := range ex {
			e.vars[k] = v
		}
		r = e.run("heartbeat")
		wantCode(t, r, exitOK)
		if !strings.Contains(r.stdout, "extended until") {
			t.Fatalf("got %q, want the new expiry", r.stdout)
		}
		r = e.run("heartbeat", "--json")
		wantCode(t, r, exitOK)
		var beat map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &beat); err != nil || beat["session_id"] != ex["CODITECT_SESSION_ID"] {
			t.Fatalf("got %q (%v), want the session as JSON", r.stdout, err)
		}
		r = e.run("status")
		wantCode(t, r, exitOK)
		if !strings.Contains(r.stdout, "seats     1 of 2 in use") || !strings.Contains(r.stdout, "features  export") {
			t.Fatalf("got %q, want 1 of 2 seats and the features", r.stdout)
		}
		r = e.run("release")
		wantCode(t, r, exitOK)
		if got := e.srv.SeatsInUse(); got != 0 {
			t.Fatalf("got %d seats in use after release, want 0", got)
		}
		r = e.run("status", "--json")
		wantCode(t, r, exitOK)
		var st map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &st); err != nil || st["seats_in_use"] != float64(0) || st["expires_at"] != nil {
			t.Fatalf("got %q (%v), want 0 seats in use as JSON", r.stdout, err)
		}
		r = e.run("heartbeat")
		wantCode(t, r, exitLost)
	})

	t.Run("acquire --json and a fixed instance ID", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1})
		r := e.run("acquire", "--json", "--instance-id", "ci-runner")
		wantCode(t, r, exitOK)
		var s map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || s["instance_id"] != "ci-runner" || s["license_token"] == "" {
			t.Fatalf("got %q (%v), want the session as JSON", r.stdout, err)
		}
		// The same instance gets the same session, not a second seat.
		r = e.run("acquire", "--json", "--instance-id", "ci-runner")
		wantCode(t, r, exitOK)
		if !strings.Contains(r.stdout, s["session_id"].(string)) {
			t.Fatalf("got %q, want session %v again", r.stdout, s["session_id"])
		}
	})

	refusals := []struct {
		name  string
		setup func(e *cliEnv)
		code  int
		msg   string
	}{
		{"every seat taken", func(e *cliEnv) { e.run("acquire") }, exitNoSeat, "no free seat: All 1 seats"},
		{"rate limited", func(e *cliEnv) {
			e.srv.Inject(clienttest.Fault{Status: 429, RetryAfter: time.Hour, Times: 10})
		}, exitNoSeat, "no free seat"},
		{"a wrong key", func(e *cliEnv) { e.vars["CODITECT_LICENSE_KEY"] = "CDT-WRONG" }, exitRefused, "invalid_license_key"},
		{"a suspended license", func(e *cliEnv) { e.srv.SetStatus("suspended") }, exitRefused, "license_suspended"},
		{"an expired license", func(e *cliEnv) { e.srv.SetStatus("expired") }, exitRefused, "license_expired"},
		{"the server down", func(e *cliEnv) { e.srv.Close() }, exitUnavailable, "unreachable"},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newCLIEnv(t, clienttest.Options{Seats: 1})
			tc.setup(e)
			r := e.run("acquire", "--timeout", "5s")
			wantCode(t, r, tc.code)
			if !strings.Contains(r.stderr, tc.msg) {
				t.Fatalf("got stderr %q, want %q", r.stderr, tc.msg)
			}
		})
	}
}

func TestVerifyCommand(t *testing.T) {
	t.Parallel()
	e := newCLIEnv(t, clienttest.Options{Features: []string{"export"}})
	r := e.run("acquire", "--json")
	wantCode(t, r, exitOK)
	var s struct {
		LicenseToken string `json:"license_token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
		t.Fatal(err)
	}
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, e.srv.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(s.LicenseToken, ".")
	tampered := parts[0] + "." + parts[1][:len(parts[1])-2] + "xx." + parts[2]

	cases := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string
	}{
		{"with --jwks", []string{"verify", "--jwks", jwks, s.LicenseToken}, "", exitOK, "fingerprint  fp-cli-test"},
		{"with --server", []string{"verify", s.LicenseToken}, "", exitOK, "valid license token"},
		{"as JSON", []string{"verify", "--jwks", jwks, "--json", s.LicenseToken}, "", exitOK, `"fpr": "fp-cli-test"`},
		{"from stdin", []string{"verify", "--jwks", jwks, "-"}, s.LicenseToken + "\n", exitOK, "features     export"},
		{"bound to this machine", []string{"verify", "--jwks", jwks, "--this-machine", s.LicenseToken}, "", exitOK, "valid"},
		{"bound to another machine", []string{"verify", "--jwks", jwks, "--this-machine", "--fingerprint", "fp-else", s.LicenseToken}, "", exitInvalid, "another machine"},
		{"tampered", []string{"verify", "--jwks", jwks, tampered}, "", exitInvalid, "not valid"},
		{"garbage", []string{"verify", "--jwks", jwks, "garbage"}, "", exitInvalid, "not valid"},
		{"a JWKS without keys", []string{"verify", "--jwks", os.DevNull, s.LicenseToken}, "", exitError, "parse JWKS"},
		{"a missing JWKS", []string{"verify", "--jwks", "/nonexistent", s.LicenseToken}, "", exitError, "read --jwks"},
		{"a server down", []string{"verify", "--server", "http://127.0.0.1:1", "--timeout", "2s", s.LicenseToken}, "", exitUnavailable, "unreachable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr syncBuffer
			c := &cli{stdin: strings.NewReader(tc.stdin), stdout: &stdout, stderr: &stderr, getenv: e.getenv}
			code := c.main(tc.args)
			r := result{code, stdout.String(), stderr.String()}
			wantCode(t, r, tc.code)
			if !strings.Contains(r.stdout+r.stderr, tc.out) {
				t.Fatalf("got stdout %q stderr %q, want %q", r.stdout, r.stderr, tc.out)
			}
		})
	}
}

// fakeSignals is a cli's notify that hands the test the channel the CLI
// listens on.
type fakeSignals struct {
	mu sync.Mutex
	ch chan<- os.Signal
}

func (f *fakeSignals) notify(c chan<- os.Signal, _ ...os.Signal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ch = c
}

func (f *fakeSignals) stop(chan<- os.Signal) {}

func (f *fakeSignals) send(t *testing.T, sig os.Signal) {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.ch == nil {
		t.Fatal("the CLI does not listen for signals")
	}
	f.ch <- sig
}

// runCLI runs the CLI in a goroutine with fake signals; wait returns its
// result.
func (e *cliEnv) start(args ...string) (sigs *fakeSignals, stdout, stderr *syncBuffer, wait func() result) {
	sigs, stdout, stderr = &fakeSignals{}, &syncBuffer{}, &syncBuffer{}
	c := &cli{stdin: strings.NewReader(""), stdout: stdout, stderr: stderr, getenv: e.getenv, notify: sigs.notify, stopNotify: sigs.stop}
	done := make(chan int, 1)
	go func() { done <- c.main(args) }()
	return sigs, stdout, stderr, func() result {
		select {
		case code := <-done:
			return result{code, stdout.String(), stderr.String()}
		case <-time.After(60 * time.Second):
			panic("the CLI did not exit within 60s")
		}
	}
}

func waitOutput(t *testing.T, b *syncBuffer, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("got output %q, want %q within 10s", b.String(), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRunCommand(t *testing.T) {
	t.Parallel()

	t.Run("exits with the command's status and releases the seat", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1})
		r := e.run("run", "--", "sh", "-c", "echo held; exit 3")
		wantCode(t, r, 3)
		if r.stdout != "held\n" || e.srv.SeatsInUse() != 0 || e.srv.Requests("DELETE") != 1 {
			t.Fatalf("got stdout %q, %d seats in use, %d releases, want the output, 0 and 1", r.stdout, e.srv.SeatsInUse(), e.srv.Requests("DELETE"))
		}
	})

	t.Run("a command that does not exist is 127", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1})
		wantCode(t, e.run("run", "--", "/nonexistent/command"), exitNotFound)
		wantCode(t, e.run("run", "--", "no-such-command-coditect"), exitNotFound)
		if e.srv.SeatsInUse() != 0 {
			t.Fatalf("got %d seats in use, want the seat released", e.srv.SeatsInUse())
		}
	})

	t.Run("a command that cannot be executed is 126", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1})
		wantCode(t, e.run("run", "--", t.TempDir()), exitCannotRun)
	})

	t.Run("with every seat taken it exits 75 with a clear message", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1})
		wantCode(t, e.run("acquire"), exitOK)
		r := e.run("run", "--", "true")
		wantCode(t, r, exitNoSeat)
		if !strings.Contains(r.stderr, "no free seat") {
			t.Fatalf("got stderr %q, want a clear message", r.stderr)
		}
	})

	t.Run("--wait takes the seat when one frees", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1})
		holder := exports(t, e.run("acquire").stdout)
		var stdout, stderr syncBuffer
		var slept []time.Duration
		c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: e.getenv,
			notify: (&fakeSignals{}).notify, stopNotify: (&fakeSignals{}).stop,
			sleep: func(ctx context.Context, d time.Duration) error {
				slept = append(slept, d)
				if len(slept) == 2 {
					e.vars["CODITECT_SESSION_ID"], e.vars["CODITECT_SESSION_TOKEN"] = holder["CODITECT_SESSION_ID"], holder["CODITECT_SESSION_TOKEN"]
					e.run("release")
				}
				return nil
			}}
		code := c.main([]string{"run", "--wait", "10m", "--", "true"})
		wantCode(t, result{code, stdout.String(), stderr.String()}, exitOK)
		if len(slept) != 2 || slept[0] < 350*time.Second || slept[0] > 360*time.Second {
			t.Fatalf("got waits %v, want two at the server's Retry-After (about 360s)", slept)
		}
		if !strings.Contains(stderr.String(), "waiting up to 10m0s") {
			t.Fatalf("got stderr %q, want the wait announced", stderr.String())
		}
	})

	t.Run("--wait gives up with 75 when no seat frees in time", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1})
		wantCode(t, e.run("acquire"), exitOK)
		var stdout, stderr syncBuffer
		c := &cli{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: e.getenv,
			sleep: func(ctx context.Context, d time.Duration) error { time.Sleep(d); return nil }}
		code := c.main([]string{"run", "--wait", "300ms", "--", "true"})
		wantCode(t, result{code, stdout.String(), stderr.String()}, exitNoSeat)
		if !strings.Contains(stderr.String(), "no seat freed within --wait 300ms") {
			t.Fatalf("got stderr %q, want the wait's end explained", stderr.String())
		}
	})

	t.Run("SIGTERM and SIGINT are forwarded to the command", func(t *testing.T) {
		t.Parallel()
		for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
			e := newCLIEnv(t, clienttest.Options{Seats: 1})
			sigs, stdout, _, wait := e.start("run", "--", "sh", "-c", `trap 'echo got; exit 42' TERM INT; echo ready; while :; do sleep 0.05; done`)
			waitOutput(t, stdout, "ready")
			sigs.send(t, sig)
			r := wait()
			wantCode(t, r, 42)
			if r.stdout != "ready\ngot\n" || e.srv.SeatsInUse() != 0 {
				t.Fatalf("%v: got stdout %q and %d seats in use, want the trap's output and the seat released", sig, r.stdout, e.srv.SeatsInUse())
			}
		}
	})

	t.Run("a command killed by a signal exits 128+N", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1})
		wantCode(t, e.run("run", "--", "sh", "-c", "kill -KILL $$"), 128+int(syscall.SIGKILL))
	})

	t.Run("a lost lease stops the command and exits 76", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1, LeaseTTL: 5 * time.Second})
		_, stdout, stderr, wait := e.start("run", "--kill-after", "200ms", "--", "sh", "-c", `trap '' TERM; echo ready; while :; do sleep 0.05; done`)
		waitOutput(t, stdout, "ready")
		// The next heartbeat finds the session gone and the re-acquire refused.
		e.srv.SetStatus("suspended")
		e.srv.Inject(clienttest.Fault{Path: "POST /api/v1/sessions/*", Status: 410, Code: "session_revoked"})
		r := wait()
		wantCode(t, r, exitLost)
		if !strings.Contains(stderr.String(), "license_suspended") || !strings.Contains(stderr.String(), "stopping sh") {
			t.Fatalf("got stderr %q, want the loss explained", stderr.String())
		}
	})

	t.Run("offline, it runs the command on the cached license", func(t *testing.T) {
		t.Parallel()
		e := newCLIEnv(t, clienttest.Options{Seats: 1})
		wantCode(t, e.run("run", "--", "true"), exitOK)
		e.srv.SetDown(true)
		r := e.run("run", "--", "sh", "-c", "echo offline-ok")
		wantCode(t, r, exitOK)
		if r.stdout != "offline-ok\n" || !regexp.MustCompile(`running on the offline license until \S+`).MatchString(r.stderr) {
			t.Fatalf("got stdout %q stderr %q, want the command run offline with a notice", r.stdout, r.stderr)
		}
		r = e.run("run", "--cache-dir=", "--", "true")
		wantCode(t, r, exitUnavailable)
	})
}
