package httpapi_test

import (
	"context"
	"encoding/json"
	"net/url"
	"reflect"
	"sync"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// testClock is a clock that moves only when told to.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type point struct {
	Start            time.Time `json:"start"`
	PeakInUse        int       `json:"peak_in_use"`
	Acquires         int       `json:"acquires"`
	Denials          int       `json:"denials"`
	DistinctUsers    int       `json:"distinct_users"`
	DistinctMachines int       `json:"distinct_machines"`
}

type series struct {
	Data []point   `json:"data"`
	Step string    `json:"step"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

type overview struct {
	Licenses    int     `json:"licenses"`
	Seats       int     `json:"seats"`
	SeatsInUse  int     `json:"seats_in_use"`
	Utilization float64 `json:"utilization"`
	Denials24h  int     `json:"denials_24h"`
	NearLimit   []struct {
		LicenseID  string `json:"license_id"`
		Name       string `json:"name"`
		Seats      int    `json:"seats"`
		SeatsInUse int    `json:"seats_in_use"`
	} `json:"near_limit"`
	ExpiringSoon []struct {
		LicenseID string    `json:"license_id"`
		Name      string    `json:"name"`
		ExpiresAt time.Time `json:"expires_at"`
	} `json:"expiring_soon"`
}

func decode[T any](t *testing.T, r result) T {
	t.Helper()
	var v T
	if r.status != 200 {
		t.Fatalf("got %d %s, want 200", r.status, r.raw)
	}
	if err := json.Unmarshal([]byte(r.raw), &v); err != nil {
		t.Fatalf("decode %s: %v", r.raw, err)
	}
	return v
}

func usageQuery(licenseID string, from, to time.Time, step string) string {
	q := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}
	if licenseID != "" {
		q.Set("license_id", licenseID)
	}
	if step != "" {
		q.Set("step", step)
	}
	return "/api/v1/stats/usage?" + q.Encode()
}

// TestStats drives acquires and denials over simulated minutes and reads
// the same numbers back from stats/usage and stats/overview.
func TestStats(t *testing.T) {
	t.Parallel()
	// From the top of an hour, so the simulated minutes fall in one hour.
	clock := &testClock{t: time.Now().UTC().Truncate(time.Hour).Add(5 * time.Second)}
	f := newFixtureAt(t, clock.Now)
	m0 := clock.Now().Truncate(time.Minute)
	minute := func(i int) time.Time { return m0.Add(time.Duration(i) * time.Minute) }
	soon := m0.Add(10 * 24 * time.Hour)

	busy := f.createLicense(`{"name":"busy","seats":2}`)
	later := f.createLicense(`{"name":"later","seats":10,"expires_at":"` + soon.Format(time.RFC3339) + `"}`)
	f.createLicense(`{"name":"idle","seats":5}`)
	busyID, laterID := busy.body["id"].(string), later.body["id"].(string)
	acquire := func(lic result, fpr, user string, want int) result {
		t.Helper()
		r := f.call("POST", "/api/v1/sessions", "License "+lic.body["key"].(string), `{"fingerprint":"`+fpr+`","user":"`+user+`"}`)
		if r.status != want {
			t.Fatalf("acquire %s: got %d %s, want %d", fpr, r.status, r.raw, want)
		}
		return r
	}
	flush := func() {
		t.Helper()
		if err := f.seats.FlushUsage(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	// Minute 0: two seats taken, one acquire refused.
	acquire(busy, "m1", "ann", 201)
	bob := acquire(busy, "m2", "bob", 201)
	acquire(busy, "m3", "carl", 409)
	// Minute 1: bob leaves, dan takes his seat, eve is refused twice; fay
	// takes a seat of the other license.
	clock.Add(time.Minute)
	if r := f.call("DELETE", "/api/v1/sessions/"+bob.body["session_id"].(string), "Bearer "+bob.body["session_token"].(string), ""); r.status != 204 {
		t.Fatalf("release: got %d %s", r.status, r.raw)
	}
	acquire(busy, "m4", "dan", 201)
	acquire(busy, "m5", "eve", 409)
	acquire(busy, "m5", "eve", 409)
	acquire(later, "m6", "fay", 201)
	flush()

	t.Run("usage of one license, minute by minute", func(t *testing.T) {
		got := decode[series](t, f.call("GET", usageQuery(busyID, minute(0), minute(3), "minute"), f.viewer, ""))
		want := series{Step: "minute", From: minute(0), To: minute(3), Data: []point{
			{Start: minute(0), PeakInUse: 2, Acquires: 2, Denials: 1, DistinctUsers: 2, DistinctMachines: 2},
			{Start: minute(1), PeakInUse: 2, Acquires: 1, Denials: 2, DistinctUsers: 1, DistinctMachines: 1},
			{Start: minute(2)},
		}}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		// Three minutes take minutes by default.
		if dflt := decode[series](t, f.call("GET", usageQuery(busyID, minute(0), minute(3), ""), f.viewer, "")); !reflect.DeepEqual(dflt, want) {
			t.Fatalf("default step: got %+v, want %+v", dflt, want)
		}
	})

	t.Run("usage of one license, by the hour", func(t *testing.T) {
		hour := m0.Truncate(time.Hour)
		got := decode[series](t, f.call("GET", usageQuery(busyID, m0, minute(2), "hour"), f.viewer, ""))
		want := []point{{Start: hour, PeakInUse: 2, Acquires: 3, Denials: 3, DistinctUsers: 2, DistinctMachines: 2}}
		if got.Step != "hour" || !got.From.Equal(hour) || !reflect.DeepEqual(got.Data, want) {
			t.Fatalf("got %+v, want step hour from %v and %+v", got, hour, want)
		}
	})

	t.Run("usage of all licenses adds them up", func(t *testing.T) {
		got := decode[series](t, f.call("GET", usageQuery("", minute(0), minute(2), "minute"), f.viewer, ""))
		want := []point{
			{Start: minute(0), PeakInUse: 2, Acquires: 2, Denials: 1, DistinctUsers: 2, DistinctMachines: 2},
			{Start: minute(1), PeakInUse: 3, Acquires: 2, Denials: 2, DistinctUsers: 2, DistinctMachines: 2},
		}
		if !reflect.DeepEqual(got.Data, want) {
			t.Fatalf("got %+v, want %+v", got.Data, want)
		}
	})

	t.Run("overview", func(t *testing.T) {
		got := decode[overview](t, f.call("GET", "/api/v1/stats/overview", f.viewer, ""))
		if got.Licenses != 3 || got.Seats != 17 || got.SeatsInUse != 3 || got.Denials24h != 3 || got.Utilization != 3.0/17 {
			t.Fatalf("got %+v, want 3 licenses, 17 seats, 3 in use, 3 denials", got)
		}
		if len(got.NearLimit) != 1 || got.NearLimit[0].LicenseID != busyID || got.NearLimit[0].Name != "busy" ||
			got.NearLimit[0].Seats != 2 || got.NearLimit[0].SeatsInUse != 2 {
			t.Fatalf("got near_limit %+v, want busy with 2 of 2 seats", got.NearLimit)
		}
		if len(got.ExpiringSoon) != 1 || got.ExpiringSoon[0].LicenseID != laterID || !got.ExpiringSoon[0].ExpiresAt.Equal(soon) {
			t.Fatalf("got expiring_soon %+v, want later at %v", got.ExpiringSoon, soon)
		}
	})

	t.Run("a minute with seats held but no acquire has its peak", func(t *testing.T) {
		clock.Add(time.Minute)
		flush()
		got := decode[series](t, f.call("GET", usageQuery("", minute(2), minute(3), "minute"), f.viewer, ""))
		if want := []point{{Start: minute(2), PeakInUse: 3}}; !reflect.DeepEqual(got.Data, want) {
			t.Fatalf("got %+v, want %+v", got.Data, want)
		}
	})

	t.Run("suspended and expired licenses hand out no seats", func(t *testing.T) {
		if r := f.call("POST", "/api/v1/licenses/"+laterID+"/suspend", f.owner, ""); r.status != 200 {
			t.Fatalf("suspend: got %d %s", r.status, r.raw)
		}
		got := decode[overview](t, f.call("GET", "/api/v1/stats/overview", f.viewer, ""))
		if got.Licenses != 3 || got.Seats != 7 || got.SeatsInUse != 2 || len(got.ExpiringSoon) != 0 {
			t.Fatalf("got %+v, want 3 licenses, 7 seats, 2 in use, none expiring", got)
		}
	})

	t.Run("bad queries are refused", func(t *testing.T) {
		for name, path := range map[string]string{
			"from after to":             usageQuery("", minute(2), minute(1), ""),
			"from equal to":             usageQuery("", minute(1), minute(1), ""),
			"more than 400 days":        usageQuery("", minute(0).Add(-401*24*time.Hour), minute(0), "day"),
			"an unknown step":           usageQuery("", minute(0), minute(1), "week"),
			"too many points":           usageQuery("", minute(0).Add(-8*24*time.Hour), minute(0), "minute"),
			"a malformed from":          "/api/v1/stats/usage?from=yesterday",
			"a malformed to":            "/api/v1/stats/usage?to=1700000000",
			"from after the default to": "/api/v1/stats/usage?from=" + url.QueryEscape(clock.Now().Add(time.Hour).Format(time.RFC3339)),
		} {
			t.Run(name, func(t *testing.T) {
				wantProblem(t, f.call("GET", path, f.viewer, ""), 400, coditect.CodeInvalidRequest)
			})
		}
	})

	t.Run("the default range is the last 24 hours", func(t *testing.T) {
		got := decode[series](t, f.call("GET", "/api/v1/stats/usage", f.viewer, ""))
		if got.Step != "minute" || len(got.Data) != 24*60+1 || !got.To.Equal(clock.Now()) {
			t.Fatalf("got step %s, %d points, to %v; want minutes, 1441 points (the last one partial), to now", got.Step, len(got.Data), got.To)
		}
		if long := decode[series](t, f.call("GET", usageQuery("", minute(0).Add(-60*24*time.Hour), minute(0), ""), f.viewer, "")); long.Step != "day" {
			t.Fatalf("60 days: got step %s, want day", long.Step)
		}
	})

	t.Run("another tenant's license is not found", func(t *testing.T) {
		other := &coditect.Tenant{ID: newID(), Name: "Other", CreatedAt: time.Now()}
		if err := f.store.CreateTenant(context.Background(), other); err != nil {
			t.Fatal(err)
		}
		intruder := f.tokenFor(other.ID)
		wantProblem(t, f.call("GET", usageQuery(busyID, minute(0), minute(3), ""), intruder, ""), 404, coditect.CodeNotFound)
		got := decode[overview](t, f.call("GET", "/api/v1/stats/overview", intruder, ""))
		if got.Licenses != 0 || got.Seats != 0 || got.Denials24h != 0 || got.Utilization != 0 || len(got.NearLimit) != 0 {
			t.Fatalf("another tenant's overview: got %+v, want nothing", got)
		}
		wantProblem(t, f.call("GET", "/api/v1/stats/overview", "", ""), 401, coditect.CodeUnauthorized)
	})
}
