package httpapi

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	coditect "github.com/coditect/coditect-license"
)

type clientResponse struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	// Secret is present only in the create response.
	Secret string `json:"client_secret,omitempty"`
}

func clientJSON(c *coditect.OAuthClient) clientResponse {
	return clientResponse{ID: c.ID, Name: c.Name, Role: string(c.Role), CreatedAt: c.CreatedAt.UTC()}
}

// secretDigest is the stored form of a client secret or refresh token:
// both carry 256 random bits, so a plain SHA-256 cannot be reversed.
func secretDigest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// randomToken returns prefix + 256 random bits, base64url.
func randomToken(prefix string) string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

func (s *Server) listClients(w http.ResponseWriter, r *http.Request) error {
	p, err := s.principal(w, r)
	if err != nil {
		return err
	}
	limit, after, err := page(r)
	if err != nil {
		return err
	}
	cs, err := s.Store.ListOAuthClients(r.Context(), p.TenantID, after, limit+1)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, pageOf(cs, limit, func(c *coditect.OAuthClient) string { return c.ID }, clientJSON))
	return nil
}

type clientBody struct {
	Name string        `json:"name"`
	Role coditect.Role `json:"role"`
}

func (s *Server) createClient(w http.ResponseWriter, r *http.Request) error {
	p, err := s.owner(w, r)
	if err != nil {
		return err
	}
	var body clientBody
	if err := decodeJSON(r, &body, true); err != nil {
		return err
	}
	body.Name = strings.TrimSpace(body.Name)
	if body.Name == "" || utf8.RuneCountInString(body.Name) > coditect.MaxNameLength {
		return coditect.Errorf(coditect.CodeInvalidRequest, "name is required and must be at most %d characters.", coditect.MaxNameLength)
	}
	if body.Role == "" {
		body.Role = coditect.RoleViewer
	}
	if body.Role != coditect.RoleAdmin && body.Role != coditect.RoleViewer {
		return coditect.Errorf(coditect.CodeInvalidRequest, "role must be admin or viewer: clients never manage users.")
	}
	secret := randomToken("cs1.")
	c := &coditect.OAuthClient{
		ID: "cl_" + strings.ReplaceAll(s.NewID(), "-", ""), TenantID: p.TenantID, Name: body.Name,
		SecretDigest: secretDigest(secret), Role: body.Role, CreatedBy: p.UserID, CreatedAt: s.Now(),
	}
	if err := s.Store.CreateOAuthClient(r.Context(), c); err != nil {
		return err
	}
	s.auditBy(r, p, "client.create", "client", c.ID, nil, map[string]any{"name": c.Name, "role": string(c.Role)})
	resp := clientJSON(c)
	resp.Secret = secret
	writeJSON(w, http.StatusCreated, resp)
	return nil
}

func (s *Server) deleteClient(w http.ResponseWriter, r *http.Request) error {
	p, err := s.owner(w, r)
	if err != nil {
		return err
	}
	id := r.PathValue("client_id")
	if err := s.Store.DeleteOAuthClient(r.Context(), p.TenantID, id); err != nil {
		return err
	}
	s.auditBy(r, p, "client.delete", "client", id, nil, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}
