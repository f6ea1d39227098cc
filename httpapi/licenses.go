package httpapi

import (
	"net/http"
	"strconv"
	"time"

	coditect "github.com/coditect/coditect-license"
)

type licenseBody struct {
	Name                     string         `json:"name"`
	Seats                    int            `json:"seats"`
	ExpiresAt                *time.Time     `json:"expires_at"`
	Features                 []string       `json:"features"`
	LeaseTTLSeconds          int            `json:"lease_ttl_seconds"`
	HeartbeatIntervalSeconds int            `json:"heartbeat_interval_seconds"`
	OfflineGraceSeconds      *int           `json:"offline_grace_seconds"`
	Metadata                 map[string]any `json:"metadata"`
}

type licenseResponse struct {
	ID                       string         `json:"id"`
	Name                     string         `json:"name"`
	Status                   string         `json:"status"`
	Seats                    int            `json:"seats"`
	SeatsInUse               int            `json:"seats_in_use"`
	ExpiresAt                *time.Time     `json:"expires_at"`
	Features                 []string       `json:"features"`
	LeaseTTLSeconds          int            `json:"lease_ttl_seconds"`
	HeartbeatIntervalSeconds int            `json:"heartbeat_interval_seconds"`
	OfflineGraceSeconds      int            `json:"offline_grace_seconds"`
	KeyPrefix                string         `json:"key_prefix"`
	Metadata                 map[string]any `json:"metadata"`
	CreatedAt                time.Time      `json:"created_at"`
	UpdatedAt                time.Time      `json:"updated_at"`
	// Key is the full license key, present only in the create response.
	Key string `json:"key,omitempty"`
}

type list[T any] struct {
	Data       []T     `json:"data"`
	NextCursor *string `json:"next_cursor"`
}

func (s *Server) licenseResponse(r *http.Request, l *coditect.License) (licenseResponse, error) {
	inUse, err := s.Seats.SeatsInUse(r.Context(), l.TenantID, l.ID)
	if err != nil {
		return licenseResponse{}, err
	}
	md := l.Metadata
	if md == nil {
		md = map[string]any{}
	}
	return licenseResponse{
		ID: l.ID, Name: l.Name, Status: string(l.Status), Seats: l.Seats, SeatsInUse: inUse,
		ExpiresAt: utcPtr(l.ExpiresAt), Features: nonNil(l.Features), LeaseTTLSeconds: l.LeaseTTLSeconds,
		HeartbeatIntervalSeconds: l.HeartbeatIntervalSeconds, OfflineGraceSeconds: l.OfflineGraceSeconds,
		KeyPrefix: l.KeyPrefix, Metadata: md, CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC(),
	}, nil
}

func (s *Server) createLicense(w http.ResponseWriter, r *http.Request) error {
	p, err := s.writer(w, r)
	if err != nil {
		return err
	}
	var body licenseBody
	if err := decodeJSON(r, &body, true); err != nil {
		return err
	}
	now := s.Now()
	in := coditect.LicenseCreate{
		Name: body.Name, Seats: body.Seats, ExpiresAt: body.ExpiresAt, Features: body.Features,
		LeaseTTLSeconds: body.LeaseTTLSeconds, HeartbeatIntervalSeconds: body.HeartbeatIntervalSeconds,
		OfflineGraceSeconds: body.OfflineGraceSeconds, Metadata: body.Metadata,
	}
	if err := in.Validate(now); err != nil {
		return err
	}
	key, prefix, digest := coditect.NewLicenseKey()
	l := &coditect.License{
		ID: s.NewID(), TenantID: p.TenantID, Name: in.Name, Status: coditect.LicenseActive,
		Seats: in.Seats, ExpiresAt: in.ExpiresAt, Features: in.Features,
		LeaseTTLSeconds: in.LeaseTTLSeconds, HeartbeatIntervalSeconds: in.HeartbeatIntervalSeconds,
		OfflineGraceSeconds: *in.OfflineGraceSeconds, KeyDigest: digest, KeyPrefix: prefix,
		Metadata: in.Metadata, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.Store.CreateLicense(r.Context(), l); err != nil {
		return err
	}
	s.auditBy(r, p, "license.create", "license", l.ID, nil, licenseAudit(l))
	resp, err := s.licenseResponse(r, l)
	if err != nil {
		return err
	}
	resp.Key = key
	w.Header().Set("Location", "/api/v1/licenses/"+l.ID)
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

func (s *Server) getLicense(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	l, err := s.Store.GetLicense(r.Context(), p.TenantID, r.PathValue("license_id"))
	if err != nil {
		return err
	}
	resp, err := s.licenseResponse(r, l)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// page reads the limit and cursor query parameters.
func page(r *http.Request) (limit int, after string, err error) {
	limit = 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 1 || n > 500 {
			return 0, "", coditect.Errorf(coditect.CodeInvalidRequest, "limit must be a whole number from 1 to 500.")
		}
		limit = n
	}
	return limit, r.URL.Query().Get("cursor"), nil
}

func (s *Server) listLicenses(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	status := coditect.LicenseStatus(q.Get("status"))
	if status != "" && status != coditect.LicenseActive && status != coditect.LicenseSuspended {
		return coditect.Errorf(coditect.CodeInvalidRequest, "status must be active or suspended.")
	}
	ls, err := s.Store.ListLicenses(r.Context(), p.TenantID, coditect.LicenseFilter{Q: q.Get("q"), Status: status, After: after, Limit: limit + 1})
	if err != nil {
		return err
	}
	out := list[licenseResponse]{Data: []licenseResponse{}}
	for i, l := range ls {
		if i == limit {
			next := ls[limit-1].ID
			out.NextCursor = &next
			break
		}
		resp, err := s.licenseResponse(r, l)
		if err != nil {
			return err
		}
		out.Data = append(out.Data, resp)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
