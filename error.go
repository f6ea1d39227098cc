package coditect

import (
	"errors"
	"fmt"
	"time"
)

// Error codes. They are part of the public contract: the HTTP API sends them
// as the `code` member of a problem+json body and the SDK maps them back.
const (
	CodeInvalidRequest       = "invalid_request"
	CodeInvalidLicenseKey    = "invalid_license_key"
	CodeLicenseSuspended     = "license_suspended"
	CodeLicenseExpired       = "license_expired"
	CodeSeatsExhausted       = "seats_exhausted"
	CodeSessionExpired       = "session_expired"
	CodeSessionRevoked       = "session_revoked"
	CodeSessionNotFound      = "session_not_found"
	CodeInvalidToken         = "invalid_token"
	CodeUnauthorized         = "unauthorized"
	CodeForbidden            = "forbidden"
	CodeNotFound             = "not_found"
	CodeConflict             = "conflict"
	CodeRateLimited          = "rate_limited"
	CodePayloadTooLarge      = "payload_too_large"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeUnavailable          = "unavailable"
	CodeInternal             = "internal"
)

// Error is the one error type of the platform. Code is stable and machine
// readable; Message is written for the person who reads it.
type Error struct {
	Code    string
	Message string
	// RetryAfter, when positive, tells the caller when trying again may succeed.
	RetryAfter time.Duration
	// Extra holds additional members of the problem body, e.g. the seat count
	// of a seats_exhausted refusal.
	Extra map[string]any
	// Err is the underlying cause, for logs only; callers never see it.
	Err error
}

// Error implements the error interface.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("coditect error: code=%s message=%s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("coditect error: code=%s message=%s", e.Code, e.Message)
}

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Unavailable returns a CodeUnavailable error for a backend that cannot be
// reached, asking the caller to retry after a second.
func Unavailable(what string, err error) *Error {
	return &Error{Code: CodeUnavailable, Message: fmt.Sprintf("The %s is unreachable; try again shortly.", what), RetryAfter: time.Second, Err: err}
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the *Error in err's chain, CodeInternal for
// any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the message of the *Error in err's chain, or a generic
// message for internal errors, whose details must not reach callers.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "An internal error occurred."
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code string) bool {
	return ErrorCode(err) == code
}
