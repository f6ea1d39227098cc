package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"

	coditect "github.com/coditect/coditect-license"
)

// statuses is the one table from error codes to HTTP statuses.
var statuses = map[string]int{
	coditect.CodeInvalidRequest:       http.StatusBadRequest,
	coditect.CodeInvalidLicenseKey:    http.StatusUnauthorized,
	coditect.CodeInvalidToken:         http.StatusUnauthorized,
	coditect.CodeUnauthorized:         http.StatusUnauthorized,
	coditect.CodeLicenseSuspended:     http.StatusForbidden,
	coditect.CodeLicenseExpired:       http.StatusForbidden,
	coditect.CodeForbidden:            http.StatusForbidden,
	coditect.CodeNotFound:             http.StatusNotFound,
	coditect.CodeSessionNotFound:      http.StatusNotFound,
	coditect.CodeMethodNotAllowed:     http.StatusMethodNotAllowed,
	coditect.CodeSeatsExhausted:       http.StatusConflict,
	coditect.CodeConflict:             http.StatusConflict,
	coditect.CodeSessionExpired:       http.StatusGone,
	coditect.CodeSessionRevoked:       http.StatusGone,
	coditect.CodePayloadTooLarge:      http.StatusRequestEntityTooLarge,
	coditect.CodeUnsupportedMediaType: http.StatusUnsupportedMediaType,
	coditect.CodeRateLimited:          http.StatusTooManyRequests,
	coditect.CodeInternal:             http.StatusInternalServerError,
	coditect.CodeUnavailable:          http.StatusServiceUnavailable,
}

// Status returns the HTTP status for an error code.
func Status(code string) int {
	if s, ok := statuses[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ProblemTypePrefix starts the `type` URI of every problem; the code ends it.
const ProblemTypePrefix = "urn:coditect:problem:"

// writeError writes err as RFC 9457 problem+json. Internal errors are
// logged here, once, and their details are never sent.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	code := coditect.ErrorCode(err)
	status := Status(code)
	if status >= 500 {
		s.logger.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path, "code", code, "err", err)
	}
	body := map[string]any{
		"type":   ProblemTypePrefix + code,
		"title":  http.StatusText(status),
		"status": status,
		"detail": coditect.ErrorMessage(err),
		"code":   code,
	}
	var retry int
	if e, ok := asError(err); ok {
		for k, v := range e.Extra {
			if _, taken := body[k]; !taken {
				body[k] = v
			}
		}
		retry = int(e.RetryAfter.Seconds())
	}
	h := w.Header()
	if retry > 0 {
		h.Set("Retry-After", strconv.Itoa(retry))
	}
	switch code {
	case coditect.CodeInvalidLicenseKey:
		h.Set("WWW-Authenticate", `License realm="coditect"`)
	case coditect.CodeInvalidToken, coditect.CodeUnauthorized:
		h.Set("WWW-Authenticate", `Bearer realm="coditect"`)
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
