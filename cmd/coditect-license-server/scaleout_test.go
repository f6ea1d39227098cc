package main_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
)

func TestTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel()
	pg, rd := postgresURL(t), startRedis(t)
	// Replicas share the keys directory (in production: one mounted secret),
	// the database and Redis.
	dataDir := t.TempDir()
	args := []string{"--database", pg, "--redis", rd.URL()}
	a := startServer(t, dataDir, args...)
	b := startServer(t, dataDir, args...)
	replicas := []*process{a, b}

	admin := a.login()
	_, key := a.createLicense(admin, map[string]any{"name": "Shared", "seats": 10})
	lic := "License " + key

	type grant struct {
		replica int
		body    map[string]any
	}
	var (
		mu      sync.Mutex
		grants  []grant
		refused int
		wg      sync.WaitGroup
	)
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := replicas[i%2].do("POST", "/api/v1/sessions", lic, acquireBody(fmt.Sprintf("m-%03d", i), ""))
			mu.Lock()
			defer mu.Unlock()
			switch r.Status {
			case http.StatusCreated:
				grants = append(grants, grant{i % 2, r.Body})
			case http.StatusConflict:
				refused++
			default:
				t.Errorf("got status %d, want 201 or 409: %s", r.Status, r.Raw)
			}
		}()
	}
	wg.Wait()
	if len(grants) != 10 || refused != 90 {
		t.Fatalf("got %d leases and %d refusals, want 10 and 90", len(grants), refused)
	}
	onA := 0
	for _, g := range grants {
		if g.replica == 0 {
			onA++
		}
	}
	t.Logf("leases granted: %d by replica A, %d by replica B", onA, 10-onA)

	for _, p := range replicas {
		if st := p.do("GET", "/api/v1/license", lic, nil); st.Body["seats_in_use"] != float64(10) {
			t.Fatalf("got seats_in_use %v, want 10 on both replicas", st.Body["seats_in_use"])
		}
	}

	// A session heartbeats and is released on the replica that did not
	// grant it; the freed seat goes to an acquirer on the other replica.
	g := grants[0]
	other := replicas[1-g.replica]
	sid, stok := g.body["session_id"].(string), "Bearer "+g.body["session_token"].(string)
	if r := other.do("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, nil); r.Status != http.StatusOK {
		t.Fatalf("heartbeat on the other replica: got %d, want 200: %s", r.Status, r.Raw)
	}
	if r := other.do("DELETE", "/api/v1/sessions/"+sid, stok, nil); r.Status != http.StatusNoContent {
		t.Fatalf("release on the other replica: got %d, want 204: %s", r.Status, r.Raw)
	}
	granter := replicas[g.replica]
	if r := granter.do("POST", "/api/v1/sessions", lic, acquireBody("newcomer", "")); r.Status != http.StatusCreated {
		t.Fatalf("acquire after the release: got %d, want 201: %s", r.Status, r.Raw)
	}
	if r := other.do("POST", "/api/v1/sessions", lic, acquireBody("one-too-many", "")); r.Status != http.StatusConflict {
		t.Fatalf("acquire beyond the seats: got %d, want 409", r.Status)
	}
}

func TestRedisLossKeepsSeatsHeld(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel()
	rd := startRedis(t)
	srv := startServer(t, t.TempDir(), "--database", postgresURL(t), "--redis", rd.URL())
	admin := srv.login()
	_, key := srv.createLicense(admin, map[string]any{"name": "Flushed", "seats": 3})
	lic := "License " + key
	for i := range 3 {
		if r := srv.do("POST", "/api/v1/sessions", lic, acquireBody(fmt.Sprint("holder-", i), "")); r.Status != http.StatusCreated {
			t.Fatalf("acquire: got %d, want 201", r.Status)
		}
	}
	refusals := func() int {
		n := 0
		for i := range 5 {
			if r := srv.do("POST", "/api/v1/sessions", lic, acquireBody(fmt.Sprint("late-", i), "")); r.Status == http.StatusConflict {
				n++
			}
		}
		return n
	}
	before := refusals()
	if before != 5 {
		t.Fatalf("got %d refusals before the loss, want 5", before)
	}

	t.Run("after FLUSHALL", func(t *testing.T) {
		if out := rd.CLI("FLUSHALL"); out != "OK" {
			t.Fatalf("FLUSHALL: %q", out)
		}
		if got := refusals(); got != before {
			t.Fatalf("got %d refusals after the flush, want %d", got, before)
		}
	})

	t.Run("after a restart without persistence", func(t *testing.T) {
		rd.Stop()
		rd.Start()
		if got := refusals(); got != before {
			t.Fatalf("got %d refusals after the restart, want %d", got, before)
		}
		if st := srv.do("GET", "/api/v1/license", lic, nil); st.Body["seats_in_use"] != float64(3) {
			t.Fatalf("got seats_in_use %v, want 3", st.Body["seats_in_use"])
		}
	})
}
