package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
)

// licenseAudit is the state of a license recorded before and after a change.
func licenseAudit(l *coditect.License) map[string]any {
	m := map[string]any{
		"name": l.Name, "status": string(l.Status), "seats": l.Seats, "features": nonNil(l.Features),
		"lease_ttl_seconds": l.LeaseTTLSeconds, "heartbeat_interval_seconds": l.HeartbeatIntervalSeconds,
		"offline_grace_seconds": l.OfflineGraceSeconds, "key_prefix": l.KeyPrefix, "metadata": l.Metadata,
		"expires_at": nil,
	}
	if l.ExpiresAt != nil {
		m["expires_at"] = l.ExpiresAt.UTC().Format(time.RFC3339Nano)
	}
	return m
}

// editLicense loads a license of the principal's tenant for a change.
func (s *Server) editLicense(w http.ResponseWriter, r *http.Request) (auth.Principal, *coditect.License, error) {
	p, err := s.writer(w, r)
	if err != nil {
		return p, nil, err
	}
	l, err := s.Store.GetLicense(r.Context(), p.TenantID, r.PathValue("license_id"))
	return p, l, err
}

// saveLicense writes a changed license, records the change and answers
// with the license (and its new key, when rotated).
func (s *Server) saveLicense(w http.ResponseWriter, r *http.Request, p auth.Principal, before map[string]any, l *coditect.License, action, key string) error {
	l.UpdatedAt = s.Now()
	if err := s.Store.UpdateLicense(r.Context(), l); err != nil {
		return err
	}
	s.auditBy(r, p, action, "license", l.ID, before, licenseAudit(l))
	resp, err := s.licenseResponse(r, l)
	if err != nil {
		return err
	}
	resp.Key = key
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) patchLicense(w http.ResponseWriter, r *http.Request) error {
	p, l, err := s.editLicense(w, r)
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage
	if err := decodeJSON(r, &body, true); err != nil {
		return err
	}
	before := licenseAudit(l)
	in := coditect.LicenseCreate{
		Name: l.Name, Seats: l.Seats, Features: l.Features, LeaseTTLSeconds: l.LeaseTTLSeconds,
		HeartbeatIntervalSeconds: l.HeartbeatIntervalSeconds, OfflineGraceSeconds: &l.OfflineGraceSeconds, Metadata: l.Metadata,
	}
	expiresChanged := false
	for field, raw := range body {
		var dst any
		switch field {
		case "name":
			dst = &in.Name
		case "seats":
			dst = &in.Seats
		case "features":
			dst = &in.Features
		case "lease_ttl_seconds":
			dst = &in.LeaseTTLSeconds
		case "heartbeat_interval_seconds":
			dst = &in.HeartbeatIntervalSeconds
		case "offline_grace_seconds":
			dst = &in.OfflineGraceSeconds
		case "metadata":
			dst = &in.Metadata
		case "expires_at":
			expiresChanged = true
			dst = &in.ExpiresAt
		default:
			return coditect.Errorf(coditect.CodeInvalidRequest, "Unknown or read-only field %q.", field)
		}
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(dst); err != nil {
			return coditect.Errorf(coditect.CodeInvalidRequest, "%s has the wrong type.", field)
		}
	}
	if !expiresChanged {
		in.ExpiresAt = nil // an unchanged past expiry is not the caller's mistake
	}
	if in.OfflineGraceSeconds == nil {
		return coditect.Errorf(coditect.CodeInvalidRequest, "offline_grace_seconds must be a number.")
	}
	if err := in.Validate(s.Now()); err != nil {
		return err
	}
	l.Name, l.Seats, l.Features, l.Metadata = in.Name, in.Seats, in.Features, in.Metadata
	l.LeaseTTLSeconds, l.HeartbeatIntervalSeconds, l.OfflineGraceSeconds = in.LeaseTTLSeconds, in.HeartbeatIntervalSeconds, *in.OfflineGraceSeconds
	if expiresChanged {
		l.ExpiresAt = in.ExpiresAt
	}
	return s.saveLicense(w, r, p, before, l, "license.update", "")
}

func (s *Server) suspendLicense(w http.ResponseWriter, r *http.Request) error {
	p, l, err := s.editLicense(w, r)
	if err != nil {
		return err
	}
	before := licenseAudit(l)
	l.Status = coditect.LicenseSuspended
	if err := s.saveLicense(w, r, p, before, l, "license.suspend", ""); err != nil {
		return err
	}
	// Heartbeats never read the store, so a suspension must end the
	// sessions to take their seats away.
	if _, err := s.Seats.RevokeAll(r.Context(), p.TenantID, l.ID); err != nil {
		s.logger.ErrorContext(r.Context(), "revoke sessions of a suspended license", "license_id", l.ID, "err", err)
	}
	return nil
}

func (s *Server) reinstateLicense(w http.ResponseWriter, r *http.Request) error {
	p, l, err := s.editLicense(w, r)
	if err != nil {
		return err
	}
	before := licenseAudit(l)
	l.Status = coditect.LicenseActive
	return s.saveLicense(w, r, p, before, l, "license.reinstate", "")
}

func (s *Server) rotateLicenseKey(w http.ResponseWriter, r *http.Request) error {
	p, l, err := s.editLicense(w, r)
	if err != nil {
		return err
	}
	before := licenseAudit(l)
	key, prefix, digest := coditect.NewLicenseKey()
	l.KeyPrefix, l.KeyDigest = prefix, digest
	return s.saveLicense(w, r, p, before, l, "license.rotate_key", key)
}

func (s *Server) deleteLicense(w http.ResponseWriter, r *http.Request) error {
	p, l, err := s.editLicense(w, r)
	if err != nil {
		return err
	}
	if _, err := s.Seats.RevokeAll(r.Context(), p.TenantID, l.ID); err != nil {
		return err
	}
	if err := s.Store.DeleteLicense(r.Context(), p.TenantID, l.ID); err != nil {
		return err
	}
	s.auditBy(r, p, "license.delete", "license", l.ID, licenseAudit(l), nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
