package httpapi_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// eventStream reads Server-Sent Events from /api/v1/sessions/events.
type eventStream struct {
	t     *testing.T
	lines chan string
}

func (f *fixture) openEvents(authz string) *eventStream {
	f.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	f.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", f.url+"/api/v1/sessions/events", nil)
	req.Header.Set("Authorization", authz)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		f.t.Fatalf("events: got %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	s := &eventStream{t: f.t, lines: make(chan string, 100)}
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				s.lines <- event + " " + strings.TrimPrefix(line, "data: ")
			}
		}
		close(s.lines)
	}()
	return s
}

// next returns "type data" of the next event, or "" if none came in time.
func (s *eventStream) next(wait time.Duration) string {
	select {
	case l := <-s.lines:
		return l
	case <-time.After(wait):
		return ""
	}
}

func TestSessionEventStream(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	stream := f.openEvents(f.viewer)
	lic := f.createLicense(`{"name":"live","seats":2}`)
	g := f.call("POST", "/api/v1/sessions", "License "+lic.body["key"].(string), `{"fingerprint":"m1","hostname":"build-7"}`)
	sid, stok := g.body["session_id"].(string), "Bearer "+g.body["session_token"].(string)
	f.call("POST", "/api/v1/sessions/"+sid+"/heartbeat", stok, "")
	f.call("DELETE", "/api/v1/sessions/"+sid, stok, "")

	for _, want := range []string{"session.acquired", "session.heartbeat", "session.released"} {
		got := stream.next(5 * time.Second)
		if !strings.HasPrefix(got, want+" ") || !strings.Contains(got, sid) {
			t.Fatalf("got %q, want a %s event of %s", got, want, sid)
		}
		if want == "session.acquired" && !strings.Contains(got, `"hostname":"build-7"`) {
			t.Fatalf("acquired event %q lacks the session's fields", got)
		}
	}
	if r := f.call("GET", "/api/v1/sessions/events", "", ""); r.status != 401 {
		t.Fatalf("without a token: got %d, want 401", r.status)
	}
}
