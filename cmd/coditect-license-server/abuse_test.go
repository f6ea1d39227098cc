package main_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestAbuseProtection: a flood of acquires on one license key is refused
// with 429 while another tenant's heartbeats all succeed; 50 wrong
// passwords for one account slow down and are audited.
func TestAbuseProtection(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel()
	srv := startServer(t, t.TempDir(), "--rate-limit-login-ip", "100:100")
	admin := srv.login()

	// Tenant B, with its own owner and licensed machines.
	ownerB := "owner-b@example.com"
	r := srv.do("POST", "/api/v1/tenants", admin, map[string]any{"name": "Tenant B", "owner": map[string]any{"email": ownerB, "password": adminPassword}})
	if r.Status != http.StatusCreated {
		t.Fatalf("create tenant: got %d %s", r.Status, r.Raw)
	}
	tokB := srv.loginAs(ownerB, adminPassword)
	_, keyB := srv.createLicense(tokB, map[string]any{"name": "B", "seats": 5})
	type held struct{ id, token string }
	var sessionsB []held
	for i := range 5 {
		g := srv.do("POST", "/api/v1/sessions", "License "+keyB, acquireBody(fmt.Sprint("b-", i), ""))
		if g.Status != http.StatusCreated {
			t.Fatalf("tenant B acquire: %d %s", g.Status, g.Raw)
		}
		sessionsB = append(sessionsB, held{g.Body["session_id"].(string), "Bearer " + g.Body["session_token"].(string)})
	}

	_, keyA := srv.createLicense(admin, map[string]any{"name": "flooded", "seats": 1000})
	var (
		sent, limited, withRetry atomic.Int64
		stop                     = make(chan struct{})
		wg                       sync.WaitGroup
	)
	start := time.Now()
	for w := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 400; i++ {
				select {
				case <-stop:
					return
				default:
				}
				r := srv.do("POST", "/api/v1/sessions", "License "+keyA, acquireBody(fmt.Sprintf("flood-%d-%d", w, i), ""))
				sent.Add(1)
				if r.Status == http.StatusTooManyRequests {
					limited.Add(1)
					if r.Header.Get("Retry-After") != "" && r.Body["code"] == "rate_limited" {
						withRetry.Add(1)
					}
				}
			}
		}()
	}
	// Tenant B's clients heartbeat through the flood.
	var beats, beatFailures atomic.Int64
	for _, s := range sessionsB {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 4 {
				r := srv.do("POST", "/api/v1/sessions/"+s.id+"/heartbeat", s.token, nil)
				beats.Add(1)
				if r.Status != http.StatusOK {
					beatFailures.Add(1)
					t.Errorf("tenant B heartbeat during the flood: got %d %s", r.Status, r.Raw)
				}
				time.Sleep(500 * time.Millisecond) // a heartbeat cadence far faster than a real client's
			}
		}()
	}
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()
	elapsed := time.Since(start)
	t.Logf("flood: %d acquires in %v (%.0f/s), %d refused with 429; tenant B: %d heartbeats, %d failed",
		sent.Load(), elapsed.Round(time.Millisecond), float64(sent.Load())/elapsed.Seconds(), limited.Load(), beats.Load(), beatFailures.Load())
	if limited.Load() == 0 || withRetry.Load() != limited.Load() {
		t.Fatalf("got %d 429s (%d with Retry-After and code rate_limited), want some, all with both", limited.Load(), withRetry.Load())
	}

	t.Run("wrong passwords slow down and are audited", func(t *testing.T) {
		victim := "victim@example.com"
		u := srv.do("POST", "/api/v1/users", admin, map[string]any{"email": victim, "password": adminPassword, "role": "viewer"})
		if u.Status != http.StatusCreated {
			t.Fatalf("create user: %d %s", u.Status, u.Raw)
		}
		var retries []int
		for range 50 {
			resp, err := http.PostForm(srv.base+"/oauth/token", url.Values{"grant_type": {"password"}, "username": {victim}, "password": {"wrong password"}})
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusTooManyRequests {
				n, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
				retries = append(retries, n)
			} else if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("got %d, want 400 or 429", resp.StatusCode)
			}
		}
		if len(retries) == 0 {
			t.Fatal("50 wrong passwords were never slowed down")
		}
		if first, last := retries[0], retries[len(retries)-1]; last <= first || last < 60 {
			t.Fatalf("got Retry-After from %ds to %ds, want a delay that grows to a minute or more", first, last)
		}
		ev := srv.do("GET", "/api/v1/audit-events?limit=500&target_id="+u.Body["id"].(string), admin, nil)
		failed, throttled := 0, 0
		for _, e := range ev.Body["data"].([]any) {
			switch e.(map[string]any)["action"] {
			case "auth.login_failed":
				failed++
			case "auth.login_throttled":
				throttled++
			}
		}
		if failed+throttled != 50 || failed == 0 || throttled == 0 {
			t.Fatalf("got %d failed and %d throttled sign-ins audited, want 50 in all, some of each", failed, throttled)
		}
	})
}
