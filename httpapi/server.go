// Package httpapi serves the public HTTP contract (ARCHITECTURE §5): the
// client API the SDKs use, the admin API, the OAuth2 token endpoint and the
// operational endpoints. Every route is in the one list in Routes.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
	"github.com/coditect/coditect-license/seat"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 1 << 20

// Server holds the handlers' dependencies. Fill every field before calling
// Handler.
type Server struct {
	Seats  *seat.Service
	Store  coditect.Store
	Tokens *auth.Tokens
	// Keys signs license tokens and publishes /.well-known/jwks.json.
	Keys KeyManager
	// OpenAPI is the JSON of /api/v1/openapi.json.
	OpenAPI []byte
	// Ready reports whether the store and ledger are reachable.
	Ready  func(ctx context.Context) error
	Now    func() time.Time
	NewID  func() string
	Logger *slog.Logger
	// TrustProxy takes the client IP from X-Forwarded-For.
	TrustProxy bool
	// Limiter enforces Limits; nil turns rate limiting off.
	Limiter coditect.RateLimiter
	Limits  Limits
	// Events carries live session events to /api/v1/sessions/events; nil
	// answers 503 there.
	Events coditect.EventBus
	// Stopping, when closed, ends the open event streams: a graceful
	// shutdown waits for requests in flight, and a stream would never end.
	// Other requests are not cancelled by it; they finish.
	Stopping <-chan struct{}
	// OIDC, when set, also accepts access tokens of an external OpenID
	// Connect issuer (single sign-on).
	OIDC *auth.OIDC
	// UI, when set, serves every path outside the API: the web dashboard.
	UI http.Handler
	// RefreshTokenTTL is how long an unused refresh token stays valid;
	// zero means DefaultRefreshTokenTTL.
	RefreshTokenTTL time.Duration
	// CORSOrigins are the origins (scheme://host[:port]) of separately
	// hosted dashboards allowed to call the API from a browser.
	CORSOrigins []string
	// Webhooks queues test deliveries; nil answers 503 to "send test event".
	Webhooks WebhookSender
	// WebhookAllowPrivate accepts endpoint URLs on loopback, private and
	// link-local addresses.
	WebhookAllowPrivate bool
	// Metrics, when set, instruments every request and serves GET
	// /metrics; nil answers 404 there.
	Metrics *Metrics

	logger *slog.Logger
}

// Route is one entry of the router.
type Route struct {
	Method  string
	Pattern string
	handler func(s *Server, w http.ResponseWriter, r *http.Request) error
}

// Routes is every route the API serves, in one list.
func Routes() []Route {
	return []Route{
		{"GET", "/healthz", (*Server).healthz},
		{"GET", "/readyz", (*Server).readyz},
		{"GET", "/.well-known/jwks.json", (*Server).jwks},
		{"GET", "/api/v1/openapi.json", (*Server).openAPI},
		{"GET", "/metrics", (*Server).metrics},
		{"POST", "/oauth/token", (*Server).token},
		{"POST", "/oauth/revoke", (*Server).revoke},

		// Client API (License and session-token auth).
		{"POST", "/api/v1/sessions", (*Server).acquire},
		{"POST", "/api/v1/sessions/{session_id}/heartbeat", (*Server).heartbeat},
		{"DELETE", "/api/v1/sessions/{session_id}", (*Server).release},
		{"GET", "/api/v1/license", (*Server).licenseStatus},

		// Admin API (Bearer access tokens).
		{"GET", "/api/v1/licenses", (*Server).listLicenses},
		{"POST", "/api/v1/licenses", (*Server).createLicense},
		{"GET", "/api/v1/licenses/{license_id}", (*Server).getLicense},
		{"PATCH", "/api/v1/licenses/{license_id}", (*Server).patchLicense},
		{"DELETE", "/api/v1/licenses/{license_id}", (*Server).deleteLicense},
		{"POST", "/api/v1/licenses/{license_id}/suspend", (*Server).suspendLicense},
		{"POST", "/api/v1/licenses/{license_id}/reinstate", (*Server).reinstateLicense},
		{"POST", "/api/v1/licenses/{license_id}/rotate-key", (*Server).rotateLicenseKey},
		{"GET", "/api/v1/sessions", (*Server).listSessions},
		{"GET", "/api/v1/sessions/events", (*Server).sessionEvents},
		{"GET", "/api/v1/audit-events", (*Server).listAuditEvents},
		{"GET", "/api/v1/stats/overview", (*Server).statsOverview},
		{"GET", "/api/v1/stats/usage", (*Server).statsUsage},
		{"GET", "/api/v1/users", (*Server).listUsers},
		{"POST", "/api/v1/users", (*Server).createUser},
		{"PATCH", "/api/v1/users/{user_id}", (*Server).patchUser},
		{"POST", "/api/v1/users/me/password", (*Server).changeOwnPassword},
		{"GET", "/api/v1/clients", (*Server).listClients},
		{"POST", "/api/v1/clients", (*Server).createClient},
		{"DELETE", "/api/v1/clients/{client_id}", (*Server).deleteClient},
		{"GET", "/api/v1/webhooks", (*Server).listWebhooks},
		{"POST", "/api/v1/webhooks", (*Server).createWebhook},
		{"GET", "/api/v1/webhooks/{webhook_id}", (*Server).getWebhook},
		{"DELETE", "/api/v1/webhooks/{webhook_id}", (*Server).deleteWebhook},
		{"POST", "/api/v1/webhooks/{webhook_id}/test", (*Server).testWebhook},
		{"GET", "/api/v1/webhooks/{webhook_id}/deliveries", (*Server).listWebhookDeliveries},
		{"GET", "/api/v1/signing-keys", (*Server).listSigningKeys},
		{"POST", "/api/v1/signing-keys/rotate", (*Server).rotateSigningKey},
		{"GET", "/api/v1/tenants", (*Server).listTenants},
		{"POST", "/api/v1/tenants", (*Server).createTenant},
	}
}

// Handler returns the http.Handler serving every route.
func (s *Server) Handler() http.Handler {
	s.logger = s.Logger
	if s.logger == nil {
		s.logger = slog.New(slog.DiscardHandler)
	}
	// api holds the routes alone; mux adds a catch-all for what they do not
	// match, so a matched request is looked up once.
	api, mux := http.NewServeMux(), http.NewServeMux()
	for _, rt := range Routes() {
		h := rt.handler
		serve := func(w http.ResponseWriter, r *http.Request) {
			if err := h(s, w, r); err != nil {
				s.writeError(w, r, err)
			}
		}
		api.HandleFunc(rt.Method+" "+rt.Pattern, serve)
		mux.HandleFunc(rt.Method+" "+rt.Pattern, serve)
	}
	// Unmatched requests: the dashboard outside the API; in it, the routes
	// decide between 404 and 405 (with its Allow header), and the answer
	// goes out as problem+json.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		r.Pattern = "" // no route matched (the metrics label it so)
		if s.UI != nil && !isAPIPath(r.URL.Path) {
			s.UI.ServeHTTP(w, r)
			return
		}
		rec := &headerRecorder{header: http.Header{}}
		api.ServeHTTP(rec, r) // matches nothing: leaves r.Pattern empty
		if rec.status == http.StatusMethodNotAllowed {
			w.Header().Set("Allow", rec.header.Get("Allow"))
			s.writeError(w, r, coditect.Errorf(coditect.CodeMethodNotAllowed, "%s is not allowed on %s.", r.Method, r.URL.Path))
			return
		}
		s.writeError(w, r, coditect.Errorf(coditect.CodeNotFound, "No such resource: %s.", r.URL.Path))
	})
	routed := mux
	return s.instrument(s.accessLog(SecurityHeaders(s.cors(s.recoverer(s.limitBody(routed))), APIContentSecurityPolicy)))
}

// isAPIPath reports whether a path belongs to the API, whose unknown paths
// answer problem+json 404 rather than the dashboard.
func isAPIPath(p string) bool {
	return strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/oauth/") || strings.HasPrefix(p, "/.well-known/")
}

// headerRecorder takes the mux's own answer to an unmatched request.
type headerRecorder struct {
	header http.Header
	status int
}

func (h *headerRecorder) Header() http.Header         { return h.header }
func (h *headerRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (h *headerRecorder) WriteHeader(code int)        { h.status = code }

// statusRecorder remembers the status a handler wrote, for the access log
// and the metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog logs every request at debug level: method, path, status and
// duration, never headers (they carry keys and tokens).
func (s *Server) accessLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.logger.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		s.logger.DebugContext(r.Context(), "request", "method", r.Method, "path", r.URL.Path,
			"status", rec.status, "duration", time.Since(start), "remote", r.RemoteAddr)
	})
}

// limitBody caps every request body at MaxBodyBytes.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			s.writeError(w, r, coditect.Errorf(coditect.CodePayloadTooLarge, "The request body is larger than %d bytes.", MaxBodyBytes))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a 500 problem so one bad request cannot take
// the server down.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logger.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
				s.writeError(w, r, errors.New("panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func asError(err error) (*coditect.Error, bool) {
	var e *coditect.Error
	ok := errors.As(err, &e)
	return e, ok
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if err := s.Ready(ctx); err != nil {
		s.logger.Warn("not ready", "err", err)
		return coditect.Errorf(coditect.CodeUnavailable, "The store or the seat ledger is not reachable.")
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	return nil
}

func (s *Server) jwks(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/jwk-set+json")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(s.Keys.JWKS())
	return nil
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(s.OpenAPI)
	return nil
}
