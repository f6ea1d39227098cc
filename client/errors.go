package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// Sentinel errors. Callers branch on them with errors.Is; the details (the
// server's message, the retry time) are in the [*Error] found with errors.As.
var (
	// ErrSeatsExhausted: every seat of the license is in use. The *Error's
	// RetryAfter says when one frees at the latest.
	ErrSeatsExhausted = errors.New("all seats of the license are in use")
	// ErrLicenseExpired: the license has passed its expiry date.
	ErrLicenseExpired = errors.New("the license has expired")
	// ErrLicenseSuspended: the vendor suspended the license.
	ErrLicenseSuspended = errors.New("the license is suspended")
	// ErrInvalidKey: the server knows no license with this key.
	ErrInvalidKey = errors.New("the license key is not valid")
	// ErrRateLimited: the server refused the request as one too many (429),
	// also after the retries.
	ErrRateLimited = errors.New("the license server is rate limiting this client")
	// ErrLeaseLost: the session ended on the server (it expired, or an
	// administrator revoked it) or an offline lease ran out; the product no
	// longer holds a seat.
	ErrLeaseLost = errors.New("the license lease was lost")
	// ErrUnreachable: the server could not be reached (network error, or a
	// 5xx answer after every retry).
	ErrUnreachable = errors.New("the license server cannot be reached")
	// ErrOfflineUnavailable: the server cannot be reached and there is no
	// cached license token that allows offline use. The error also matches
	// the reason: ErrClockRollback, ErrTokenExpired, ErrWrongMachine,
	// ErrTokenInvalid, or none when nothing is cached.
	ErrOfflineUnavailable = errors.New("no offline license is available")
	// ErrClockRollback: the system clock reads earlier than the last time the
	// SDK saw it, so the cached token's expiry cannot be trusted.
	ErrClockRollback = errors.New("the system clock was set back")
	// ErrTokenInvalid: a license token is malformed, not signed by a trusted
	// key, or not valid yet.
	ErrTokenInvalid = errors.New("the license token is not valid")
	// ErrTokenExpired: a license token is past its exp claim.
	ErrTokenExpired = errors.New("the license token has expired")
	// ErrWrongMachine: a license token is bound to another fingerprint.
	ErrWrongMachine = errors.New("the license token is bound to another machine")
)

// Error is an error answer of the server, decoded from its RFC 9457
// problem+json body.
type Error struct {
	// Status is the HTTP status code.
	Status int
	// Code is the stable snake_case code, e.g. "seats_exhausted"; empty when
	// the body was not a problem from a CODITECT server (a proxy's 502 page).
	Code string
	// Detail is the server's message, written for a person.
	Detail string
	// RetryAfter, when positive, is when trying again may succeed (the
	// Retry-After header, or the retry_after_seconds member).
	RetryAfter time.Duration
	// Seats and InUse describe a seats_exhausted refusal.
	Seats, InUse int
}

// Error implements the error interface.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("license server: ")
	if e.Detail != "" {
		b.WriteString(strings.TrimSuffix(e.Detail, "."))
	} else {
		b.WriteString(strings.ToLower(http.StatusText(e.Status)))
	}
	fmt.Fprintf(&b, " (%d", e.Status)
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	b.WriteString(")")
	return b.String()
}

// Is reports whether the error matches a sentinel, so that
// errors.Is(err, ErrSeatsExhausted) works on a wrapped *Error.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrSeatsExhausted:
		return e.Code == coditect.CodeSeatsExhausted
	case ErrLicenseExpired:
		return e.Code == coditect.CodeLicenseExpired
	case ErrLicenseSuspended:
		return e.Code == coditect.CodeLicenseSuspended
	case ErrInvalidKey:
		return e.Code == coditect.CodeInvalidLicenseKey
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrLeaseLost:
		return e.Code == coditect.CodeSessionExpired || e.Code == coditect.CodeSessionRevoked
	case ErrUnreachable:
		return e.Status >= 500
	}
	return false
}

// transient reports whether a request that failed with e may succeed when
// repeated: 5xx and 429.
func (e *Error) transient() bool {
	return e.Status >= 500 || e.Status == http.StatusTooManyRequests
}

// netError is a request that got no HTTP answer at all.
type netError struct{ err error }

func (e *netError) Error() string { return "license server unreachable: " + e.err.Error() }
func (e *netError) Unwrap() error { return e.err }

// Is makes a network error match ErrUnreachable.
func (e *netError) Is(target error) bool { return target == ErrUnreachable }

// maxErrorBody bounds how much of an error body is read.
const maxErrorBody = 64 << 10

// problem is the part of an RFC 9457 body the SDK reads.
type problem struct {
	Code              string   `json:"code"`
	Title             string   `json:"title"`
	Detail            string   `json:"detail"`
	RetryAfterSeconds *float64 `json:"retry_after_seconds"`
	Seats             int      `json:"seats"`
	InUse             int      `json:"in_use"`
}

// parseError turns a non-2xx response into an *Error. Bodies that are not
// problem+json (a proxy's HTML page) keep only the status.
func parseError(status int, header http.Header, body []byte, now time.Time) *Error {
	e := &Error{Status: status}
	ct := header.Get("Content-Type")
	if strings.Contains(ct, "json") {
		var p problem
		if json.Unmarshal(body, &p) == nil {
			e.Code, e.Detail, e.Seats, e.InUse = p.Code, p.Detail, p.Seats, p.InUse
			if e.Detail == "" {
				e.Detail = p.Title
			}
			if p.RetryAfterSeconds != nil {
				e.RetryAfter = seconds(*p.RetryAfterSeconds)
			}
		}
	}
	if d, ok := parseRetryAfter(header.Get("Retry-After"), now); ok {
		e.RetryAfter = d
	}
	return e
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return seconds(float64(n)), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(0, t.Sub(now)), true
	}
	return 0, false
}

// maxRetryAfter caps what a server may ask a client to wait, so that a
// garbage value cannot overflow a time.Duration.
const maxRetryAfter = 24 * time.Hour

func seconds(s float64) time.Duration {
	if math.IsNaN(s) || s <= 0 {
		return 0
	}
	if s >= maxRetryAfter.Seconds() {
		return maxRetryAfter
	}
	return time.Duration(s * float64(time.Second))
}
