package main_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coditect/coditect-license/webhook"
)

// receiver is a webhook endpoint on loopback that answers 500 to its first
// failures requests and 204 after that.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	failures int
	hits     []hit
}

type hit struct {
	header http.Header
	body   []byte
	status int
}

func newReceiver(t *testing.T, failures int) *receiver {
	t.Helper()
	rc := &receiver{failures: failures}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		status := http.StatusNoContent
		if len(rc.hits) < rc.failures {
			status = http.StatusInternalServerError
		}
		rc.hits = append(rc.hits, hit{r.Header.Clone(), body, status})
		rc.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(rc.Close)
	return rc
}

// wait returns the first n requests once they arrived.
func (rc *receiver) wait(t *testing.T, n int, within time.Duration) []hit {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		rc.mu.Lock()
		got := append([]hit(nil), rc.hits...)
		rc.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d webhook requests within %v, want %d", len(got), within, n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestWebhooks registers a receiver on loopback that fails the first three
// deliveries, restarts the server after the first failure, and checks that
// the fourth attempt arrives, signed as docs/integration/WEBHOOKS.md says.
func TestWebhooks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel()
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			extra := b.args(t)
			args := append([]string{"--webhook-allow-private", "--webhook-retry-base", "1s"}, extra...)
			dataDir := t.TempDir()
			srv := startServer(t, dataDir, args...)
			admin := srv.login()
			rc := newReceiver(t, 3)

			r := srv.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": rc.URL + "/hook", "events": []string{"license.created"}})
			if r.Status != http.StatusCreated {
				t.Fatalf("create webhook: got %d, want 201: %s", r.Status, r.Raw)
			}
			whID, secret := r.Body["id"].(string), r.Body["secret"].(string)
			licID, _ := srv.createLicense(admin, map[string]any{"name": "Hooked", "seats": 1})

			rc.wait(t, 1, 20*time.Second)
			srv.stop() // the delivery's retry is queued in the store
			srv = startServer(t, dataDir, args...)
			admin = srv.login()
			hits := rc.wait(t, 4, 60*time.Second)
			time.Sleep(2 * time.Second) // no fifth attempt after the success
			rc.mu.Lock()
			total := len(rc.hits)
			rc.mu.Unlock()
			if total != 4 {
				t.Fatalf("got %d requests, want 4 (3 failures, 1 success)", total)
			}

			t.Run("every attempt carries the same event", func(t *testing.T) {
				for i, h := range hits {
					if h.header.Get("Coditect-Event") != "license.created" || h.header.Get("Coditect-Delivery") != hits[0].header.Get("Coditect-Delivery") || string(h.body) != string(hits[0].body) {
						t.Errorf("attempt %d: got event %q delivery %q body %s, want the first attempt's", i+1,
							h.header.Get("Coditect-Event"), h.header.Get("Coditect-Delivery"), h.body)
					}
				}
				if !strings.Contains(string(hits[3].body), licID) {
					t.Errorf("got body %s, want the license %s in it", hits[3].body, licID)
				}
			})

			last := hits[3]
			sig := last.header.Get(webhook.SignatureHeader)
			t.Run("the signature verifies with the documented recipe", func(t *testing.T) {
				var ts, v1 string
				for _, part := range strings.Split(sig, ",") {
					k, v, _ := strings.Cut(part, "=")
					switch k {
					case "t":
						ts = v
					case "v1":
						v1 = v
					}
				}
				mac := hmac.New(sha256.New, []byte(secret))
				mac.Write([]byte(ts + "." + string(last.body)))
				if want := hex.EncodeToString(mac.Sum(nil)); v1 != want {
					t.Fatalf("got v1=%s, want %s", v1, want)
				}
				if err := webhook.Verify([]byte(secret), sig, last.body, time.Now(), webhook.DefaultTolerance); err != nil {
					t.Fatalf("Verify: got %v, want nil", err)
				}
			})
			t.Run("a tampered payload fails", func(t *testing.T) {
				tampered := []byte(strings.Replace(string(last.body), "license.created", "license.deleted", 1))
				if err := webhook.Verify([]byte(secret), sig, tampered, time.Now(), webhook.DefaultTolerance); !errors.Is(err, webhook.ErrBadSignature) {
					t.Fatalf("got %v, want %v", err, webhook.ErrBadSignature)
				}
			})
			t.Run("a replayed payload fails", func(t *testing.T) {
				later := time.Now().Add(webhook.DefaultTolerance + time.Minute)
				if err := webhook.Verify([]byte(secret), sig, last.body, later, webhook.DefaultTolerance); !errors.Is(err, webhook.ErrStaleSignature) {
					t.Fatalf("got %v, want %v", err, webhook.ErrStaleSignature)
				}
			})

			t.Run("the delivery log shows the attempts", func(t *testing.T) {
				r := srv.do("GET", "/api/v1/webhooks/"+whID+"/deliveries", admin, nil)
				data, _ := r.Body["data"].([]any)
				if r.Status != http.StatusOK || len(data) != 1 {
					t.Fatalf("got %d with %d deliveries, want 200 with 1: %s", r.Status, len(data), r.Raw)
				}
				d := data[0].(map[string]any)
				if d["status"] != "succeeded" || d["attempts"] != float64(4) || d["response_status"] != float64(204) || d["event_type"] != "license.created" {
					t.Fatalf("got %v, want succeeded after 4 attempts with 204", d)
				}
			})

			t.Run("send test event", func(t *testing.T) {
				r := srv.do("POST", "/api/v1/webhooks/"+whID+"/test", admin, nil)
				if r.Status != http.StatusAccepted {
					t.Fatalf("got %d, want 202: %s", r.Status, r.Raw)
				}
				h := rc.wait(t, 5, 20*time.Second)[4]
				if got := h.header.Get("Coditect-Event"); got != "webhook.test" {
					t.Fatalf("got event %q, want webhook.test", got)
				}
				if err := webhook.Verify([]byte(secret), h.header.Get(webhook.SignatureHeader), h.body, time.Now(), webhook.DefaultTolerance); err != nil {
					t.Fatalf("Verify: got %v, want nil", err)
				}
			})
		})
	}
}

func TestWebhookTargetsAreChecked(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel()
	srv := startServer(t, t.TempDir())
	admin := srv.login()
	for _, url := range []string{"http://127.0.0.1:9/hook", "http://localhost/hook", "http://10.0.0.1/", "ftp://93.184.215.14/", "http://169.254.169.254/"} {
		t.Run(url, func(t *testing.T) {
			r := srv.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": url, "events": []string{"session.expired"}})
			wantProblem(t, r, http.StatusBadRequest, "invalid_request")
		})
	}
	t.Run("unknown event", func(t *testing.T) {
		r := srv.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": "https://93.184.215.14/", "events": []string{"license.exploded"}})
		wantProblem(t, r, http.StatusBadRequest, "invalid_request")
	})
	t.Run("a public target is accepted", func(t *testing.T) {
		r := srv.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": "https://93.184.215.14/", "events": []string{"session.expired"}})
		if r.Status != http.StatusCreated {
			t.Fatalf("got %d, want 201: %s", r.Status, r.Raw)
		}
	})
}

// TestWebhookEvents checks that the license and session events reach an
// endpoint subscribed to them, each once.
func TestWebhookEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel()
	srv := startServer(t, t.TempDir(), "--webhook-allow-private")
	admin := srv.login()
	rc := newReceiver(t, 0)
	events := []string{"license.created", "license.updated", "license.deleted", "license.seats_exhausted", "session.expired", "session.revoked"}
	if r := srv.do("POST", "/api/v1/webhooks", admin, map[string]any{"url": rc.URL, "events": events}); r.Status != http.StatusCreated {
		t.Fatalf("create webhook: got %d, want 201: %s", r.Status, r.Raw)
	}
	licID, key := srv.createLicense(admin, map[string]any{"name": "Evented", "seats": 1, "lease_ttl_seconds": 5, "heartbeat_interval_seconds": 2})
	lic := "License " + key
	held := srv.do("POST", "/api/v1/sessions", lic, acquireBody("held", ""))
	if held.Status != http.StatusCreated {
		t.Fatalf("acquire: got %d, want 201", held.Status)
	}
	if r := srv.do("POST", "/api/v1/sessions", lic, acquireBody("refused", "")); r.Status != http.StatusConflict {
		t.Fatalf("acquire beyond the seats: got %d, want 409", r.Status)
	}
	if r := srv.do("DELETE", "/api/v1/sessions/"+held.Body["session_id"].(string), admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("revoke: got %d, want 204: %s", r.Status, r.Raw)
	}
	if r := srv.do("POST", "/api/v1/sessions", lic, acquireBody("silent", "")); r.Status != http.StatusCreated {
		t.Fatalf("acquire after the revoke: got %d, want 201", r.Status)
	}
	if r := srv.do("PATCH", "/api/v1/licenses/"+licID, admin, map[string]any{"seats": 2}); r.Status != http.StatusOK {
		t.Fatalf("patch: got %d, want 200: %s", r.Status, r.Raw)
	}

	deadline := time.Now().Add(20 * time.Second)
	for {
		rc.mu.Lock()
		got := map[string]int{}
		for _, h := range rc.hits {
			got[h.header.Get("Coditect-Event")]++
		}
		rc.mu.Unlock()
		if got["session.expired"] == 1 {
			for _, ev := range []string{"license.created", "license.updated", "license.seats_exhausted", "session.revoked"} {
				if got[ev] != 1 {
					t.Errorf("got %d %s events, want 1 (all: %v)", got[ev], ev, got)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got events %v within 20s, want session.expired among them", got)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if r := srv.do("DELETE", "/api/v1/licenses/"+licID, admin, nil); r.Status != http.StatusNoContent {
		t.Fatalf("delete: got %d, want 204: %s", r.Status, r.Raw)
	}
	for _, h := range rc.wait(t, 6, 10*time.Second)[5:] {
		if got := h.header.Get("Coditect-Event"); got != "license.deleted" {
			t.Fatalf("got %s, want license.deleted", got)
		}
	}
}
