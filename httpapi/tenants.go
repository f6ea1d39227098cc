package httpapi

import (
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
)

type tenantResponse struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
}

func tenantJSON(t *coditect.Tenant) tenantResponse {
	return tenantResponse{ID: t.ID, Name: t.Name, CreatedAt: t.CreatedAt.UTC()}
}

// platformAdmin authenticates a request that manages tenants.
func (s *Server) platformAdmin(w http.ResponseWriter, r *http.Request) (auth.Principal, error) {
	p, err := s.principal(w, r)
	if err != nil {
		return p, err
	}
	if !p.PlatformAdmin {
		return p, coditect.Errorf(coditect.CodeForbidden, "Only platform administrators manage tenants.")
	}
	return p, nil
}

func (s *Server) listTenants(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.platformAdmin(w, r); err != nil {
		return err
	}
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	ts, err := s.Store.ListTenants(r.Context(), after, limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(ts, limit, func(t *coditect.Tenant) string { return t.ID }, tenantJSON))
	return nil
}

type tenantBody struct {
	Name  string   `json:"name"`
	Owner userBody `json:"owner"`
}

type tenantCreated struct {
	tenantResponse
	Owner userResponse `json:"owner"`
}

// createTenant creates a tenant with its first owner.
func (s *Server) createTenant(w http.ResponseWriter, r *http.Request) error {
	p, err := s.platformAdmin(w, r)
	if err != nil {
		return err
	}
	var body tenantBody
	if err := decodeJSON(r, &body, true); err != nil {
		return err
	}
	body.Name = strings.TrimSpace(body.Name)
	if body.Name == "" || utf8.RuneCountInString(body.Name) > coditect.MaxNameLength {
		return coditect.Errorf(coditect.CodeInvalidRequest, "name is required and must be at most %d characters.", coditect.MaxNameLength)
	}
	t := &coditect.Tenant{ID: s.NewID(), Name: body.Name, CreatedAt: s.Now()}
	body.Owner.Role = coditect.RoleOwner
	u, err := s.newUser(t.ID, body.Owner)
	if err != nil {
		return err
	}
	if _, err := s.Store.FindUserByEmail(r.Context(), u.Email); err == nil {
		return coditect.Errorf(coditect.CodeConflict, "A user with the email %s already exists.", u.Email)
	} else if !coditect.IsCode(err, coditect.CodeNotFound) {
		return err
	}
	if err := s.Store.CreateTenant(r.Context(), t); err != nil {
		return err
	}
	if err := s.Store.CreateUser(r.Context(), u); err != nil {
		return err
	}
	s.auditBy(r, p, "tenant.create", "tenant", t.ID, nil, map[string]any{"name": t.Name, "owner": u.Email})
	writeJSON(w, http.StatusCreated, tenantCreated{tenantJSON(t), userJSON(u)})
	return nil
}
