package httpapi_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/httpapi"
	"github.com/coditect/coditect-license/memory"
)

func withLimits(l httpapi.Limits) func(*httpapi.Server) {
	return func(s *httpapi.Server) {
		s.Limiter = memory.NewRateLimiter()
		s.Limits = l
	}
}

func TestRateLimits(t *testing.T) {
	t.Parallel()

	t.Run("a flooding license key is refused while other sessions heartbeat", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, withLimits(httpapi.Limits{
			LicenseKey: coditect.Limit{Rate: 0.01, Burst: 3},
			Session:    coditect.Limit{Rate: 0.01, Burst: 5},
		}))
		quiet := f.createLicense(`{"name":"quiet","seats":1}`)
		g := f.call("POST", "/api/v1/sessions", "License "+quiet.body["key"].(string), `{"fingerprint":"q"}`)
		sid, stok := g.body["session_id"].(string), "Bearer "+g.body["session_token"].(string)

		noisy := "License " + f.createLicense(`{"name":"noisy","seats":100}`).body["key"].(string)
		var last result
		for i := range 4 {
			last = f.call("POST", "/api/v1/sessions", noisy, `{"fingerprint":"n`+string(rune('a'+i))+`"}`)
		}
		wantProblem(t, last, 429, coditect.CodeRateLimited)
		if last.header.Get("Retry-After") == "" || last.header.Get("RateLimit-Limit") != "3" || last.header.Get("RateLimit-Remaining") != "0" {
			t.Fatalf("got headers %v, want Retry-After and RateLimit-*", last.header)
		}
		for range 5 {
			if r := f.call("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, ""); r.status != 200 {
				t.Fatalf("heartbeat during the flood: got %d %s", r.status, r.raw)
			}
		}
		wantProblem(t, f.call("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, ""), 429, coditect.CodeRateLimited)
	})

	t.Run("sign-in attempts on one account slow down", func(t *testing.T) {
		t.Parallel()
		g := newFixture(t, withLimits(httpapi.Limits{LoginAccount: []coditect.Limit{{Rate: 1.0 / 60, Burst: 2}}}))
		form := url.Values{"grant_type": {"password"}, "username": {"victim@example.com"}, "password": {"wrong"}}
		for i := range 2 {
			if r := g.form(form); r.status != 400 {
				t.Fatalf("attempt %d: got %d, want 400 invalid_grant", i+1, r.status)
			}
		}
		r := g.form(form)
		if r.status != 429 || r.body["error"] != "rate_limited" || r.header.Get("Retry-After") == "" {
			t.Fatalf("third attempt: got %d %s %v, want 429 rate_limited with Retry-After", r.status, r.raw, r.header)
		}
	})

	t.Run("admin calls are limited per subject", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, withLimits(httpapi.Limits{Admin: coditect.Limit{Rate: 0.01, Burst: 4}}))
		// Four reads pass, the fifth not.
		for range 4 {
			if r := f.call("GET", "/api/v1/licenses", f.owner, ""); r.status != 200 {
				t.Fatalf("got %d, want 200", r.status)
			}
		}
		wantProblem(t, f.call("GET", "/api/v1/licenses", f.owner, ""), 429, coditect.CodeRateLimited)
		if r := f.call("GET", "/api/v1/licenses", f.viewer, ""); r.status != 200 {
			t.Fatalf("another subject: got %d, want 200", r.status)
		}
	})

	t.Run("an unreachable limiter lets requests through", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, func(s *httpapi.Server) {
			s.Limiter = brokenLimiter{}
			s.Limits = httpapi.DefaultLimits()
		})
		if r := f.call("GET", "/api/v1/licenses", f.owner, ""); r.status != 200 {
			t.Fatalf("got %d, want 200", r.status)
		}
	})
}

type brokenLimiter struct{}

func (brokenLimiter) Allow(context.Context, string, coditect.Limit, time.Time) (coditect.RateDecision, error) {
	return coditect.RateDecision{}, coditect.Unavailable("rate limiter", errors.New("down"))
}

func TestSecurityHeadersAndCORS(t *testing.T) {
	t.Parallel()
	f := newFixture(t, func(s *httpapi.Server) { s.CORSOrigins = []string{"https://dash.example.com"} })

	r := f.call("GET", "/healthz", "", "")
	for h, want := range map[string]string{
		"Content-Security-Policy": httpapi.APIContentSecurityPolicy,
		"X-Content-Type-Options":  "nosniff",
		"X-Frame-Options":         "DENY",
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s: got %q, want %q", h, got, want)
		}
	}

	pre := f.call("OPTIONS", "/api/v1/licenses", "", "", "Origin", "https://dash.example.com", "Access-Control-Request-Method", "POST")
	if pre.status != 204 || pre.header.Get("Access-Control-Allow-Origin") != "https://dash.example.com" ||
		!strings.Contains(pre.header.Get("Access-Control-Allow-Headers"), "Authorization") {
		t.Fatalf("preflight: got %d %v", pre.status, pre.header)
	}
	other := f.call("OPTIONS", "/api/v1/licenses", "", "", "Origin", "https://evil.example.com", "Access-Control-Request-Method", "POST")
	if other.header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("a foreign origin got CORS headers: %v", other.header)
	}
	get := f.call("GET", "/api/v1/licenses", f.owner, "", "Origin", "https://dash.example.com")
	if get.status != 200 || get.header.Get("Access-Control-Allow-Origin") != "https://dash.example.com" {
		t.Fatalf("GET: got %d %v", get.status, get.header)
	}
}

func TestNormalizeOrigins(t *testing.T) {
	t.Parallel()
	got, ok := httpapi.NormalizeOrigins([]string{" https://a.example.com/ ", "", "http://localhost:5173"})
	if !ok || strings.Join(got, ",") != "https://a.example.com,http://localhost:5173" {
		t.Fatalf("got %v %v", got, ok)
	}
	for _, bad := range []string{"a.example.com", "https://a.example.com/path", "ftp://x"} {
		if _, ok := httpapi.NormalizeOrigins([]string{bad}); ok {
			t.Errorf("NormalizeOrigins(%q): got ok, want refused", bad)
		}
	}
}
