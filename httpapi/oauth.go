package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
)

// oauthError is an RFC 6749 §5.2 error response.
type oauthError struct {
	Status      int           `json:"-"`
	Code        string        `json:"error"`
	Description string        `json:"error_description,omitempty"`
	RetryAfter  time.Duration `json:"-"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token,omitempty"`
}

// token is the OAuth2 token endpoint (RFC 6749). It answers in RFC 6749's
// error format, not problem+json.
func (s *Server) token(w http.ResponseWriter, r *http.Request) error {
	resp, err := s.grant(w, r)
	if err != nil {
		var oe *oauthError
		if !errors.As(err, &oe) {
			s.logger.ErrorContext(r.Context(), "token endpoint failed", "err", err)
			oe = &oauthError{Status: http.StatusInternalServerError, Code: "server_error", Description: "An internal error occurred."}
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if oe.Status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="coditect"`)
		}
		if oe.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(oe.RetryAfter.Seconds())))
		}
		w.WriteHeader(oe.Status)
		return json.NewEncoder(w).Encode(oe)
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) grant(w http.ResponseWriter, r *http.Request) (*tokenResponse, error) {
	if err := s.limit(w, r, "login-ip", s.clientIP(r), s.Limits.LoginIP); err != nil {
		return nil, rateLimited(err)
	}
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, &oauthError{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request", Description: "The request body is too large."}
		}
		return nil, &oauthError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "The body must be application/x-www-form-urlencoded."}
	}
	switch gt := r.PostForm.Get("grant_type"); gt {
	case "password":
		return s.passwordGrant(w, r)
	case "client_credentials":
		return s.clientCredentialsGrant(r)
	case "refresh_token":
		return s.refreshGrant(r)
	case "":
		return nil, &oauthError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "grant_type is required."}
	default:
		return nil, &oauthError{Status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: "grant_type " + gt + " is not supported."}
	}
}

func (s *Server) passwordGrant(w http.ResponseWriter, r *http.Request) (*tokenResponse, error) {
	username, password := r.PostForm.Get("username"), r.PostForm.Get("password")
	if username == "" || password == "" {
		return nil, &oauthError{Status: http.StatusBadRequest, Code: "invalid_request", Description: "username and password are required."}
	}
	invalid := &oauthError{Status: http.StatusBadRequest, Code: "invalid_grant", Description: "The email or password is wrong."}
	email, err := coditect.NormalizeEmail(username)
	if err != nil {
		return nil, invalid
	}
	// Every attempt on an account is charged to its tiers before the
	// password is checked, so guessing slows down whatever the outcome.
	u, err := s.Store.FindUserByEmail(r.Context(), email)
	// The tiers are charged longest first: an attempt refused by a short
	// tier still counts against the longer ones, so the delay grows as the
	// attempts go on (seconds, then a minute, then ten).
	for i := len(s.Limits.LoginAccount) - 1; i >= 0; i-- {
		if lerr := s.limit(w, r, "login-account-"+strconv.Itoa(i), email, s.Limits.LoginAccount[i]); lerr != nil {
			s.logger.WarnContext(r.Context(), "sign-in attempts throttled", "email", email, "ip", s.clientIP(r))
			if err == nil {
				s.audit(r, coditect.AuditEvent{TenantID: u.TenantID, ActorType: coditect.ActorAnonymous, Action: "auth.login_throttled", TargetType: "user", TargetID: u.ID})
			}
			return nil, rateLimited(lerr)
		}
	}
	if coditect.IsCode(err, coditect.CodeNotFound) {
		// Spend the same time as a real check so response times do not
		// reveal which accounts exist.
		_, _ = auth.VerifyPassword(dummyHash, password)
		return nil, invalid
	} else if err != nil {
		return nil, err
	}
	ok, err := auth.VerifyPassword(u.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok || u.Disabled {
		s.logger.InfoContext(r.Context(), "sign-in failed", "user_id", u.ID, "ip", s.clientIP(r))
		s.audit(r, coditect.AuditEvent{TenantID: u.TenantID, ActorType: coditect.ActorAnonymous, Action: "auth.login_failed", TargetType: "user", TargetID: u.ID})
		return nil, invalid
	}
	s.audit(r, coditect.AuditEvent{TenantID: u.TenantID, ActorType: coditect.ActorUser, ActorID: u.ID, Action: "auth.login", TargetType: "user", TargetID: u.ID})
	return s.issueForUser(r, u, s.NewID())
}

// rateLimited turns a rate_limited error into the token endpoint's format;
// the Retry-After header goes with it.
func rateLimited(err error) error {
	e, _ := asError(err)
	return &oauthError{Status: http.StatusTooManyRequests, Code: "rate_limited", Description: e.Message, RetryAfter: e.RetryAfter}
}

// dummyHash is checked against when no user matches, to equalise timing.
var dummyHash, _ = auth.HashPassword("coditect-timing-equaliser")

// principal authenticates an admin request's Bearer access token.
func (s *Server) principal(w http.ResponseWriter, r *http.Request) (auth.Principal, error) {
	tok := credential(r, "Bearer")
	if tok == "" {
		return auth.Principal{}, coditect.Errorf(coditect.CodeUnauthorized, "An access token is required: send \"Authorization: Bearer <access_token>\".")
	}
	var p auth.Principal
	var err error
	if s.OIDC != nil && auth.UnverifiedIssuer(tok) == s.OIDC.Issuer() {
		p, err = s.OIDC.Verify(r.Context(), tok)
	} else {
		p, err = s.Tokens.Verify(tok)
	}
	if err != nil {
		return p, err
	}
	return p, s.limit(w, r, "admin", p.TenantID+"/"+p.UserID, s.Limits.Admin)
}

// writer authenticates a request that changes data: viewers may only read.
func (s *Server) writer(w http.ResponseWriter, r *http.Request) (auth.Principal, error) {
	p, err := s.principal(w, r)
	if err != nil {
		return p, err
	}
	if !p.Role.CanWrite() {
		return p, coditect.Errorf(coditect.CodeForbidden, "Your role (%s) may not make changes.", p.Role)
	}
	return p, nil
}
