package httpapi_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/httpapi"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

func withMetrics(t *testing.T) func(*httpapi.Server) {
	t.Helper()
	m, err := httpapi.NewMetrics(prometheus.NewRegistry(), nil)
	if err != nil {
		t.Fatalf("NewMetrics: %v", err)
	}
	return func(s *httpapi.Server) { s.Metrics = m }
}

// scrape reads GET /metrics and returns every sample keyed by its series
// as the text format writes it: name{label="value",...}.
func scrape(t *testing.T, base string) (map[string]float64, string) {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: got %d %q, want 200 text/plain: %.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	samples := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("GET /metrics: unreadable line %q", line)
		}
		samples[line[:i]] = v
	}
	return samples, string(body)
}

// sample writes a series key; labels are name, value pairs in the order
// the text format writes them (sorted by name, le last).
func sample(name string, labels ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(labels); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%s=%q", labels[i], labels[i+1])
	}
	return name + "{" + b.String() + "}"
}

func requests(method, route string, code int) string {
	return sample("coditect_http_requests_total", "code", strconv.Itoa(code), "method", method, "route", route)
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	const heartbeat = "POST /api/v1/sessions/{session_id}/heartbeat"

	t.Run("requests are counted and timed by route pattern and status", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, withMetrics(t))
		lic := f.createLicense(`{"name":"metered","seats":1}`)
		key := lic.body["key"].(string)
		g := f.call("POST", "/api/v1/sessions", "License "+key, `{"fingerprint":"m1"}`)
		sid, stok := g.body["session_id"].(string), "Bearer "+g.body["session_token"].(string)
		before, _ := scrape(t, f.url)

		for range 3 {
			if r := f.call("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, ""); r.status != 200 {
				t.Fatalf("heartbeat: got %d %s", r.status, r.raw)
			}
		}
		wantProblem(t, f.call("POST", "/api/v1/sessions/"+sid+"/heartbeat", "", ""), 401, coditect.CodeInvalidToken)
		after, body := scrape(t, f.url)

		if got := after[requests("POST", heartbeat, 200)] - before[requests("POST", heartbeat, 200)]; got != 3 {
			t.Errorf("heartbeats counted with 200: got %v more, want 3", got)
		}
		if got := after[requests("POST", heartbeat, 401)] - before[requests("POST", heartbeat, 401)]; got != 1 {
			t.Errorf("heartbeats counted with 401: got %v more, want 1", got)
		}
		count := sample("coditect_http_request_duration_seconds_count", "method", "POST", "route", heartbeat)
		if got := after[count] - before[count]; got != 4 {
			t.Errorf("heartbeat durations observed: got %v more, want 4", got)
		}
		if sum := after[sample("coditect_http_request_duration_seconds_sum", "method", "POST", "route", heartbeat)]; !(sum > 0) {
			t.Errorf("heartbeat duration sum: got %v, want > 0", sum)
		}
		if got, top := after[count], after[sample("coditect_http_request_duration_seconds_bucket", "method", "POST", "route", heartbeat, "le", "+Inf")]; got != top {
			t.Errorf("got %v observations but %v in the +Inf bucket, want them equal", got, top)
		}
		if after[requests("POST", "POST /api/v1/sessions", 201)] != 1 {
			t.Errorf("acquire: got %v counted with 201, want 1", after[requests("POST", "POST /api/v1/sessions", 201)])
		}
		for _, secret := range []string{sid, key, lic.body["id"].(string), f.tenant, "/api/v1/sessions/" + sid} {
			if strings.Contains(body, secret) {
				t.Errorf("/metrics holds a per-customer value %q", secret)
			}
		}
	})

	t.Run("unknown paths and invented methods get fixed labels", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, withMetrics(t))
		wantProblem(t, f.call("GET", "/api/v1/nothing/secret-path-123", "", ""), 404, coditect.CodeNotFound)
		wantProblem(t, f.call("PUT", "/api/v1/license", "", ""), 405, coditect.CodeMethodNotAllowed)
		if r := f.call("BREW", "/healthz", "", ""); r.status != 405 {
			t.Fatalf("BREW /healthz: got %d, want 405", r.status)
		}
		got, body := scrape(t, f.url)
		for _, k := range []string{requests("GET", httpapi.RouteUnmatched, 404), requests("PUT", httpapi.RouteUnmatched, 405), requests("other", httpapi.RouteUnmatched, 405)} {
			if got[k] != 1 {
				t.Errorf("%s: got %v, want 1", k, got[k])
			}
		}
		if strings.Contains(body, "secret-path-123") || strings.Contains(body, "BREW") {
			t.Errorf("/metrics holds a raw path or method:\n%s", body)
		}
	})

	t.Run("dashboard requests count as ui", func(t *testing.T) {
		t.Parallel()
		ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html></html>")) })
		f := newFixture(t, withMetrics(t), func(s *httpapi.Server) { s.UI = ui })
		for _, p := range []string{"/", "/licenses/lic-123"} {
			if r := f.call("GET", p, "", ""); r.status != 200 {
				t.Fatalf("GET %s: got %d, want the UI", p, r.status)
			}
		}
		if got, _ := scrape(t, f.url); got[requests("GET", httpapi.RouteUI, 200)] != 2 {
			t.Errorf("got %v dashboard requests, want 2", got[requests("GET", httpapi.RouteUI, 200)])
		}
	})

	t.Run("the Go runtime is there when its collector is registered", func(t *testing.T) {
		t.Parallel()
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector())
		m, err := httpapi.NewMetrics(reg, nil)
		if err != nil {
			t.Fatal(err)
		}
		hs := httptest.NewServer((&httpapi.Server{Metrics: m}).Handler())
		defer hs.Close()
		if got, _ := scrape(t, hs.URL); !(got["go_goroutines"] > 0) {
			t.Errorf("go_goroutines: got %v, want a positive count", got["go_goroutines"])
		}
	})

	t.Run("open event streams are a gauge", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, withMetrics(t))
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", f.url+"/api/v1/sessions/events", nil)
		req.Header.Set("Authorization", f.viewer)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("open stream: %v %v", resp, err)
		}
		if got, _ := scrape(t, f.url); got["coditect_session_event_streams"] != 1 {
			t.Errorf("with one stream open: got %v, want 1", got["coditect_session_event_streams"])
		}
		cancel()
		resp.Body.Close()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got, _ := scrape(t, f.url)
			if got["coditect_session_event_streams"] == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("after the stream closed: got %v open, want 0", got["coditect_session_event_streams"])
			}
			time.Sleep(10 * time.Millisecond)
		}
	})

	t.Run("rate limit refusals are counted by limit", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, withMetrics(t), withLimits(httpapi.Limits{Admin: coditect.Limit{Rate: 0.01, Burst: 1}}))
		f.call("GET", "/api/v1/licenses", f.owner, "")
		wantProblem(t, f.call("GET", "/api/v1/licenses", f.owner, ""), 429, coditect.CodeRateLimited)
		if got, _ := scrape(t, f.url); got[sample("coditect_rate_limited_total", "limit", "admin")] != 1 {
			t.Errorf("admin refusals: got %v, want 1", got[sample("coditect_rate_limited_total", "limit", "admin")])
		}
	})

	t.Run("without metrics the path is an unknown resource", func(t *testing.T) {
		t.Parallel()
		ui := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("<html></html>")) })
		f := newFixture(t, func(s *httpapi.Server) { s.UI = ui })
		wantProblem(t, f.call("GET", "/metrics", "", ""), 404, coditect.CodeNotFound)
	})
}

// BenchmarkMetrics measures what the instrumentation adds to a request:
// compare the sub-benchmarks' ns/op and allocs/op.
func BenchmarkMetrics(b *testing.B) {
	m, err := httpapi.NewMetrics(prometheus.NewRegistry(), nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name    string
		metrics *httpapi.Metrics
	}{{"off", nil}, {"on", m}} {
		h := (&httpapi.Server{Metrics: bc.metrics}).Handler()
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				req := httptest.NewRequest("GET", "/healthz", nil)
				w := &discardWriter{header: http.Header{}}
				for pb.Next() {
					h.ServeHTTP(w, req)
				}
			})
		})
	}
}

// discardWriter is a ResponseWriter that keeps nothing.
type discardWriter struct{ header http.Header }

func (d *discardWriter) Header() http.Header         { return d.header }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(int)             {}
