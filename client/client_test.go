package client_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coditect/coditect-license/client"
	"github.com/coditect/coditect-license/client/clienttest"
)

func TestNew(t *testing.T) {
	t.Parallel()
	srv := clienttest.NewServer(t, clienttest.Options{})
	cases := []struct {
		name string
		cfg  client.Config
	}{
		{"no base URL", client.Config{Fingerprint: "f"}},
		{"a base URL without scheme", client.Config{BaseURL: "license.example.com", Fingerprint: "f"}},
		{"an ftp base URL", client.Config{BaseURL: "ftp://license.example.com", Fingerprint: "f"}},
		{"neither product nor fingerprint", client.Config{BaseURL: srv.URL}},
		{"a short public key", client.Config{BaseURL: srv.URL, Fingerprint: "f", PublicKeys: map[string]ed25519.PublicKey{"k": {1}}}},
		{"a JWKS without Ed25519 keys", client.Config{BaseURL: srv.URL, Fingerprint: "f", JWKS: []byte(`{"keys":[]}`)}},
	}
	for _, tc := range cases {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			t.Parallel()
			if c, err := client.New(tc.cfg); err == nil {
				t.Fatalf("got %v, want an error", c)
			}
		})
	}

	t.Run("computes the fingerprint from the product", func(t *testing.T) {
		t.Parallel()
		want, err := client.Fingerprint("acme-cad")
		if err != nil {
			skipOrFail(t, "no machine ID here: %v", err)
		}
		c, err := client.New(client.Config{BaseURL: srv.URL + "/", Product: "acme-cad"})
		if err != nil || c.Fingerprint() != want {
			t.Fatalf("got %v (%v), want fingerprint %s", c, err, want)
		}
	})

	t.Run("needs a license key to acquire", func(t *testing.T) {
		t.Parallel()
		c, err := client.New(client.Config{BaseURL: srv.URL, Fingerprint: "f"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Acquire(context.Background()); err == nil || !strings.Contains(err.Error(), "LicenseKey") {
			t.Fatalf("got %v, want an error naming LicenseKey", err)
		}
		if _, err := c.Status(context.Background()); err == nil {
			t.Fatal("status: got no error, want one")
		}
	})

	t.Run("DefaultCacheDir is per product", func(t *testing.T) {
		t.Parallel()
		dir, err := client.DefaultCacheDir("acme-cad")
		if err != nil {
			skipOrFail(t, "no user cache dir: %v", err)
		}
		if !strings.HasSuffix(dir, "acme-cad") || !strings.Contains(dir, "coditect-license") {
			t.Fatalf("got %q, want …/coditect-license/acme-cad", dir)
		}
	})
}

func TestRetries(t *testing.T) {
	t.Parallel()

	newRetryEnv := func(t *testing.T) (*env, *sleepLog, *client.Client) {
		e := newEnv(t, clienttest.Options{})
		log := &sleepLog{}
		c := e.client(t, func(cfg *client.Config) {
			cfg.Sleep = log.sleep
			cfg.Retry = client.RetryPolicy{MaxAttempts: 4, BaseDelay: 100 * time.Millisecond, MaxDelay: 30 * time.Second}
		})
		return e, log, c
	}

	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		t.Run(http.StatusText(status)+" with Retry-After is retried after the given time", func(t *testing.T) {
			t.Parallel()
			e, log, c := newRetryEnv(t)
			e.srv.Inject(clienttest.Fault{Path: "POST /api/v1/sessions", Status: status, RetryAfter: 3 * time.Second, Times: 2})
			s, err := c.AcquireSession(context.Background())
			if err != nil {
				t.Fatalf("got %v, want success on the third try", err)
			}
			if got := e.srv.Requests("POST /api/v1/sessions"); got != 3 {
				t.Fatalf("got %d requests, want 3", got)
			}
			if got := log.waits(); len(got) != 2 || got[0] != 3*time.Second || got[1] != 3*time.Second {
				t.Fatalf("got waits %v, want [3s 3s]", got)
			}
			if !s.Created || s.ID == "" {
				t.Fatalf("got session %+v, want a new one", s)
			}
		})
	}

	t.Run("5xx without Retry-After backs off with full jitter", func(t *testing.T) {
		t.Parallel()
		e, log, c := newRetryEnv(t)
		e.srv.Inject(clienttest.Fault{Status: http.StatusBadGateway, Times: 3})
		if _, err := c.Status(context.Background()); err != nil {
			t.Fatal(err)
		}
		got := log.waits()
		if len(got) != 3 {
			t.Fatalf("got waits %v, want 3", got)
		}
		for i, d := range got {
			if ceiling := 100 * time.Millisecond << i; d < 0 || d > ceiling {
				t.Fatalf("got wait %d = %v, want within [0, %v]", i+1, d, ceiling)
			}
		}
	})

	t.Run("network errors are retried", func(t *testing.T) {
		t.Parallel()
		e, _, c := newRetryEnv(t)
		e.srv.Inject(clienttest.Fault{Status: 0, Times: 2})
		if _, err := c.Status(context.Background()); err != nil {
			t.Fatalf("got %v, want success on the third try", err)
		}
	})

	t.Run("retries are bounded", func(t *testing.T) {
		t.Parallel()
		e, log, c := newRetryEnv(t)
		e.srv.Inject(clienttest.Fault{Status: http.StatusServiceUnavailable, Times: 100})
		_, err := c.AcquireSession(context.Background())
		if !errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("got %v, want ErrUnreachable", err)
		}
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != 503 || ce.Code != "unavailable" {
			t.Fatalf("got %#v, want the 503 problem", ce)
		}
		if got := e.srv.Requests(""); got != 4 {
			t.Fatalf("got %d requests, want 4 (MaxAttempts)", got)
		}
		if got := len(log.waits()); got != 3 {
			t.Fatalf("got %d waits, want 3", got)
		}
	})

	t.Run("a 429 after every retry is ErrRateLimited", func(t *testing.T) {
		t.Parallel()
		e, _, c := newRetryEnv(t)
		e.srv.Inject(clienttest.Fault{Status: http.StatusTooManyRequests, RetryAfter: time.Second, Times: 100})
		if _, err := c.Acquire(context.Background()); !errors.Is(err, client.ErrRateLimited) || errors.Is(err, client.ErrOfflineUnavailable) {
			t.Fatalf("got %v, want ErrRateLimited and no offline attempt", err)
		}
	})

	t.Run("a Retry-After beyond MaxDelay ends the retries", func(t *testing.T) {
		t.Parallel()
		e, log, c := newRetryEnv(t)
		e.srv.Inject(clienttest.Fault{Status: http.StatusServiceUnavailable, RetryAfter: time.Hour, Times: 100})
		_, err := c.Status(context.Background())
		var ce *client.Error
		if !errors.As(err, &ce) || ce.RetryAfter != time.Hour {
			t.Fatalf("got %v, want a 503 *Error with RetryAfter 1h", err)
		}
		if got := e.srv.Requests(""); got != 1 || len(log.waits()) != 0 {
			t.Fatalf("got %d requests and waits %v, want 1 request and no wait", got, log.waits())
		}
	})

	for _, status := range []int{http.StatusBadRequest, http.StatusNotFound, http.StatusGone} {
		t.Run(http.StatusText(status)+" is not retried", func(t *testing.T) {
			t.Parallel()
			e, log, c := newRetryEnv(t)
			e.srv.Inject(clienttest.Fault{Status: status, Times: 100})
			_, err := c.AcquireSession(context.Background())
			var ce *client.Error
			if !errors.As(err, &ce) || ce.Status != status {
				t.Fatalf("got %v, want a %d *Error", err, status)
			}
			if got := e.srv.Requests(""); got != 1 || len(log.waits()) != 0 {
				t.Fatalf("got %d requests and %d waits, want 1 and 0", got, len(log.waits()))
			}
		})
	}

	t.Run("a deadline hit while the server is unreachable still says unreachable, and tries offline", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{})
		c := e.client(t, func(cfg *client.Config) {
			cfg.Sleep = nil
			cfg.Retry.BaseDelay, cfg.Retry.MaxDelay = time.Hour, time.Hour
		})
		e.srv.SetDown(true)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := c.Acquire(ctx)
		for _, want := range []error{context.DeadlineExceeded, client.ErrUnreachable, client.ErrOfflineUnavailable} {
			if !errors.Is(err, want) {
				t.Fatalf("got %v, want it to match %v", err, want)
			}
		}
	})

	t.Run("a cancelled context stops the retries", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{})
		c := e.client(t, func(cfg *client.Config) {
			cfg.Sleep = nil
			cfg.Retry.BaseDelay = time.Hour
			cfg.Retry.MaxDelay = time.Hour
		})
		e.srv.Inject(clienttest.Fault{Status: http.StatusServiceUnavailable, Times: 100})
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		if _, err := c.Acquire(ctx); !errors.Is(err, context.Canceled) || errors.Is(err, client.ErrOfflineUnavailable) {
			t.Fatalf("got %v, want context.Canceled and no offline attempt", err)
		}
	})
}

func TestErrors(t *testing.T) {
	t.Parallel()

	t.Run("409 is ErrSeatsExhausted with the retry time, not retried", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1, LeaseTTL: 60 * time.Second})
		log := &sleepLog{}
		c := e.client(t, func(cfg *client.Config) { cfg.Sleep = log.sleep })
		if _, err := c.AcquireSession(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(15 * time.Second)
		_, err := c.AcquireSession(context.Background())
		if !errors.Is(err, client.ErrSeatsExhausted) {
			t.Fatalf("got %v, want ErrSeatsExhausted", err)
		}
		var ce *client.Error
		if !errors.As(err, &ce) {
			t.Fatalf("got %T, want a *client.Error in the chain", err)
		}
		if ce.Status != 409 || ce.RetryAfter != 45*time.Second || ce.Seats != 1 || ce.InUse != 1 {
			t.Fatalf("got %+v, want 409 with RetryAfter 45s, seats 1, in use 1", ce)
		}
		if !strings.Contains(err.Error(), "seats_exhausted") || !strings.Contains(err.Error(), "All 1 seats") {
			t.Fatalf("got message %q, want the code and the server's detail", err)
		}
		if got := e.srv.Requests("POST"); got != 2 || len(log.waits()) != 0 {
			t.Fatalf("got %d acquires and waits %v, want 2 and none", got, log.waits())
		}
	})

	cases := []struct {
		name   string
		setup  func(e *env, cfg *client.Config)
		want   error
		status int
	}{
		{"a wrong key is ErrInvalidKey", func(e *env, cfg *client.Config) { cfg.LicenseKey = "CDT-WRONG" }, client.ErrInvalidKey, 401},
		{"a suspended license is ErrLicenseSuspended", func(e *env, cfg *client.Config) { e.srv.SetStatus("suspended") }, client.ErrLicenseSuspended, 403},
		{"an expired license is ErrLicenseExpired", func(e *env, cfg *client.Config) { e.srv.SetStatus("expired") }, client.ErrLicenseExpired, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, clienttest.Options{})
			cfg := e.cfg
			tc.setup(e, &cfg)
			c, err := client.New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Acquire(context.Background())
			var ce *client.Error
			if !errors.Is(err, tc.want) || !errors.As(err, &ce) || ce.Status != tc.status {
				t.Fatalf("got %v, want %v with status %d", err, tc.want, tc.status)
			}
			for _, other := range []error{client.ErrSeatsExhausted, client.ErrLeaseLost, client.ErrUnreachable, client.ErrOfflineUnavailable} {
				if errors.Is(err, other) {
					t.Fatalf("got %v, which also matches %v", err, other)
				}
			}
		})
	}

	t.Run("a proxy's HTML error page keeps its status", func(t *testing.T) {
		t.Parallel()
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("<html>Bad gateway</html>"))
		}))
		t.Cleanup(ts.Close)
		c, _ := client.New(client.Config{BaseURL: ts.URL, LicenseKey: "k", Fingerprint: "f", Retry: client.RetryPolicy{MaxAttempts: 1}})
		_, err := c.Status(context.Background())
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != 502 || ce.Code != "" || !errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("got %v, want a 502 *Error without code matching ErrUnreachable", err)
		}
		if !strings.Contains(err.Error(), "bad gateway") {
			t.Fatalf("got %q, want the status text", err)
		}
	})

	t.Run("a 200 that is not JSON counts as unreachable", func(t *testing.T) {
		t.Parallel()
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>Sign in to the hotel Wi-Fi</html>"))
		}))
		t.Cleanup(ts.Close)
		c, _ := client.New(client.Config{BaseURL: ts.URL, LicenseKey: "k", Fingerprint: "f", Retry: client.RetryPolicy{MaxAttempts: 1}})
		if _, err := c.Status(context.Background()); !errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("got %v, want ErrUnreachable", err)
		}
	})

	t.Run("Retry-After as an HTTP date", func(t *testing.T) {
		t.Parallel()
		when := time.Now().Add(10 * time.Second).UTC()
		ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", when.Format(http.TimeFormat))
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"status":429,"code":"rate_limited","title":"Too Many Requests"}`))
		}))
		t.Cleanup(ts.Close)
		c, _ := client.New(client.Config{BaseURL: ts.URL, LicenseKey: "k", Fingerprint: "f", Retry: client.RetryPolicy{MaxAttempts: 1}})
		_, err := c.Status(context.Background())
		var ce *client.Error
		if !errors.As(err, &ce) || ce.RetryAfter < 8*time.Second || ce.RetryAfter > 10*time.Second || ce.Detail != "Too Many Requests" {
			t.Fatalf("got %+v, want RetryAfter about 10s and the title as detail", ce)
		}
	})
}

func TestSessionCalls(t *testing.T) {
	t.Parallel()

	t.Run("acquire, heartbeat, release and status", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 2, Features: []string{"export"}})
		c := e.client(t)
		s, err := c.AcquireSession(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if s.LeaseTTL != 360*time.Second || s.HeartbeatInterval != 120*time.Second || !s.ExpiresAt.Equal(start.Add(360*time.Second)) || s.LicenseID != e.srv.LicenseID {
			t.Fatalf("got %+v, want TTL 360s, interval 120s, expiry start+360s", s)
		}
		st, err := c.Status(context.Background())
		if err != nil || st.SeatsInUse != 1 || st.Seats != 2 || st.Features[0] != "export" || st.Status != "active" {
			t.Fatalf("got %+v (%v), want 1 of 2 seats in use", st, err)
		}
		e.clock.Advance(100 * time.Second)
		b, err := c.Heartbeat(context.Background(), s.ID, s.Token)
		if err != nil || !b.ExpiresAt.Equal(start.Add(460*time.Second)) || b.HeartbeatInterval != 120*time.Second {
			t.Fatalf("got %+v (%v), want expiry start+460s", b, err)
		}
		if err := c.Release(context.Background(), s.ID, s.Token); err != nil {
			t.Fatal(err)
		}
		if got := e.srv.SeatsInUse(); got != 0 {
			t.Fatalf("got %d seats in use after release, want 0", got)
		}
		if _, err := c.Heartbeat(context.Background(), s.ID, s.Token); !errors.Is(err, client.ErrLeaseLost) {
			t.Fatalf("heartbeat after release: got %v, want ErrLeaseLost", err)
		}
	})

	t.Run("a fixed instance ID gets the same session back", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		c := e.client(t, func(cfg *client.Config) { cfg.InstanceID = "main" })
		a, err := c.AcquireSession(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.AcquireSession(context.Background())
		if err != nil || b.ID != a.ID || b.Created || b.InstanceID != "main" {
			t.Fatalf("got %+v (%v), want session %s again, not created", b, err, a.ID)
		}
	})

	t.Run("FetchJWKS returns the server's keys", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{})
		keys, err := e.client(t).FetchJWKS(context.Background())
		if err != nil || !keys[e.srv.KeyID].Equal(e.srv.PublicKeys()[e.srv.KeyID]) {
			t.Fatalf("got %v (%v), want the server's key", keys, err)
		}
	})

	t.Run("the cache file is private and holds no key", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{})
		if _, err := e.client(t).AcquireSession(context.Background()); err != nil {
			t.Fatal(err)
		}
		path := cacheFile(t, e.cfg.CacheDir)
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
			t.Fatalf("got mode %v, want 0600", fi.Mode().Perm())
		}
		b, _ := os.ReadFile(path)
		if strings.Contains(string(b), e.srv.LicenseKey) || strings.Contains(path, e.srv.LicenseKey) {
			t.Fatal("the cache holds the license key")
		}
		if !strings.Contains(string(b), `"license_token"`) {
			t.Fatalf("got cache %s, want a license_token", b)
		}
	})
}

// skipOrFail skips a test the machine cannot run, but fails it under
// CI=true, where the machine is known to have what it needs.
func skipOrFail(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
