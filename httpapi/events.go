package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// sseKeepAlive is how often an idle event stream sends a comment, so
// proxies keep it open and dead clients are noticed.
const sseKeepAlive = 15 * time.Second

// eventSession is the data of a session event: the session object with
// only the members the event knows (a heartbeat knows IDs and times).
func eventSession(s *coditect.Session) map[string]any {
	m := map[string]any{"id": s.ID, "license_id": s.LicenseID, "status": string(s.Status)}
	full := sessionJSON(s)
	if !s.StartedAt.IsZero() {
		b, _ := json.Marshal(full)
		_ = json.Unmarshal(b, &m)
		return m
	}
	if !s.LastHeartbeatAt.IsZero() {
		m["last_heartbeat_at"] = s.LastHeartbeatAt.UTC()
	}
	if !s.ExpiresAt.IsZero() {
		m["expires_at"] = s.ExpiresAt.UTC()
	}
	if s.EndedAt != nil {
		m["ended_at"] = s.EndedAt.UTC()
		m["end_reason"] = string(s.EndReason)
	}
	return m
}

// sessionEvents streams the tenant's session events as Server-Sent Events
// (session.acquired, session.heartbeat, session.released, session.expired,
// session.revoked), from every replica.
func (s *Server) sessionEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	if s.Events == nil {
		return coditect.Errorf(coditect.CodeUnavailable, "Live session events are not enabled on this server.")
	}
	events, err := s.Events.Subscribe(r.Context(), p.TenantID)
	if err != nil {
		return err
	}
	s.Metrics.streamOpened()
	defer s.Metrics.streamClosed()
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // the stream outlives the server's write timeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, "retry: 2000\n: connected\n\n")
	if err := rc.Flush(); err != nil {
		return nil
	}
	tick := time.NewTicker(sseKeepAlive)
	defer tick.Stop()
	for n := 1; ; n++ {
		select {
		case <-r.Context().Done():
			return nil
		case <-s.Stopping:
			return nil // the client reconnects, to another replica or after the restart
		case <-tick.C:
			fmt.Fprint(w, ": ping\n\n")
		case e, ok := <-events:
			if !ok {
				return nil // dropped or shut down: the client reconnects
			}
			data, _ := json.Marshal(eventSession(&e.Session))
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", n, e.Type, data)
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
	}
}
