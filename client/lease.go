package client

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// defaultReconnect paces an offline lease when the server's heartbeat
// interval is unknown.
const defaultReconnect = 30 * time.Second

// Lease is a seat held by this process. It heartbeats itself in the
// background until Release, or until it is lost, which Lost, Done, Err and
// Config.OnLeaseLost report.
//
// A lease is online (the server holds a session for it) or offline (granted
// from the cached license token while the server cannot be reached). An
// offline lease tries to go online at the heartbeat interval and becomes
// online by itself when the server answers; it is lost when the token
// expires or the server refuses it a seat.
type Lease struct {
	c          *Client
	instanceID string
	cancel     context.CancelFunc
	loopDone   chan struct{}
	done       chan struct{}
	lost       chan error
	endOnce    sync.Once
	release    sync.Once
	releaseErr error

	mu        sync.Mutex
	sess      *Session // nil while offline without a session on the server
	offline   bool
	claims    *Claims
	expiresAt time.Time
	interval  time.Duration
	err       error
}

// Acquire takes a seat and returns a lease that keeps it. ctx bounds the
// acquire only; the lease lives until Release or its loss.
//
// When the server cannot be reached (network errors or 5xx after the
// retries), Acquire grants an offline lease if the cached license token
// allows it; otherwise the error matches ErrUnreachable and
// ErrOfflineUnavailable (and ErrClockRollback, ErrTokenExpired,
// ErrWrongMachine or ErrTokenInvalid for the reason). Refusals of the server
// match ErrSeatsExhausted, ErrInvalidKey, ErrLicenseExpired,
// ErrLicenseSuspended or ErrRateLimited.
func (c *Client) Acquire(ctx context.Context) (*Lease, error) {
	instance := c.instanceID()
	s, claims, err := c.acquire(ctx, instance, 0)
	if err == nil {
		return c.startLease(instance, s, claims), nil
	}
	if errors.Is(ctx.Err(), context.Canceled) || !(errors.Is(err, ErrUnreachable) || errors.Is(err, context.DeadlineExceeded)) {
		return nil, fmt.Errorf("acquire: %w", err)
	}
	_, claims, oerr := c.offlineClaims(c.now())
	if oerr != nil {
		return nil, fmt.Errorf("acquire: %w; %w", err, oerr)
	}
	c.logger.Warn("license server unreachable; holding an offline lease from the cached license token",
		"license_id", claims.LicenseID, "offline_until", claims.ExpiresAt, "err", err)
	return c.startLease(instance, nil, claims), nil
}

func (c *Client) startLease(instance string, s *Session, claims *Claims) *Lease {
	ctx, cancel := context.WithCancel(context.Background())
	l := &Lease{
		c: c, instanceID: instance, cancel: cancel,
		loopDone: make(chan struct{}), done: make(chan struct{}), lost: make(chan error, 1),
		claims: claims, interval: defaultReconnect,
	}
	if s != nil {
		l.goOnline(s)
	} else {
		l.offline = true
		l.expiresAt = claims.ExpiresAt
		if e, err := c.cache.load(); err == nil && e.HeartbeatIntervalSeconds > 0 {
			l.interval = time.Duration(e.HeartbeatIntervalSeconds) * time.Second
		}
	}
	go l.run(ctx)
	return l
}

// SessionID returns the session's ID, or "" for an offline lease that has
// no session on the server.
func (l *Lease) SessionID() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sess == nil {
		return ""
	}
	return l.sess.ID
}

// InstanceID returns the instance ID the lease acquires with.
func (l *Lease) InstanceID() string { return l.instanceID }

// ExpiresAt returns when the lease lapses without another heartbeat; for an
// offline lease, when the license token's offline validity ends.
func (l *Lease) ExpiresAt() time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.expiresAt
}

// Offline reports whether the lease is held from the cached license token
// because the server cannot be reached.
func (l *Lease) Offline() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.offline
}

// Claims returns the verified claims of the lease's license token (the
// license, its seats and features), or nil when the token could not be
// verified (no keys pinned and none fetched).
func (l *Lease) Claims() *Claims {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.claims.clone()
}

// Lost delivers the error, matching ErrLeaseLost, when the lease is lost;
// the channel is closed afterwards. It delivers nothing on Release.
func (l *Lease) Lost() <-chan error { return l.lost }

// Done is closed when the lease ends: released or lost.
func (l *Lease) Done() <-chan struct{} { return l.done }

// Err returns why the lease was lost, or nil while it is held or after
// Release.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Release stops the heartbeats and gives the seat back. It returns once no
// heartbeat is in flight; later calls return the first call's result. An
// offline lease without a session has nothing to give back; a lost lease
// neither. If the release request fails, the seat frees when its lease
// expires on the server.
func (l *Lease) Release(ctx context.Context) error {
	l.release.Do(func() {
		l.cancel()
		<-l.loopDone
		l.mu.Lock()
		sess, lost := l.sess, l.err != nil
		l.sess = nil
		l.mu.Unlock()
		l.end()
		if sess != nil && !lost {
			l.releaseErr = l.c.Release(ctx, sess.ID, sess.Token)
		}
	})
	return l.releaseErr
}

func (l *Lease) end() { l.endOnce.Do(func() { close(l.done) }) }

// lose ends the lease with err and reports it.
func (l *Lease) lose(err error) {
	if !errors.Is(err, ErrLeaseLost) {
		err = fmt.Errorf("%w: %w", ErrLeaseLost, err)
	}
	l.mu.Lock()
	l.err = err
	l.mu.Unlock()
	l.c.logger.Error("license lease lost", "err", err)
	l.lost <- err
	close(l.lost)
	l.end()
	if l.c.cfg.OnLeaseLost != nil {
		l.c.cfg.OnLeaseLost(err)
	}
}

// run is the lease's goroutine: wait, then heartbeat (online) or check the
// token and try to go online (offline), until Release or a loss.
func (l *Lease) run(ctx context.Context) {
	defer close(l.loopDone)
	failures := 0
	for {
		if err := l.c.sleep(ctx, l.wait(failures)); err != nil {
			return
		}
		l.mu.Lock()
		offline := l.offline
		l.mu.Unlock()
		var ok bool
		var lost error
		if offline {
			ok, lost = l.stepOffline(ctx)
		} else {
			ok, lost = l.stepOnline(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		if lost != nil {
			l.lose(lost)
			return
		}
		if ok {
			failures = 0
		} else {
			failures++
		}
	}
}

// wait returns how long to sleep before the next step: the heartbeat
// interval with jitter; at most MaxDelay after a failure or while offline;
// never past the moment the lease or the offline token runs out.
func (l *Lease) wait(failures int) time.Duration {
	l.mu.Lock()
	interval, offline, exp := l.interval, l.offline, l.expiresAt
	l.mu.Unlock()
	d := interval
	if offline || failures > 0 {
		d = min(d, l.c.retry.MaxDelay)
	}
	d = jitter(d)
	if offline || failures > 0 {
		d = max(0, min(d, exp.Sub(l.c.now())))
	}
	return d
}

func (l *Lease) goOnline(s *Session) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sess, l.offline, l.expiresAt = s, false, s.ExpiresAt
	if s.HeartbeatInterval > 0 {
		l.interval = s.HeartbeatInterval
	}
}

// transient reports whether err leaves the server's verdict open: it could
// not be reached, or asked to be left alone for a while.
func transient(err error) bool {
	return errors.Is(err, ErrUnreachable) || errors.Is(err, ErrRateLimited)
}

// stepOnline heartbeats. It reports whether the step succeeded, and the
// loss that ends the lease, if any.
func (l *Lease) stepOnline(ctx context.Context) (bool, error) {
	l.mu.Lock()
	sess, exp := l.sess, l.expiresAt
	l.mu.Unlock()
	beat, err := l.c.heartbeat(ctx, sess.ID, sess.Token, 0)
	if err == nil {
		l.mu.Lock()
		l.expiresAt = beat.ExpiresAt
		if beat.HeartbeatInterval > 0 {
			l.interval = beat.HeartbeatInterval
		}
		l.mu.Unlock()
		return true, nil
	}
	if ctx.Err() != nil {
		return true, nil
	}
	if transient(err) {
		now := l.c.now()
		if now.Before(exp) {
			// The server still holds the seat, as far as we know: keep trying.
			l.c.logger.Warn("license heartbeat failed; retrying", "err", err, "lease_expires_at", exp)
			return false, nil
		}
		return l.fallBackOffline(now, err)
	}
	// The server answered: the session is gone (410) or refused (401).
	if !l.c.cfg.Reacquire {
		return false, err
	}
	l.c.logger.Warn("license session ended on the server; acquiring a new one", "err", err)
	return l.reacquire(ctx, err)
}

// fallBackOffline turns the lease offline if the cached token allows it.
func (l *Lease) fallBackOffline(now time.Time, cause error) (bool, error) {
	_, claims, oerr := l.c.offlineClaims(now)
	if oerr != nil {
		return false, fmt.Errorf("%w: %w; %w", ErrLeaseLost, cause, oerr)
	}
	l.mu.Lock()
	l.offline, l.claims, l.expiresAt = true, claims, claims.ExpiresAt
	l.mu.Unlock()
	l.c.logger.Warn("license server unreachable; the lease continues offline",
		"offline_until", claims.ExpiresAt, "err", cause)
	return true, nil
}

// reacquire replaces a session the server ended with a new one.
func (l *Lease) reacquire(ctx context.Context, cause error) (bool, error) {
	s, claims, err := l.c.acquire(ctx, l.instanceID, 0)
	switch {
	case err == nil:
		l.goOnline(s)
		l.setClaims(claims)
		return true, nil
	case ctx.Err() != nil:
		return true, nil
	case transient(err):
		l.mu.Lock()
		l.sess = nil
		l.mu.Unlock()
		return l.fallBackOffline(l.c.now(), err)
	}
	return false, fmt.Errorf("%w: %w; acquiring again: %w", ErrLeaseLost, cause, err)
}

func (l *Lease) setClaims(c *Claims) {
	if c == nil {
		return
	}
	l.mu.Lock()
	l.claims = c
	l.mu.Unlock()
}

// stepOffline re-checks the cached token (expiry, clock) and tries once to
// go back online: first by heartbeating a session from before the outage,
// else by acquiring.
func (l *Lease) stepOffline(ctx context.Context) (bool, error) {
	_, claims, err := l.c.offlineClaims(l.c.now())
	if err != nil {
		return false, err
	}
	l.mu.Lock()
	l.claims, l.expiresAt = claims, claims.ExpiresAt
	sess := l.sess
	l.mu.Unlock()

	if sess != nil {
		beat, err := l.c.heartbeat(ctx, sess.ID, sess.Token, 1)
		if err == nil {
			s := *sess
			s.ExpiresAt = beat.ExpiresAt
			if beat.HeartbeatInterval > 0 {
				s.HeartbeatInterval = beat.HeartbeatInterval
			}
			l.goOnline(&s)
			l.c.logger.Info("license server reachable again; the lease is online")
			return true, nil
		}
		if ctx.Err() != nil || transient(err) {
			return false, nil
		}
		// The session ended during the outage: acquire a new one below.
	}
	s, newClaims, err := l.c.acquire(ctx, l.instanceID, 1)
	switch {
	case err == nil:
		l.goOnline(s)
		l.setClaims(newClaims)
		l.c.logger.Info("license server reachable again; the lease is online", "session_id", s.ID)
		return true, nil
	case ctx.Err() != nil || transient(err):
		return false, nil
	}
	return false, fmt.Errorf("%w: the server refused a seat after the outage: %w", ErrLeaseLost, err)
}
