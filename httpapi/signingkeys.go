package httpapi

import (
	"context"
	"net/http"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// KeyManager is the deployment's license signing keyring.
type KeyManager interface {
	JWKS() []byte
	ActiveKeyID() string
	Keys() []*coditect.SigningKey
	Rotate(ctx context.Context) (*coditect.SigningKey, error)
}

type signingKeyResponse struct {
	ID        string     `json:"id"`
	Algorithm string     `json:"algorithm"`
	Active    bool       `json:"active"`
	External  bool       `json:"external"`
	CreatedAt time.Time  `json:"created_at"`
	RetiredAt *time.Time `json:"retired_at"`
}

func (s *Server) signingKeyJSON(k *coditect.SigningKey) signingKeyResponse {
	return signingKeyResponse{
		ID: k.ID, Algorithm: k.Algorithm, Active: k.ID == s.Keys.ActiveKeyID(), External: k.ExternalRef != "",
		CreatedAt: k.CreatedAt.UTC(), RetiredAt: utcPtr(k.RetiredAt),
	}
}

func (s *Server) listSigningKeys(w http.ResponseWriter, r *http.Request) error {
	if _, err := s.platformAdmin(w, r); err != nil {
		return err
	}
	out := list[signingKeyResponse]{Data: []signingKeyResponse{}}
	for _, k := range s.Keys.Keys() {
		out.Data = append(out.Data, s.signingKeyJSON(k))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) rotateSigningKey(w http.ResponseWriter, r *http.Request) error {
	p, err := s.platformAdmin(w, r)
	if err != nil {
		return err
	}
	k, err := s.Keys.Rotate(r.Context())
	if err != nil {
		return err
	}
	s.auditBy(r, p, "signing_key.rotate", "signing_key", k.ID, nil, map[string]any{"id": k.ID})
	writeJSON(w, http.StatusCreated, s.signingKeyJSON(k))
	return nil
}
