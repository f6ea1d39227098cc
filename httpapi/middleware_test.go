package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/coditect/coditect-license/httpapi"
)

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

func TestAccessLogOmitsCredentials(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	srv := &httpapi.Server{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	h := srv.Handler()
	req := httptest.NewRequest("GET", "/healthz", nil)
	req.Header.Set("Authorization", "License CDT-SECRETKEY")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	out := logs.String()
	if !strings.Contains(out, "path=/healthz") || !strings.Contains(out, "status=200") {
		t.Fatalf("got log %q, want the path and status", out)
	}
	if strings.Contains(out, "SECRETKEY") {
		t.Fatalf("log leaks the license key: %q", out)
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	// A server without a Ready function panics in /readyz; the panic must
	// become a 500 problem, be logged, and leave the server serving.
	srv := &httpapi.Server{Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	hs := httptest.NewServer(srv.Handler())
	defer hs.Close()
	resp, err := http.Get(hs.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 500 || body["code"] != "internal" || body["detail"] != "An internal error occurred." {
		t.Fatalf("got %d %v, want a 500 internal problem without details", resp.StatusCode, body)
	}
	if !strings.Contains(logs.String(), "panic serving request") {
		t.Fatalf("got log %q, want the panic logged", logs.String())
	}
	resp, err = http.Get(hs.URL + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("after a panic: got %v %v, want 200", resp, err)
	}
	resp.Body.Close()
}

func TestUIServesEverythingOutsideTheAPI(t *testing.T) {
	t.Parallel()
	ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		_, _ = w.Write([]byte("<html>dashboard</html>"))
	})
	hs := httptest.NewServer((&httpapi.Server{UI: ui}).Handler())
	defer hs.Close()
	for path, wantUI := range map[string]bool{"/": true, "/licenses/123": true, "/api/v1/nothing": false, "/oauth/nothing": false} {
		resp, err := http.Get(hs.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := strings.Contains(string(body), "dashboard"); got != wantUI {
			t.Errorf("%s: got the UI %v, want %v (status %d)", path, got, wantUI, resp.StatusCode)
		}
		if wantUI && resp.Header.Get("Content-Security-Policy") != "default-src 'self'" {
			t.Errorf("%s: got CSP %q, want the UI's own", path, resp.Header.Get("Content-Security-Policy"))
		}
		if !wantUI && resp.StatusCode != 404 {
			t.Errorf("%s: got %d, want a 404 problem", path, resp.StatusCode)
		}
	}
}
