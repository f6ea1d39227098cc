package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// api is a thin HTTP client for the routes the load tool uses. It is not the
// SDK on purpose: the SDK retries and heartbeats in the background, and the
// tool must time each request alone.
//
// It is built on fasthttp rather than net/http: the tool shares the machine
// with the server it measures, and net/http's client spends about 55 µs of
// CPU per request (two goroutines per connection, allocations per header)
// where fasthttp spends about half, which leaves that CPU to the server. The
// calibration (hello.go) uses the same client, so the two stay comparable.
type api struct {
	base    string
	hc      *fasthttp.Client
	timeout time.Duration
}

func newAPI(base string, conns int, timeout time.Duration) *api {
	return &api{
		base:    strings.TrimRight(base, "/"),
		timeout: timeout,
		hc: &fasthttp.Client{
			Name:                      "coditect-bench",
			MaxConnsPerHost:           conns + 16,
			MaxConnWaitTimeout:        timeout,
			ReadTimeout:               timeout,
			WriteTimeout:              timeout,
			MaxIdemponentCallAttempts: 1, // every failure is counted, none hidden by a retry
		},
	}
}

// apiError is a failed request: its HTTP status and problem code ("" when the
// body was not problem+json; "transport" when no response arrived).
type apiError struct {
	Status int
	Code   string
	Detail string
	// RetryAfter is retry_after_seconds of a seats_exhausted answer.
	RetryAfter time.Duration
}

func (e *apiError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Detail)
}

// do sends one request and decodes a 2xx JSON body into out (when not nil).
// A request already sent runs to its answer or its timeout: ctx is checked
// before sending, and its deadline (if sooner) bounds the request.
func (a *api) do(ctx context.Context, method, path, auth string, body []byte, contentType string, out any) error {
	if err := ctx.Err(); err != nil {
		return &apiError{Code: "transport", Detail: err.Error()}
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(a.base + path)
	req.Header.SetMethod(method)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	if contentType != "" {
		req.Header.SetContentType(contentType)
	}
	if body != nil {
		req.SetBodyRaw(body)
	}
	deadline := time.Now().Add(a.timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := a.hc.DoDeadline(req, resp, deadline); err != nil {
		return &apiError{Code: "transport", Detail: err.Error()}
	}
	status, data := resp.StatusCode(), resp.Body()
	if status/100 != 2 {
		var p struct {
			Code       string  `json:"code"`
			Error      string  `json:"error"` // RFC 6749 errors of /oauth/token
			Detail     string  `json:"detail"`
			RetryAfter float64 `json:"retry_after_seconds"`
		}
		_ = json.Unmarshal(data, &p)
		if p.Code == "" {
			p.Code = p.Error
		}
		return &apiError{Status: status, Code: p.Code, Detail: p.Detail, RetryAfter: time.Duration(p.RetryAfter * float64(time.Second))}
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

func (a *api) jsonDo(ctx context.Context, method, path, auth string, in, out any) error {
	var body []byte
	ct := ""
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = b, "application/json"
	}
	return a.do(ctx, method, path, auth, body, ct, out)
}

// login runs the OAuth2 password grant and returns an access token.
func (a *api) login(ctx context.Context, email, password string) (string, error) {
	form := url.Values{"grant_type": {"password"}, "username": {email}, "password": {password}}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := a.do(ctx, http.MethodPost, "/oauth/token", "", []byte(form.Encode()), "application/x-www-form-urlencoded", &tok); err != nil {
		return "", fmt.Errorf("sign in as %s: %w", email, err)
	}
	return tok.AccessToken, nil
}

// license is what the tool keeps of a license it created.
type license struct {
	ID                       string `json:"id"`
	Key                      string `json:"key"`
	Seats                    int    `json:"seats"`
	LeaseTTLSeconds          int    `json:"lease_ttl_seconds"`
	HeartbeatIntervalSeconds int    `json:"heartbeat_interval_seconds"`
}

func (a *api) createLicense(ctx context.Context, token, name string, seats, leaseTTL int) (license, error) {
	in := map[string]any{"name": name, "seats": seats, "metadata": map[string]any{"created_by": "coditect-bench"}}
	if leaseTTL > 0 {
		in["lease_ttl_seconds"] = leaseTTL
	}
	var l license
	if err := a.jsonDo(ctx, http.MethodPost, "/api/v1/licenses", "Bearer "+token, in, &l); err != nil {
		return l, fmt.Errorf("create license: %w", err)
	}
	return l, nil
}

// session is a held seat.
type session struct {
	ID                       string `json:"session_id"`
	Token                    string `json:"session_token"`
	HeartbeatIntervalSeconds int    `json:"heartbeat_interval_seconds"`
}

func (a *api) acquire(ctx context.Context, key, fingerprint, instance string) (session, error) {
	var s session
	in := struct {
		Fingerprint string `json:"fingerprint"`
		InstanceID  string `json:"instance_id"`
		ClientName  string `json:"client_name"`
	}{fingerprint, instance, "coditect-bench"}
	err := a.jsonDo(ctx, http.MethodPost, "/api/v1/sessions", "License "+key, in, &s)
	return s, err
}

func (a *api) heartbeat(ctx context.Context, s session) error {
	return a.do(ctx, http.MethodPost, "/api/v1/sessions/"+s.ID+"/heartbeat", "Bearer "+s.Token, nil, "", nil)
}

func (a *api) release(ctx context.Context, s session) error {
	return a.do(ctx, http.MethodDelete, "/api/v1/sessions/"+s.ID, "Bearer "+s.Token, nil, "", nil)
}

// seatsInUse reads GET /api/v1/license for one license key.
func (a *api) seatsInUse(ctx context.Context, key string) (int, error) {
	var st struct {
		SeatsInUse int `json:"seats_in_use"`
	}
	err := a.do(ctx, http.MethodGet, "/api/v1/license", "License "+key, nil, "", &st)
	return st.SeatsInUse, err
}
