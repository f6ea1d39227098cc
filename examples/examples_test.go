// Package examples_test builds the examples and runs them against a fake
// license server, and checks that the Go code quoted in the integration
// guide is code from the examples, so the guide cannot drift from code that
// compiles and runs.
package examples_test

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coditect/coditect-license/client/clienttest"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binary returns the built example.
func binary(t *testing.T, name string) string {
	t.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "coditect-examples")
		if buildErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir+string(filepath.Separator), "./basic", "./offline").CombinedOutput()
		if err != nil {
			buildErr = err
			t.Logf("%s", out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build the examples: %v", buildErr)
	}
	return filepath.Join(binDir, name)
}

type result struct {
	code           int
	stdout, stderr string
}

func runExample(t *testing.T, srv *clienttest.Server, name string, args ...string) result {
	t.Helper()
	cmd := exec.Command(binary(t, name), args...)
	cmd.Env = append(os.Environ(), "CODITECT_SERVER="+srv.URL, "CODITECT_LICENSE_KEY="+srv.LicenseKey)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, stdout.String(), stderr.String()}
}

func want(t *testing.T, r result, code int, out string) {
	t.Helper()
	if r.code != code || !strings.Contains(r.stdout+r.stderr, out) {
		t.Fatalf("got exit %d, stdout %q, stderr %q; want exit %d and %q", r.code, r.stdout, r.stderr, code, out)
	}
}

func TestBasic(t *testing.T) {
	t.Parallel()

	t.Run("acquires, works and releases", func(t *testing.T) {
		t.Parallel()
		srv := clienttest.NewServer(t, clienttest.Options{Seats: 1})
		r := runExample(t, srv, "basic", "-work", "100ms")
		want(t, r, 0, "seat acquired")
		want(t, r, 0, "work done; releasing the seat")
		if srv.SeatsInUse() != 0 || srv.Requests("DELETE") != 1 {
			t.Fatalf("got %d seats in use and %d releases, want 0 and 1", srv.SeatsInUse(), srv.Requests("DELETE"))
		}
	})

	t.Run("explains a full license", func(t *testing.T) {
		t.Parallel()
		srv := clienttest.NewServer(t, clienttest.Options{Seats: 1})
		done := make(chan result, 1)
		go func() { done <- runExample(t, srv, "basic", "-work", "2s") }()
		deadline := time.Now().Add(10 * time.Second)
		for srv.SeatsInUse() == 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		want(t, runExample(t, srv, "basic"), 1, "all 1 seats are in use; try again in 6m0s")
		want(t, <-done, 0, "work done")
	})

	t.Run("explains a refused license", func(t *testing.T) {
		t.Parallel()
		srv := clienttest.NewServer(t, clienttest.Options{})
		srv.SetStatus("expired")
		want(t, runExample(t, srv, "basic"), 1, "this license cannot be used")
	})
}

func TestOffline(t *testing.T) {
	t.Parallel()
	srv := clienttest.NewServer(t, clienttest.Options{Seats: 1, Features: []string{"export"}})
	jwks := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(jwks, srv.JWKS(), 0o600); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()

	r := runExample(t, srv, "offline", "-jwks", jwks, "-cache-dir", cache, "-work", "50ms")
	want(t, r, 0, "online: seat acquired")
	want(t, r, 0, "the export feature is licensed")

	srv.SetDown(true)
	r = runExample(t, srv, "offline", "-jwks", jwks, "-cache-dir", cache, "-work", "50ms")
	want(t, r, 0, "offline: licensed until")

	r = runExample(t, srv, "offline", "-jwks", jwks, "-cache-dir", t.TempDir(), "-work", "50ms")
	want(t, r, 1, "there is no valid offline license")
}

const guide = "../docs/integration/CODITECT-LICENSE-CLIENT-INTEGRATION.md"

// TestGuideQuotesTheExamples checks that every ```go block of the guide is
// a run of lines from an example (indentation aside; a line "// ..." marks
// an elision).
func TestGuideQuotesTheExamples(t *testing.T) {
	t.Parallel()
	var sources []string
	for _, f := range []string{"basic/main.go", "offline/main.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, "\n"+normalize(string(b))+"\n")
	}
	b, err := os.ReadFile(guide)
	if err != nil {
		t.Fatal(err)
	}
	blocks := goBlocks(string(b))
	if len(blocks) < 3 {
		t.Fatalf("got %d go blocks in the guide, want at least 3", len(blocks))
	}
	for i, block := range blocks {
		for _, part := range strings.Split(normalize(block), "\n// ...\n") {
			found := false
			for _, src := range sources {
				found = found || strings.Contains(src, "\n"+strings.Trim(part, "\n")+"\n")
			}
			if !found {
				t.Errorf("go block %d of the guide is not in the examples:\n%s", i+1, part)
			}
		}
	}
}

// normalize trims every line and drops blank ones.
func normalize(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

func goBlocks(md string) []string {
	var blocks []string
	var cur []string
	in := false
	sc := bufio.NewScanner(strings.NewReader(md))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case !in && strings.TrimSpace(line) == "```go":
			in, cur = true, nil
		case in && strings.TrimSpace(line) == "```":
			in = false
			blocks = append(blocks, strings.Join(cur, "\n"))
		case in:
			cur = append(cur, line)
		}
	}
	return blocks
}
