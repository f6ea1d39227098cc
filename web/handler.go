package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// ContentSecurityPolicy is the CSP of every UI response. The built app is
// only same-origin files (no inline script or style, no eval), talks only to
// its own origin and may not be framed.
const ContentSecurityPolicy = "default-src 'self'; connect-src 'self'; img-src 'self' data:; " +
	"style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// Cache policies: hashed assets never change under their name; index.html
// names the current assets, so browsers revalidate it every time.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "no-cache"
)

// notBuilt is served for app routes when dist/ holds no index.html.
const notBuilt = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CODITECT: web UI not built</title></head>
<body><h1>The web UI is not built into this binary</h1>
<p>Run <code>make web-build</code> (or <code>npm ci &amp;&amp; npm run build</code> in <code>web/</code>), then rebuild the server.</p>
<p>The API is served under <code>/api/v1</code>.</p></body></html>
`

// Handler serves the embedded UI at the root of the URL space.
func Handler() http.Handler { return HandlerFS(Dist()) }

// HandlerFS serves the UI build in fsys (for example os.DirFS("web/dist")
// during development): files as they are, and index.html for every other
// path without a file extension, so the client-side router handles deep
// links. Only GET and HEAD are served.
func HandlerFS(fsys fs.FS) http.Handler {
	h := &handler{fsys: fsys, etags: map[string]string{}}
	if b, err := fs.ReadFile(fsys, "index.html"); err == nil {
		h.index = b
	} else {
		h.index = []byte(notBuilt)
	}
	h.indexETag = etag(h.index)
	// The build is small and read-only: hash every file once for ETags.
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		if b, err := fs.ReadFile(fsys, p); err == nil {
			h.etags[p] = etag(b)
		}
		return nil
	})
	return h
}

type handler struct {
	fsys      fs.FS
	index     []byte
	indexETag string
	etags     map[string]string
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", ContentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hdr.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}

	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" || name == "index.html" {
		h.serveIndex(w, r)
		return
	}
	if tag, ok := h.etags[name]; ok {
		f, err := h.fsys.Open(name)
		if err != nil {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		defer f.Close()
		rs, ok := f.(io.ReadSeeker)
		if !ok {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		if strings.HasPrefix(name, "assets/") {
			hdr.Set("Cache-Control", cacheImmutable)
		} else {
			hdr.Set("Cache-Control", cacheRevalidate)
		}
		hdr.Set("ETag", tag)
		http.ServeContent(w, r, name, time.Time{}, rs)
		return
	}
	// A missing asset or file is a 404, never the app: a stale index.html
	// asking for an old hashed bundle must fail loudly, not get HTML back.
	if strings.HasPrefix(name, "assets/") || path.Ext(name) != "" {
		hdr.Set("Cache-Control", cacheRevalidate)
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	h.serveIndex(w, r)
}

// serveIndex answers with the app's index.html (or the not-built page).
func (h *handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Cache-Control", cacheRevalidate)
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	hdr.Set("ETag", h.indexETag)
	http.ServeContent(w, r, "index.html", time.Time{}, bytes.NewReader(h.index))
}
