package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// get returns the status, Content-Type and body of GET base+path.
func get(t *testing.T, url string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}

func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()

	// Two servers in one process: each has its own registry, so neither
	// fails to register nor counts the other's requests.
	t.Run("serves runtime, process and API metrics by default", func(t *testing.T) {
		t.Parallel()
		a, _, _ := openMain(t, testConfig(t))
		run(t, a)
		b, _, _ := openMain(t, testConfig(t))
		run(t, b)
		for range 2 {
			if code, _, _ := get(t, "http://"+a.Addr()+"/healthz"); code != 200 {
				t.Fatalf("GET /healthz: got %d, want 200", code)
			}
		}
		code, ctype, body := get(t, "http://"+a.Addr()+"/metrics")
		if code != 200 || !strings.HasPrefix(ctype, "text/plain") {
			t.Fatalf("GET /metrics: got %d %q, want 200 text/plain", code, ctype)
		}
		for _, want := range []string{
			"\ngo_goroutines ",
			"\nprocess_start_time_seconds ",
			"\n" + `coditect_http_requests_total{code="200",method="GET",route="GET /healthz"} 2` + "\n",
			"\n" + `coditect_http_request_duration_seconds_count{method="GET",route="GET /healthz"} 2` + "\n",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("GET /metrics: got no line starting %q", strings.TrimSpace(want))
			}
		}
		_, _, other := get(t, "http://"+b.Addr()+"/metrics")
		if strings.Contains(other, `route="GET /healthz"`) {
			t.Errorf("the second server counts the first one's requests")
		}
	})

	t.Run("--metrics=false answers 404 not_found", func(t *testing.T) {
		t.Parallel()
		cfg := testConfig(t)
		cfg.Metrics = false
		m, _, _ := openMain(t, cfg)
		run(t, m)
		code, ctype, body := get(t, "http://"+m.Addr()+"/metrics")
		var p struct{ Code string }
		_ = json.Unmarshal([]byte(body), &p)
		if code != 404 || ctype != "application/problem+json" || p.Code != "not_found" {
			t.Fatalf("GET /metrics: got %d %q %s, want 404 problem+json not_found", code, ctype, body)
		}
	})
}
