package httpapi

import (
	"math"
	"net/http"
	"strconv"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// Limits are the API's rate limits. A Limit that is not Valid is off.
type Limits struct {
	// LicenseKey limits acquires and status reads per license key.
	LicenseKey coditect.Limit
	// ClientIP limits calls that present a license key, per client IP, so
	// guessing keys from one address is slow.
	ClientIP coditect.Limit
	// Session limits heartbeats and releases per session. It is the only
	// limit on heartbeats, so a flood elsewhere never starves them.
	Session coditect.Limit
	// Admin limits admin API calls per authenticated subject.
	Admin coditect.Limit
	// LoginIP limits the token endpoint per client IP.
	LoginIP coditect.Limit
	// LoginAccount limits sign-in attempts per account, shortest window
	// first. Attempts count against the longer tiers even when a shorter
	// one refuses them, so the delay grows as attempts go on: a few quick
	// retries, then one a minute, then one every ten minutes.
	LoginAccount []coditect.Limit
}

// DefaultLimits are generous for real clients (a heartbeat every two
// minutes, a few acquires a minute) and tight for floods and guessing.
func DefaultLimits() Limits {
	return Limits{
		LicenseKey: coditect.Limit{Rate: 50, Burst: 100},
		ClientIP:   coditect.Limit{Rate: 200, Burst: 400},
		Session:    coditect.Limit{Rate: 2, Burst: 10},
		Admin:      coditect.Limit{Rate: 20, Burst: 100},
		LoginIP:    coditect.Limit{Rate: 2, Burst: 20},
		LoginAccount: []coditect.Limit{
			{Rate: 1.0 / 10, Burst: 5},
			{Rate: 1.0 / 60, Burst: 15},
			{Rate: 1.0 / 600, Burst: 30},
		},
	}
}

// limit charges one request to key under l. A refusal is a rate_limited
// error with Retry-After; the RateLimit-* headers describe the budget. A
// limiter that cannot be reached lets the request through: protection is
// worth less than availability, and the failure is logged.
func (s *Server) limit(w http.ResponseWriter, r *http.Request, name, key string, l coditect.Limit) error {
	if s.Limiter == nil || !l.Valid() {
		return nil
	}
	d, err := s.Limiter.Allow(r.Context(), name+":"+key, l, s.Now())
	if err != nil {
		s.logger.WarnContext(r.Context(), "rate limiter unavailable; request let through", "limit", name, "err", err)
		s.Metrics.limiterFailed()
		return nil
	}
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(l.Burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(d.Remaining))
	h.Set("RateLimit-Reset", strconv.Itoa(ceilSeconds(d.ResetAfter)))
	if d.Allowed {
		return nil
	}
	s.Metrics.rateLimited(name)
	retry := max(1, ceilSeconds(d.RetryAfter))
	return &coditect.Error{
		Code:       coditect.CodeRateLimited,
		Message:    "Too many requests; retry after " + strconv.Itoa(retry) + " seconds.",
		RetryAfter: time.Duration(retry) * time.Second,
	}
}

func ceilSeconds(d time.Duration) int {
	return int(math.Ceil(d.Seconds()))
}
