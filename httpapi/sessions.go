package httpapi

import (
	"net/http"
	"time"

	coditect "github.com/coditect/coditect-license"
)

type sessionResponse struct {
	ID              string     `json:"id"`
	LicenseID       string     `json:"license_id"`
	Fingerprint     string     `json:"fingerprint"`
	InstanceID      string     `json:"instance_id"`
	User            string     `json:"user"`
	Hostname        string     `json:"hostname"`
	ClientName      string     `json:"client_name"`
	ClientVersion   string     `json:"client_version"`
	IP              string     `json:"ip"`
	Status          string     `json:"status"`
	StartedAt       time.Time  `json:"started_at"`
	LastHeartbeatAt time.Time  `json:"last_heartbeat_at"`
	ExpiresAt       time.Time  `json:"expires_at"`
	EndedAt         *time.Time `json:"ended_at"`
	EndReason       *string    `json:"end_reason"`
}

func sessionJSON(ss *coditect.Session) sessionResponse {
	var reason *string
	if ss.EndReason != "" {
		r := string(ss.EndReason)
		reason = &r
	}
	return sessionResponse{
		ID: ss.ID, LicenseID: ss.LicenseID, Fingerprint: ss.Fingerprint, InstanceID: ss.InstanceID,
		User: ss.User, Hostname: ss.Hostname, ClientName: ss.ClientName, ClientVersion: ss.ClientVersion,
		IP: ss.IP, Status: string(ss.Status), StartedAt: ss.StartedAt.UTC(), LastHeartbeatAt: ss.LastHeartbeatAt.UTC(),
		ExpiresAt: ss.ExpiresAt.UTC(), EndedAt: utcPtr(ss.EndedAt), EndReason: reason,
	}
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	status := coditect.SessionStatus(q.Get("status"))
	if status != "" && status != coditect.SessionActive && status != coditect.SessionEnded {
		return coditect.Errorf(coditect.CodeInvalidRequest, "status must be active or ended.")
	}
	ss, err := s.Store.ListSessions(r.Context(), p.TenantID, coditect.SessionFilter{LicenseID: q.Get("license_id"), Status: status, After: after, Limit: limit + 1})
	if err != nil {
		return err
	}
	out := list[sessionResponse]{Data: []sessionResponse{}}
	for i, sess := range ss {
		if i == limit {
			next := ss[limit-1].ID
			out.NextCursor = &next
			break
		}
		out.Data = append(out.Data, sessionJSON(sess))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
