package httpapi

import (
	"net/http"
	"strings"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
)

// clientPrefix marks the subject of an access token issued to an OAuth
// client rather than a user.
const clientPrefix = "client:"

// isLocalUser reports whether p is a user with a password here (not an
// OAuth client, not a single sign-on identity).
func isLocalUser(p auth.Principal) bool {
	return !strings.HasPrefix(p.UserID, clientPrefix) && !strings.HasPrefix(p.UserID, "oidc:")
}

func actorOf(p auth.Principal) (kind, id string) {
	if id, ok := strings.CutPrefix(p.UserID, clientPrefix); ok {
		return coditect.ActorClient, id
	}
	return coditect.ActorUser, p.UserID
}

// audit records an admin change or a sign-in event. The change has already
// happened, so a failure to record it is logged rather than failing the
// request.
func (s *Server) audit(r *http.Request, e coditect.AuditEvent) {
	e.ID = s.NewID()
	e.CreatedAt = s.Now()
	e.IP = s.clientIP(r)
	if err := s.Store.RecordAudit(r.Context(), &e); err != nil {
		s.logger.ErrorContext(r.Context(), "record audit event", "action", e.Action, "err", err)
	}
}

// auditBy records an event done by an authenticated principal.
func (s *Server) auditBy(r *http.Request, p auth.Principal, action, targetType, targetID string, before, after map[string]any) {
	kind, id := actorOf(p)
	s.audit(r, coditect.AuditEvent{
		TenantID: p.TenantID, ActorType: kind, ActorID: id, Action: action,
		TargetType: targetType, TargetID: targetID, Before: before, After: after,
	})
}

type auditResponse struct {
	ID         string         `json:"id"`
	ActorType  string         `json:"actor_type"`
	ActorID    string         `json:"actor_id"`
	Action     string         `json:"action"`
	TargetType string         `json:"target_type"`
	TargetID   string         `json:"target_id"`
	IP         string         `json:"ip"`
	Before     map[string]any `json:"before"`
	After      map[string]any `json:"after"`
	CreatedAt  time.Time      `json:"created_at"`
}

func (s *Server) listAuditEvents(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := coditect.AuditFilter{Action: q.Get("action"), ActorID: q.Get("actor_id"), TargetID: q.Get("target_id"), After: after, Limit: limit + 1}
	for name, dst := range map[string]**time.Time{"from": &f.From, "to": &f.To} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				return coditect.Errorf(coditect.CodeInvalidRequest, "%s must be an RFC 3339 time.", name)
			}
			*dst = &t
		}
	}
	events, err := s.Store.ListAuditEvents(r.Context(), p.TenantID, f)
	if err != nil {
		return err
	}
	out := list[auditResponse]{Data: []auditResponse{}}
	for i, e := range events {
		if i == limit {
			next := events[limit-1].ID
			out.NextCursor = &next
			break
		}
		out.Data = append(out.Data, auditResponse{
			ID: e.ID, ActorType: e.ActorType, ActorID: e.ActorID, Action: e.Action, TargetType: e.TargetType,
			TargetID: e.TargetID, IP: e.IP, Before: e.Before, After: e.After, CreatedAt: e.CreatedAt.UTC(),
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
