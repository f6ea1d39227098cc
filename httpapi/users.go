package httpapi

import (
	"net/http"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
)

type userResponse struct {
	ID            string    `json:"id"`
	Email         string    `json:"email"`
	Role          string    `json:"role"`
	PlatformAdmin bool      `json:"platform_admin"`
	Disabled      bool      `json:"disabled"`
	CreatedAt     time.Time `json:"created_at"`
}

func userJSON(u *coditect.User) userResponse {
	return userResponse{ID: u.ID, Email: u.Email, Role: string(u.Role), PlatformAdmin: u.PlatformAdmin, Disabled: u.Disabled, CreatedAt: u.CreatedAt.UTC()}
}

func userAudit(u *coditect.User) map[string]any {
	return map[string]any{"email": u.Email, "role": string(u.Role), "disabled": u.Disabled}
}

// owner authenticates a request that manages users or clients.
func (s *Server) owner(w http.ResponseWriter, r *http.Request) (auth.Principal, error) {
	p, err := s.principal(w, r)
	if err != nil {
		return p, err
	}
	if p.Role != coditect.RoleOwner {
		return p, coditect.Errorf(coditect.CodeForbidden, "Only owners manage users and clients; your role is %s.", p.Role)
	}
	return p, nil
}

// newPasswordHash checks a new password's length and hashes it.
func newPasswordHash(pw string) (string, error) {
	if len(pw) < auth.MinPasswordLength || len(pw) > auth.MaxPasswordLength {
		return "", coditect.Errorf(coditect.CodeInvalidRequest, "password must be %d to %d characters.", auth.MinPasswordLength, auth.MaxPasswordLength)
	}
	return auth.HashPassword(pw)
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	users, err := s.Store.ListUsers(r.Context(), p.TenantID, after, limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(users, limit, func(u *coditect.User) string { return u.ID }, userJSON))
	return nil
}

// pageOf turns up to limit+1 rows into a list with a cursor.
func pageOf[T, R any](rows []T, limit int, id func(T) string, conv func(T) R) list[R] {
	out := list[R]{Data: []R{}}
	for i, row := range rows {
		if i == limit {
			next := id(rows[limit-1])
			out.NextCursor = &next
			break
		}
		out.Data = append(out.Data, conv(row))
	}
	return out
}

type userBody struct {
	Email    string        `json:"email"`
	Password string        `json:"password"`
	Role     coditect.Role `json:"role"`
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	p, err := s.owner(w, r)
	if err != nil {
		return err
	}
	var body userBody
	if err := decodeJSON(r, &body, true); err != nil {
		return err
	}
	u, err := s.newUser(p.TenantID, body)
	if err != nil {
		return err
	}
	if err := s.Store.CreateUser(r.Context(), u); err != nil {
		return err
	}
	s.auditBy(r, p, "user.create", "user", u.ID, nil, userAudit(u))
	writeJSON(w, http.StatusCreated, userJSON(u))
	return nil
}

func (s *Server) newUser(tenantID string, body userBody) (*coditect.User, error) {
	email, err := coditect.NormalizeEmail(body.Email)
	if err != nil {
		return nil, err
	}
	if body.Role == "" {
		body.Role = coditect.RoleViewer
	}
	if !body.Role.Valid() {
		return nil, coditect.Errorf(coditect.CodeInvalidRequest, "role must be owner, admin or viewer.")
	}
	hash, err := newPasswordHash(body.Password)
	if err != nil {
		return nil, err
	}
	return &coditect.User{ID: s.NewID(), TenantID: tenantID, Email: email, PasswordHash: hash, Role: body.Role, CreatedAt: s.Now()}, nil
}

type userPatch struct {
	Role     *coditect.Role `json:"role"`
	Disabled *bool          `json:"disabled"`
}

func (s *Server) patchUser(w http.ResponseWriter, r *http.Request) error {
	p, err := s.owner(w, r)
	if err != nil {
		return err
	}
	var body userPatch
	if err := decodeJSON(r, &body, true); err != nil {
		return err
	}
	u, err := s.Store.GetUser(r.Context(), p.TenantID, r.PathValue("user_id"))
	if err != nil {
		return err
	}
	if u.ID == p.UserID {
		return coditect.Errorf(coditect.CodeForbidden, "You cannot change your own role or disable yourself; ask another owner.")
	}
	before := userAudit(u)
	if body.Role != nil {
		if !body.Role.Valid() {
			return coditect.Errorf(coditect.CodeInvalidRequest, "role must be owner, admin or viewer.")
		}
		u.Role = *body.Role
	}
	if body.Disabled != nil {
		u.Disabled = *body.Disabled
	}
	if err := s.Store.UpdateUser(r.Context(), u); err != nil {
		return err
	}
	s.auditBy(r, p, "user.update", "user", u.ID, before, userAudit(u))
	writeJSON(w, http.StatusOK, userJSON(u))
	return nil
}

type passwordBody struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}

func (s *Server) changeOwnPassword(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	if kind, _ := actorOf(p); kind != coditect.ActorUser || !isLocalUser(p) {
		return coditect.Errorf(coditect.CodeForbidden, "Only signed-in users with a password can change it.")
	}
	var body passwordBody
	if err := decodeJSON(r, &body, true); err != nil {
		return err
	}
	u, err := s.Store.GetUser(r.Context(), p.TenantID, p.UserID)
	if err != nil {
		return err
	}
	if ok, err := auth.VerifyPassword(u.PasswordHash, body.CurrentPassword); err != nil {
		return err
	} else if !ok {
		s.auditBy(r, p, "user.password_change_failed", "user", u.ID, nil, nil)
		return coditect.Errorf(coditect.CodeForbidden, "The current password is wrong.")
	}
	if u.PasswordHash, err = newPasswordHash(body.NewPassword); err != nil {
		return err
	}
	if err := s.Store.UpdateUser(r.Context(), u); err != nil {
		return err
	}
	s.auditBy(r, p, "user.password_change", "user", u.ID, nil, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
