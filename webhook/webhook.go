// Package webhook signs, verifies and sends webhook deliveries, and
// decides which endpoint URLs are allowed. It imports only the root
// package and the standard library.
//
// A delivery is a POST of a JSON body with the headers
//
//	Coditect-Event: license.created
//	Coditect-Delivery: <delivery id>
//	Coditect-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
//
// A receiver recomputes the HMAC over the timestamp, a dot and the raw
// body with the endpoint's secret, compares it in constant time, and
// refuses a timestamp further than the replay window (DefaultTolerance)
// from its own clock. Verify does exactly that.
package webhook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// Header names of a delivery.
const (
	SignatureHeader = "Coditect-Signature"
	EventHeader     = "Coditect-Event"
	DeliveryHeader  = "Coditect-Delivery"
)

// DefaultTolerance is the replay window: a signature whose timestamp is
// further than this from the receiver's clock is refused.
const DefaultTolerance = 5 * time.Minute

// Sign returns the Coditect-Signature header value for body sent at t.
func Sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + mac(secret, ts, body)
}

func mac(secret []byte, ts string, body []byte) string {
	h := hmac.New(sha256.New, secret)
	h.Write([]byte(ts))
	h.Write([]byte("."))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Errors of Verify.
var (
	ErrMalformedSignature = errors.New("webhook: malformed signature header")
	ErrBadSignature       = errors.New("webhook: signature does not match")
	ErrStaleSignature     = errors.New("webhook: timestamp outside the replay window")
)

// Verify checks a Coditect-Signature header against body with the
// endpoint's secret: the HMAC must match and its timestamp must be within
// tolerance of now.
func Verify(secret []byte, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return ErrMalformedSignature
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return ErrMalformedSignature
	}
	if d := now.Sub(time.Unix(sec, 0)); d > tolerance || d < -tolerance {
		return ErrStaleSignature
	}
	want := mac(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(want)) {
			return nil
		}
	}
	return ErrBadSignature
}

// CheckURL validates an endpoint URL: http or https, a host, no user
// info; unless allowPrivate, a host that is an IP literal or a name that
// resolves must not be loopback, private, link-local or unspecified (the
// sending client checks again when it dials, so a name that later
// resolves elsewhere is caught too).
func CheckURL(ctx context.Context, raw string, allowPrivate bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return coditect.Errorf(coditect.CodeInvalidRequest, "url must be an absolute http or https URL.")
	}
	if u.User != nil || u.Fragment != "" {
		return coditect.Errorf(coditect.CodeInvalidRequest, "url must not carry credentials or a fragment.")
	}
	if allowPrivate {
		return nil
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return refused(host)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else if ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host); err == nil {
		addrs = ips
	}
	for _, a := range addrs {
		if !Public(a) {
			return refused(host)
		}
	}
	return nil
}

func refused(host string) error {
	return coditect.Errorf(coditect.CodeInvalidRequest,
		"url host %s is a private, loopback or link-local address; the server refuses those unless started with --webhook-allow-private.", host)
}

// Public reports whether a is an address a webhook may be sent to when
// private targets are refused.
func Public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && !a.IsLoopback() && !a.IsPrivate() && !a.IsLinkLocalUnicast() &&
		!a.IsLinkLocalMulticast() && !a.IsUnspecified() && !a.IsMulticast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(a) // carrier-grade NAT
}

// Client returns the HTTP client deliveries are sent with: a timeout, no
// redirects followed (a redirect could lead to a refused target), and,
// unless allowPrivate, a dialer that refuses private targets at connect
// time, whatever a name resolved to.
func Client(timeout time.Duration, allowPrivate bool) *http.Client {
	d := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		d.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !Public(ap.Addr()) {
				return fmt.Errorf("webhook: refusing to connect to %s: not a public address", address)
			}
			return nil
		}
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = d.DialContext
	tr.Proxy = nil
	return &http.Client{
		Timeout:       timeout,
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
