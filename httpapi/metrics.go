package httpapi

import (
	"log/slog"
	"maps"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Route labels of requests that no route pattern served.
const (
	// RouteUnmatched labels requests no route took: unknown paths, wrong
	// methods, and requests refused before routing (a body over
	// MaxBodyBytes, a CORS preflight).
	RouteUnmatched = "unmatched"
	// RouteUI labels requests the web dashboard served.
	RouteUI = "ui"
)

// durationBuckets span 0.1 ms (an in-memory heartbeat) to 10 s (a client's
// patience), in 1-2.5-5 steps.
var durationBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
	0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
}

// Metrics is the API's Prometheus instrumentation and the /metrics
// endpoint that serves it. Every label holds a value from a fixed set (a
// route pattern, a method, a status code, a rate limit's name), never a
// tenant, license, session, key or address, so the series stay few and
// carry nothing of a customer's.
type Metrics struct {
	requests  *prometheus.CounterVec
	durations *prometheus.HistogramVec
	streams   prometheus.Gauge
	refused   *prometheus.CounterVec
	limiter   prometheus.Counter
	handler   http.Handler
	// epoch anchors request timing on the monotonic clock alone:
	// time.Since(epoch) reads one clock, time.Now two (wall and monotonic),
	// and clock reads are most of the instrumentation's cost on VMs.
	epoch time.Time

	// children caches the labelled series per request kind, copied on
	// write: the steady state is one lock-free map read per request.
	children atomic.Pointer[map[requestKind]requestSeries]
	mu       sync.Mutex
}

type requestKind struct {
	method, route string
	code          int
}

type requestSeries struct {
	requests  prometheus.Counter
	durations prometheus.Observer
}

// NewMetrics registers the API's metrics on reg and serves everything reg
// gathers (add the Go and process collectors to reg for the runtime's).
// Give each Server its own registry: the names are fixed, so a second
// NewMetrics on one registry fails.
func NewMetrics(reg *prometheus.Registry, logger *slog.Logger) (*Metrics, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		epoch: time.Now(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coditect_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern and status code.",
		}, []string{"method", "route", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "coditect_http_request_duration_seconds",
			Help:    "Time from a request's arrival to its handler's return, by method and route pattern.",
			Buckets: durationBuckets,
		}, []string{"method", "route"}),
		streams: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "coditect_session_event_streams",
			Help: "Live session event streams (Server-Sent Events) open now.",
		}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "coditect_rate_limited_total",
			Help: "Requests refused with 429 rate_limited, by the limit that refused them.",
		}, []string{"limit"}),
		limiter: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "coditect_rate_limiter_errors_total",
			Help: "Requests let through unchecked because the rate limiter could not be reached.",
		}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.durations, m.streams, m.refused, m.limiter} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	m.children.Store(&map[requestKind]requestSeries{})
	m.handler = promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:      slog.NewLogLogger(logger.Handler(), slog.LevelError),
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      reg,
		// The endpoint takes no credentials: a flood of scrapes must not
		// pile up collections.
		MaxRequestsInFlight: 4,
	})
	return m, nil
}

// series returns the counter and histogram of one kind of request,
// creating them on first use.
func (m *Metrics) series(k requestKind) requestSeries {
	if s, ok := (*m.children.Load())[k]; ok {
		return s
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	old := *m.children.Load()
	if s, ok := old[k]; ok {
		return s
	}
	s := requestSeries{
		requests:  m.requests.WithLabelValues(k.method, k.route, strconv.Itoa(k.code)),
		durations: m.durations.WithLabelValues(k.method, k.route),
	}
	next := maps.Clone(old)
	next[k] = s
	m.children.Store(&next)
	return s
}

// instrument counts and times every request by its route pattern. It must
// be the outermost handler, and the handlers inside it must pass the same
// *http.Request down to the ServeMux, which records the pattern it matched
// in r.Pattern.
func (s *Server) instrument(next http.Handler) http.Handler {
	m := s.Metrics
	if m == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Since(m.epoch)
		rec := recorders.Get().(*statusRecorder)
		rec.ResponseWriter, rec.status = w, 0
		next.ServeHTTP(rec, r)
		code := rec.status
		rec.ResponseWriter = nil
		recorders.Put(rec)
		if code == 0 {
			code = http.StatusOK
		}
		route := r.Pattern
		if route == "" {
			route = RouteUnmatched
			if s.UI != nil && !isAPIPath(r.URL.Path) {
				route = RouteUI
			}
		}
		se := m.series(requestKind{method: methodLabel(r.Method), route: route, code: code})
		se.requests.Inc()
		se.durations.Observe((time.Since(m.epoch) - start).Seconds())
	})
}

// recorders are reused across requests: a handler never keeps its
// ResponseWriter past its return.
var recorders = sync.Pool{New: func() any { return new(statusRecorder) }}

// methodLabel bounds the method label: any method the client invents
// counts as "other".
func methodLabel(m string) string {
	switch m {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	}
	return "other"
}

func (m *Metrics) streamOpened() {
	if m != nil {
		m.streams.Inc()
	}
}

func (m *Metrics) streamClosed() {
	if m != nil {
		m.streams.Dec()
	}
}

// rateLimited counts a refusal by the limit's name (ip, key, session,
// admin, login-ip, login-account-N for the account limit's tiers).
func (m *Metrics) rateLimited(name string) {
	if m != nil {
		m.refused.WithLabelValues(name).Inc()
	}
}

func (m *Metrics) limiterFailed() {
	if m != nil {
		m.limiter.Inc()
	}
}

// metrics serves the Prometheus text format; without Metrics the path is
// as unknown as any other.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request) error {
	if s.Metrics == nil {
		return coditect.Errorf(coditect.CodeNotFound, "No such resource: %s.", r.URL.Path)
	}
	s.Metrics.handler.ServeHTTP(w, r)
	return nil
}
