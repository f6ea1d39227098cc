package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/coditect/coditect-license/web"
)

const indexHTML = `<!doctype html><html><body><div id="root"></div><script type="module" src="/assets/index-abc123.js"></script></body></html>`

func testFS() fstest.MapFS {
	return fstest.MapFS{
		"index.html":              {Data: []byte(indexHTML)},
		"favicon.svg":             {Data: []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`)},
		"assets/index-abc123.js":  {Data: []byte(`console.log("app")`)},
		"assets/index-def456.css": {Data: []byte(`body{}`)},
		".gitkeep":                {Data: nil},
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

func serve(t *testing.T, h http.Handler, method, target string, header ...string) response {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, err := io.ReadAll(rec.Result().Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return response{status: rec.Code, header: rec.Result().Header, body: string(b)}
}

func TestHandler(t *testing.T) {
	t.Parallel()
	h := web.HandlerFS(testFS())

	t.Run("root serves index.html without caching", func(t *testing.T) {
		t.Parallel()
		r := serve(t, h, "GET", "/")
		if r.status != 200 || r.body != indexHTML {
			t.Fatalf("got %d %q, want 200 with index.html", r.status, r.body)
		}
		if got, want := r.header.Get("Cache-Control"), "no-cache"; got != want {
			t.Errorf("Cache-Control: got %q, want %q", got, want)
		}
		if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "text/html") {
			t.Errorf("Content-Type: got %q, want text/html", got)
		}
	})

	t.Run("client-side routes fall back to index.html", func(t *testing.T) {
		t.Parallel()
		for _, p := range []string{"/licenses", "/licenses/0190-abc", "/sessions?license=x", "/settings/users/"} {
			r := serve(t, h, "GET", p)
			if r.status != 200 || r.body != indexHTML {
				t.Errorf("%s: got %d %q, want 200 with index.html", p, r.status, r.body)
			}
			if got := r.header.Get("Cache-Control"); got != "no-cache" {
				t.Errorf("%s: Cache-Control: got %q, want no-cache", p, got)
			}
		}
	})

	t.Run("hashed assets are immutable", func(t *testing.T) {
		t.Parallel()
		r := serve(t, h, "GET", "/assets/index-abc123.js")
		if r.status != 200 || r.body != `console.log("app")` {
			t.Fatalf("got %d %q, want 200 with the script", r.status, r.body)
		}
		if got, want := r.header.Get("Cache-Control"), "public, max-age=31536000, immutable"; got != want {
			t.Errorf("Cache-Control: got %q, want %q", got, want)
		}
		if got := r.header.Get("Content-Type"); !strings.HasPrefix(got, "text/javascript") {
			t.Errorf("Content-Type: got %q, want text/javascript", got)
		}
	})

	t.Run("other files are served and revalidated", func(t *testing.T) {
		t.Parallel()
		r := serve(t, h, "GET", "/favicon.svg")
		if r.status != 200 || r.header.Get("Content-Type") != "image/svg+xml" {
			t.Fatalf("got %d %q, want 200 image/svg+xml", r.status, r.header.Get("Content-Type"))
		}
		if got := r.header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("Cache-Control: got %q, want no-cache", got)
		}
	})

	t.Run("missing assets and files are 404, not the app", func(t *testing.T) {
		t.Parallel()
		for _, p := range []string{"/assets/index-old999.js", "/assets/chunk", "/robots.txt", "/missing.png"} {
			r := serve(t, h, "GET", p)
			if r.status != 404 || strings.Contains(r.body, "<div id=\"root\">") {
				t.Errorf("%s: got %d %q, want 404 without the app", p, r.status, r.body)
			}
		}
	})

	t.Run("every response carries the strict CSP", func(t *testing.T) {
		t.Parallel()
		for _, p := range []string{"/", "/licenses", "/assets/index-abc123.js", "/nope.js"} {
			r := serve(t, h, "GET", p)
			if got := r.header.Get("Content-Security-Policy"); got != web.ContentSecurityPolicy {
				t.Errorf("%s: CSP: got %q, want %q", p, got, web.ContentSecurityPolicy)
			}
			for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"} {
				if !strings.Contains(r.header.Get("Content-Security-Policy"), want) {
					t.Errorf("%s: CSP lacks %q", p, want)
				}
			}
			if got := r.header.Get("X-Content-Type-Options"); got != "nosniff" {
				t.Errorf("%s: X-Content-Type-Options: got %q, want nosniff", p, got)
			}
		}
	})

	t.Run("ETags let browsers revalidate index.html", func(t *testing.T) {
		t.Parallel()
		first := serve(t, h, "GET", "/")
		tag := first.header.Get("ETag")
		if tag == "" {
			t.Fatal("got no ETag on index.html")
		}
		again := serve(t, h, "GET", "/licenses", "If-None-Match", tag)
		if again.status != http.StatusNotModified {
			t.Errorf("got %d, want 304 for a matching If-None-Match", again.status)
		}
	})

	t.Run("path traversal stays inside the build", func(t *testing.T) {
		t.Parallel()
		if r := serve(t, h, "GET", "/assets/../../go.mod"); r.status != 404 {
			t.Errorf("go.mod: got %d, want 404", r.status)
		}
		if r := serve(t, h, "GET", "/../../etc/passwd"); r.status != 200 || r.body != indexHTML {
			t.Errorf("/etc/passwd: got %d %q, want the app", r.status, r.body)
		}
	})

	t.Run("dotfiles are not served", func(t *testing.T) {
		t.Parallel()
		if r := serve(t, h, "GET", "/.gitkeep"); r.status != 404 {
			t.Errorf("got %d, want 404", r.status)
		}
	})

	t.Run("HEAD is served and writes are refused", func(t *testing.T) {
		t.Parallel()
		if r := serve(t, h, "HEAD", "/"); r.status != 200 || r.body != "" {
			t.Errorf("HEAD: got %d %q, want 200 without a body", r.status, r.body)
		}
		r := serve(t, h, "POST", "/licenses")
		if r.status != http.StatusMethodNotAllowed || r.header.Get("Allow") != "GET, HEAD" {
			t.Errorf("POST: got %d Allow %q, want 405 with Allow GET, HEAD", r.status, r.header.Get("Allow"))
		}
	})
}

func TestHandlerWithoutBuild(t *testing.T) {
	t.Parallel()
	h := web.HandlerFS(fstest.MapFS{".gitkeep": {Data: nil}})

	t.Run("app routes explain how to build the UI", func(t *testing.T) {
		t.Parallel()
		r := serve(t, h, "GET", "/dashboard")
		if r.status != 200 || !strings.Contains(r.body, "make web-build") {
			t.Fatalf("got %d %q, want 200 with build instructions", r.status, r.body)
		}
	})

	t.Run("the placeholder is not served", func(t *testing.T) {
		t.Parallel()
		if r := serve(t, h, "GET", "/assets/app.js"); r.status != 404 {
			t.Errorf("got %d, want 404", r.status)
		}
	})
}

func TestEmbeddedHandler(t *testing.T) {
	t.Parallel()

	t.Run("the embedded build serves the root", func(t *testing.T) {
		t.Parallel()
		r := serve(t, web.Handler(), "GET", "/")
		if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
			t.Fatalf("got %d %q, want 200 text/html", r.status, r.header.Get("Content-Type"))
		}
	})
}
