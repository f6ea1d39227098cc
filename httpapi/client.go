package httpapi

import (
	"net"
	"net/http"
	"strings"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/seat"
)

type acquireBody struct {
	Fingerprint   string         `json:"fingerprint"`
	InstanceID    string         `json:"instance_id"`
	User          string         `json:"user"`
	Hostname      string         `json:"hostname"`
	ClientName    string         `json:"client_name"`
	ClientVersion string         `json:"client_version"`
	Metadata      map[string]any `json:"metadata"`
}

type acquireResponse struct {
	SessionID                string    `json:"session_id"`
	SessionToken             string    `json:"session_token"`
	LicenseID                string    `json:"license_id"`
	ExpiresAt                time.Time `json:"expires_at"`
	LeaseTTLSeconds          int       `json:"lease_ttl_seconds"`
	HeartbeatIntervalSeconds int       `json:"heartbeat_interval_seconds"`
	LicenseToken             string    `json:"license_token"`
}

type heartbeatResponse struct {
	SessionID                string    `json:"session_id"`
	ExpiresAt                time.Time `json:"expires_at"`
	HeartbeatIntervalSeconds int       `json:"heartbeat_interval_seconds"`
}

type licenseStatusResponse struct {
	LicenseID                string     `json:"license_id"`
	Name                     string     `json:"name"`
	Status                   string     `json:"status"`
	Seats                    int        `json:"seats"`
	SeatsInUse               int        `json:"seats_in_use"`
	ExpiresAt                *time.Time `json:"expires_at"`
	Features                 []string   `json:"features"`
	LeaseTTLSeconds          int        `json:"lease_ttl_seconds"`
	HeartbeatIntervalSeconds int        `json:"heartbeat_interval_seconds"`
}

// credential returns the credentials of an Authorization header with the
// given scheme (case-insensitive), or "".
func credential(r *http.Request, scheme string) string {
	h := r.Header.Get("Authorization")
	if len(h) > len(scheme) && strings.EqualFold(h[:len(scheme)], scheme) && h[len(scheme)] == ' ' {
		return strings.TrimSpace(h[len(scheme)+1:])
	}
	return ""
}

func licenseKey(r *http.Request) (string, error) {
	if key := credential(r, "License"); key != "" {
		return key, nil
	}
	return "", coditect.Errorf(coditect.CodeInvalidLicenseKey, "A license key is required: send \"Authorization: License <key>\".")
}

func (s *Server) clientIP(r *http.Request) string {
	if s.TrustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			first, _, _ := strings.Cut(xff, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitKey charges a license-key request to its client IP and its key.
func (s *Server) limitKey(w http.ResponseWriter, r *http.Request, key string) error {
	if err := s.limit(w, r, "ip", s.clientIP(r), s.Limits.ClientIP); err != nil {
		return err
	}
	return s.limit(w, r, "key", coditect.LicenseKeyDigest(key), s.Limits.LicenseKey)
}

func (s *Server) acquire(w http.ResponseWriter, r *http.Request) error {
	key, err := licenseKey(r)
	if err != nil {
		return err
	}
	if err := s.limitKey(w, r, key); err != nil {
		return err
	}
	var body acquireBody
	if err := decodeJSON(r, &body, false); err != nil {
		return err
	}
	g, err := s.Seats.Acquire(r.Context(), seat.AcquireRequest{
		LicenseKey: key, Fingerprint: body.Fingerprint, InstanceID: body.InstanceID,
		User: body.User, Hostname: body.Hostname, ClientName: body.ClientName,
		ClientVersion: body.ClientVersion, IP: s.clientIP(r), Metadata: body.Metadata,
	})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !g.Created {
		status = http.StatusOK
	}
	writeJSON(w, status, acquireResponse{
		SessionID: g.Session.ID, SessionToken: g.SessionToken, LicenseID: g.License.ID,
		ExpiresAt: g.Session.ExpiresAt.UTC(), LeaseTTLSeconds: g.License.LeaseTTLSeconds,
		HeartbeatIntervalSeconds: g.License.HeartbeatIntervalSeconds, LicenseToken: g.LicenseToken,
	})
	return nil
}

func sessionToken(r *http.Request) (string, error) {
	if t := credential(r, "Bearer"); t != "" {
		return t, nil
	}
	return "", coditect.Errorf(coditect.CodeInvalidToken, "A session token is required: send \"Authorization: Bearer <session_token>\".")
}

func (s *Server) heartbeat(w http.ResponseWriter, r *http.Request) error {
	token, err := sessionToken(r)
	if err != nil {
		return err
	}
	if err := s.limit(w, r, "session", r.PathValue("session_id"), s.Limits.Session); err != nil {
		return err
	}
	b, err := s.Seats.Heartbeat(r.Context(), r.PathValue("session_id"), token)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, heartbeatResponse{
		SessionID: b.SessionID, ExpiresAt: b.ExpiresAt.UTC(), HeartbeatIntervalSeconds: b.HeartbeatIntervalSeconds,
	})
	return nil
}

// release ends a session with its own session token, or revokes it with an
// admin access token of its tenant.
func (s *Server) release(w http.ResponseWriter, r *http.Request) error {
	token, err := sessionToken(r)
	if err != nil {
		return err
	}
	id := r.PathValue("session_id")
	if err := s.limit(w, r, "session", id, s.Limits.Session); err != nil {
		return err
	}
	if strings.HasPrefix(token, "st1.") {
		err = s.Seats.Release(r.Context(), id, token)
	} else {
		p, verr := s.principal(w, r)
		if verr != nil {
			return verr
		}
		if !p.Role.CanWrite() {
			return coditect.Errorf(coditect.CodeForbidden, "Your role (%s) may not release sessions.", p.Role)
		}
		if err = s.Seats.Revoke(r.Context(), p.TenantID, id); err == nil {
			s.auditBy(r, p, "session.revoke", "session", id, nil, nil)
		}
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) licenseStatus(w http.ResponseWriter, r *http.Request) error {
	key, err := licenseKey(r)
	if err != nil {
		return err
	}
	if err := s.limitKey(w, r, key); err != nil {
		return err
	}
	st, err := s.Seats.Status(r.Context(), key)
	if err != nil {
		return err
	}
	l := st.License
	writeJSON(w, http.StatusOK, licenseStatusResponse{
		LicenseID: l.ID, Name: l.Name, Status: string(l.Status), Seats: l.Seats, SeatsInUse: st.SeatsInUse,
		ExpiresAt: utcPtr(l.ExpiresAt), Features: nonNil(l.Features), LeaseTTLSeconds: l.LeaseTTLSeconds,
		HeartbeatIntervalSeconds: l.HeartbeatIntervalSeconds,
	})
	return nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func nonNil(ss []string) []string {
	if ss == nil {
		return []string{}
	}
	return ss
}
