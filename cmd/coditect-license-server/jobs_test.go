package main_test

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// sseLog collects the session events one subscriber receives.
type sseLog struct {
	mu sync.Mutex
	// byType counts events per type and session ID.
	byType map[string]map[string]int
}

func (l *sseLog) count(typ, sessionID string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.byType[typ][sessionID]
}

// subscribe opens the live session event stream of the admin's tenant on p
// and records every event until the test ends.
func subscribe(t *testing.T, p *process, admin string) *sseLog {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", p.base+"/api/v1/sessions/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", admin)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("subscribe: got status %d, want 200", resp.StatusCode)
	}
	l := &sseLog{byType: map[string]map[string]int{}}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var typ string
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				typ = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok {
				var s struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal([]byte(v), &s)
				l.mu.Lock()
				if l.byType[typ] == nil {
					l.byType[typ] = map[string]int{}
				}
				l.byType[typ][s.ID]++
				l.mu.Unlock()
			}
		}
	}()
	return l
}

// TestPeriodicJobsRunOnOneReplica runs two replicas on PostgreSQL for about
// a minute while sessions expire in waves, stops the first replica half-way
// (the other takes the job leadership over), and checks that every expired
// session was swept exactly once and that no periodic job ever ran twice
// at the same time.
func TestPeriodicJobsRunOnOneReplica(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the server binary")
	}
	t.Parallel()
	pg, rd := postgresURL(t), startRedis(t)
	dataDir := t.TempDir()
	args := []string{"--database", pg, "--redis", rd.URL(), "--sweep-interval", "300ms"}
	a := startServer(t, dataDir, args...)
	b := startServer(t, dataDir, args...)

	admin := b.login()
	events := subscribe(t, b, admin) // B sees A's events through Redis
	_, key := b.createLicense(admin, map[string]any{"name": "Sweep", "seats": 200, "lease_ttl_seconds": 5, "heartbeat_interval_seconds": 2})
	lic := "License " + key

	// Sessions never heartbeat, so each expires 5 s after its acquire.
	var sessions []string
	const waves, perWave = 8, 10
	for wave := range waves {
		replicas := []*process{a, b}
		if wave >= waves/2 {
			replicas = []*process{b}
		}
		for i := range perWave {
			r := replicas[i%len(replicas)].do("POST", "/api/v1/sessions", lic, acquireBody(fmt.Sprintf("w%d-m%d", wave, i), ""))
			if r.Status != http.StatusCreated {
				t.Fatalf("acquire: got status %d, want 201: %s", r.Status, r.Raw)
			}
			sessions = append(sessions, r.Body["session_id"].(string))
		}
		if wave == waves/2-1 {
			a.stop() // the leader, if it was A, resigns; B takes over
		}
		time.Sleep(3 * time.Second)
	}

	db, err := sql.Open("pgx", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var active int
		if err := db.QueryRow("SELECT count(*) FROM sessions WHERE ended_at IS NULL").Scan(&active); err != nil {
			t.Fatal(err)
		}
		if active == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("got %d sessions still active 30s after the last acquire, want 0", active)
		}
		time.Sleep(500 * time.Millisecond)
	}
	time.Sleep(time.Second) // let the last events arrive

	t.Run("every session is swept exactly once", func(t *testing.T) {
		var expired int
		if err := db.QueryRow("SELECT count(*) FROM sessions WHERE end_reason = 'expired' AND ended_at IS NOT NULL").Scan(&expired); err != nil {
			t.Fatal(err)
		}
		if expired != len(sessions) {
			t.Errorf("got %d sessions ended as expired, want %d", expired, len(sessions))
		}
		for _, id := range sessions {
			if got := events.count("session.expired", id); got != 1 {
				t.Errorf("session %s: got %d session.expired events, want 1", id, got)
			}
		}
	})

	t.Run("periodic jobs never overlap", func(t *testing.T) {
		for _, kind := range []string{"sweep_expired_sessions", "retain_usage"} {
			rows, err := db.Query(`SELECT id, state, attempted_at, finalized_at, attempted_by[1] FROM river.river_job
				WHERE kind = $1 AND attempted_at IS NOT NULL ORDER BY attempted_at`, kind)
			if err != nil {
				t.Fatal(err)
			}
			type run struct {
				id         int64
				state      string
				start, end sql.NullTime
				by         sql.NullString
			}
			var runs []run
			for rows.Next() {
				var r run
				if err := rows.Scan(&r.id, &r.state, &r.start, &r.end, &r.by); err != nil {
					t.Fatal(err)
				}
				runs = append(runs, r)
			}
			if err := rows.Err(); err != nil {
				t.Fatal(err)
			}
			rows.Close()
			if len(runs) == 0 {
				t.Fatalf("%s: got no runs, want at least one", kind)
			}
			workers := map[string]int{}
			for i, r := range runs {
				workers[r.by.String]++
				if r.state != "completed" && r.state != "running" {
					t.Errorf("%s job %d: got state %s, want completed", kind, r.id, r.state)
				}
				if i == 0 {
					continue
				}
				prev := runs[i-1]
				if !prev.end.Valid || r.start.Time.Before(prev.end.Time) {
					t.Errorf("%s job %d started at %v, before job %d finished (%v)", kind, r.id, r.start.Time, prev.id, prev.end)
				}
			}
			t.Logf("%s: %d runs, by worker: %v", kind, len(runs), workers)
		}
	})
}
