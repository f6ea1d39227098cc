package main_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The tests build the real server and the load tool, start the server on a
// free loopback port with its own data directory, and run the tool's binary.

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// childEnv is the environment of a binary the tests start, with the
// coverage directory of make cover when there is one.
func childEnv(extra ...string) []string {
	env := append(os.Environ(), extra...)
	if dir := os.Getenv("CODITECT_E2E_COVERDIR"); dir != "" {
		env = append(env, "GOCOVERDIR="+dir)
	}
	return env
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

func binaries(t *testing.T) (server, bench string) {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "coditect-bench-bin")
		if buildErr != nil {
			return
		}
		for _, b := range []struct{ out, pkg string }{
			{"coditect-license-server", "../coditect-license-server"},
			{"coditect-bench", "."},
		} {
			args := []string{"build", "-o", filepath.Join(binDir, b.out), b.pkg}
			if os.Getenv("CODITECT_E2E_COVERDIR") != "" {
				// make cover: the binaries write their coverage there.
				args = []string{"build", "-cover", "-coverpkg=github.com/coditect/coditect-license/...", "-o", filepath.Join(binDir, b.out), b.pkg}
			}
			out, err := exec.Command("go", args...).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(binDir, "coditect-license-server"), filepath.Join(binDir, "coditect-bench")
}

const (
	adminEmail    = "bench-owner@example.com"
	adminPassword = "correct horse battery staple"
)

// startServer runs a fresh server with rate limits off, as bench.mk does,
// and returns its base URL.
func startServer(t *testing.T) string {
	t.Helper()
	server, _ := binaries(t)
	cmd := exec.Command(server, "--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--rate-limits=false", "--log-level", "warn")
	cmd.Env = childEnv("CODITECT_ADMIN_EMAIL="+adminEmail, "CODITECT_ADMIN_PASSWORD="+adminPassword)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("server did not stop within 20s of SIGTERM")
		}
	})
	urls := make(chan string, 1)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, addr, ok := strings.Cut(sc.Text(), "listening on "); ok {
				urls <- strings.TrimSpace(addr)
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case u := <-urls:
		return u
	case <-done:
		t.Fatalf("server exited before listening; stderr:\n%s", stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("server did not report its address within 30s; stderr:\n%s", stderr.String())
	}
	return ""
}

type report struct {
	Mode            string `json:"mode"`
	SeatsPerLicense int    `json:"seats_per_license"`
	Cycles          int    `json:"cycles"`
	Ops             []struct {
		Op     string  `json:"op"`
		Count  int     `json:"count"`
		Errors int     `json:"errors"`
		P50    float64 `json:"p50_ms"`
		P99    float64 `json:"p99_ms"`
		Max    float64 `json:"max_ms"`
	} `json:"ops"`
	Errors []struct {
		Op     string `json:"op"`
		Status int    `json:"status"`
		Code   string `json:"code"`
		Count  int    `json:"count"`
	} `json:"errors"`
	Seats struct {
		MaxLicenseInUse int  `json:"max_license_in_use"`
		Oversold        bool `json:"oversold"`
		Samples         []struct {
			InUse int `json:"in_use"`
		} `json:"samples"`
	} `json:"seats"`
}

func runBench(t *testing.T, url string, args ...string) (report, string) {
	t.Helper()
	_, bench := binaries(t)
	cmd := exec.Command(bench, append([]string{"--url", url, "--sample", "50ms"}, args...)...)
	cmd.Env = childEnv("CODITECT_ADMIN_EMAIL="+adminEmail, "CODITECT_ADMIN_PASSWORD="+adminPassword)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("coditect-bench %v: %v\nstderr:\n%s", args, err, stderr.String())
	}
	var rep report
	if len(args) > 0 && args[len(args)-1] == "--json" {
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("decode report: %v\n%s", err, stdout.String())
		}
	}
	return rep, stdout.String()
}

func TestLoadTool(t *testing.T) {
	t.Parallel()
	url := startServer(t)

	t.Run("cycle mode reports every operation without errors or overselling", func(t *testing.T) {
		rep, out := runBench(t, url, "--mode", "cycle", "-c", "4", "-k", "2", "--duration", "1500ms", "--max-ops", "2000", "--json")
		ops := map[string]int{}
		for _, o := range rep.Ops {
			ops[o.Op] = o.Count
			if o.Errors != 0 || o.P50 <= 0 || o.P99 < o.P50 || o.Max < o.P99 {
				t.Errorf("op %s: got errors %d, p50 %v, p99 %v, max %v; want 0 errors and 0 < p50 <= p99 <= max", o.Op, o.Errors, o.P50, o.P99, o.Max)
			}
		}
		for _, op := range []string{"acquire", "heartbeat", "release"} {
			if ops[op] == 0 {
				t.Errorf("op %s: got no successful requests, want some; report:\n%s", op, out)
			}
		}
		if ops["heartbeat"] < ops["release"] {
			t.Errorf("heartbeats: got %d, want at least the %d releases (k=2)", ops["heartbeat"], ops["release"])
		}
		if len(rep.Errors) != 0 {
			t.Errorf("errors: got %+v, want none", rep.Errors)
		}
		if rep.Cycles == 0 {
			t.Errorf("cycles: got 0, want some")
		}
		checkSeats(t, rep, out)
	})

	t.Run("max-ops bounds a run", func(t *testing.T) {
		rep, _ := runBench(t, url, "--mode", "heartbeat", "-c", "2", "--duration", "30s", "--max-ops", "100", "--json")
		total := 0
		for _, o := range rep.Ops {
			total += o.Count + o.Errors
		}
		if total != 100 {
			t.Errorf("operations: got %d, want 100", total)
		}
		if len(rep.Errors) != 0 {
			t.Errorf("errors: got %+v, want none", rep.Errors)
		}
		checkSeats(t, rep, "")
	})

	t.Run("lifecycle mode never oversells with more clients than seats", func(t *testing.T) {
		rep, out := runBench(t, url, "--mode", "lifecycle", "-c", "6", "--seats", "3", "--lease-ttl", "5",
			"--compress", "10", "--hold", "2s", "--vanish", "0.3", "--duration", "2s", "--json")
		for _, e := range rep.Errors {
			if e.Code != "seats_exhausted" {
				t.Errorf("error %+v: want only seats_exhausted denials", e)
			}
		}
		if rep.SeatsPerLicense != 3 {
			t.Errorf("seats: got %d, want 3", rep.SeatsPerLicense)
		}
		checkSeats(t, rep, out)
	})

	t.Run("table output names the operations", func(t *testing.T) {
		_, out := runBench(t, url, "--mode", "cycle", "-c", "2", "--max-ops", "60", "--duration", "10s")
		for _, want := range []string{"acquire", "heartbeat", "release", "p99 ms", "errors: none", "never above the license's seats"} {
			if !strings.Contains(out, want) {
				t.Errorf("table: got\n%s\nwant it to contain %q", out, want)
			}
		}
	})
}

func checkSeats(t *testing.T, rep report, out string) {
	t.Helper()
	if len(rep.Seats.Samples) == 0 {
		t.Errorf("seat samples: got none, want some")
	}
	if rep.Seats.Oversold || rep.Seats.MaxLicenseInUse > rep.SeatsPerLicense {
		t.Errorf("seats in use: got max %d, want at most %d; report:\n%s", rep.Seats.MaxLicenseInUse, rep.SeatsPerLicense, out)
	}
}

func TestFlags(t *testing.T) {
	t.Parallel()
	_, bench := binaries(t)
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"unknown mode", []string{"--mode", "flood", "--admin-email", "a", "--admin-password", "b"}, nil, "--mode"},
		{"no credentials", []string{"--mode", "cycle"}, []string{"CODITECT_ADMIN_EMAIL=", "CODITECT_ADMIN_PASSWORD="}, "--admin-email"},
		{"unbounded", []string{"--duration", "0", "--admin-email", "a", "--admin-password", "b"}, nil, "bounded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bench, tc.args...)
			cmd.Env = childEnv(tc.env...)
			out, err := cmd.CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("coditect-bench %v: got error %v, output %q; want a failure naming %q", tc.args, err, out, tc.want)
			}
		})
	}
}

// The calibration needs no server or credentials and reports a rate.
func TestHelloCalibration(t *testing.T) {
	t.Parallel()
	_, bench := binaries(t)
	cmd := exec.Command(bench, "--mode", "hello", "-c", "4", "--duration", "300ms")
	cmd.Env = childEnv("CODITECT_ADMIN_EMAIL=", "CODITECT_ADMIN_PASSWORD=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("coditect-bench --mode hello: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`c=4, .*: (\d+) requests/s \(p50 [0-9.]+ ms, p99 [0-9.]+ ms\)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("output %q: want the calibration line", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n <= 0 {
		t.Fatalf("calibration rate %d, want > 0", n)
	}
	cmd = exec.Command(bench, "--mode", "hello", "--duration", "0", "--max-ops", "10")
	if out, err := cmd.CombinedOutput(); err == nil || !strings.Contains(string(out), "--duration") {
		t.Fatalf("hello without a duration: %v %q, want an error naming --duration", err, out)
	}
}
