// Package seat holds the rules of acquiring, heartbeating and releasing
// seats: the one place that decides who gets a lease. It talks to a durable
// store and a seat ledger only through the interfaces it declares, so every
// backend pair obeys the same rules.
package seat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	coditect "github.com/coditect/coditect-license"
)

// Store is what the seat rules need from the durable store.
type Store interface {
	FindLicenseByKeyDigest(ctx context.Context, digest string) (*coditect.License, error)
	CreateSession(ctx context.Context, s *coditect.Session) error
	GetSession(ctx context.Context, tenantID, id string) (*coditect.Session, error)
	FindActiveSession(ctx context.Context, tenantID, licenseID, fingerprint, instanceID string) (*coditect.Session, error)
	ListSessions(ctx context.Context, tenantID string, f coditect.SessionFilter) ([]*coditect.Session, error)
	EndSession(ctx context.Context, tenantID, id string, reason coditect.EndReason, at time.Time) (bool, error)
	ListActiveSessions(ctx context.Context, afterID string, limit int) ([]*coditect.Session, error)
	ListExpiredSessions(ctx context.Context, now time.Time, limit int) ([]*coditect.Session, error)
	TouchSessions(ctx context.Context, touches []coditect.SessionTouch) error
}

// Signer signs license tokens that clients verify offline.
type Signer interface {
	SignLicenseToken(c coditect.LicenseClaims) (string, error)
}

// Limits on the strings an acquire may carry.
const (
	MaxFingerprintLength = 256
	MaxFieldLength       = 256
	batchSize            = 500
)

// Config holds a Service's dependencies. Now and NewID default to the wall
// clock and UUIDv7-like IDs only when nil, so tests can inject both.
type Config struct {
	Store         Store
	Ledger        coditect.Ledger
	Signer        Signer
	SessionTokens *SessionTokens
	Issuer        string
	Now           func() time.Time
	NewID         func() string
	Logger        *slog.Logger
	// Events, when set, receives session events (published by RunEvents,
	// off the request path).
	Events coditect.EventBus
	// Usage, when set, receives the usage history (written by FlushUsage,
	// off the request path).
	Usage UsageWriter
}

// Service applies the seat rules.
type Service struct {
	store  Store
	ledger coditect.Ledger
	signer Signer
	tokens *SessionTokens
	issuer string
	now    func() time.Time
	newID  func() string
	logger *slog.Logger

	mu      sync.Mutex
	touches map[string]coditect.SessionTouch // heartbeats waiting for write-back

	instances keyedMutex // serialises acquires of one instance on this replica

	events  chan coditect.SessionEvent // queue for RunEvents
	dropped atomic.Int64               // events the full queue refused, not yet logged
	bus     coditect.EventBus

	usage UsageWriter
	rec   usageRecorder // usage waiting for FlushUsage
}

// eventQueue bounds the events waiting for RunEvents; beyond it events are
// dropped (the live monitor reloads when it reconnects) rather than slowing
// acquires and heartbeats down.
const eventQueue = 4096

// New returns a Service; every dependency in cfg is required.
func New(cfg Config) (*Service, error) {
	if cfg.Store == nil || cfg.Ledger == nil || cfg.Signer == nil || cfg.SessionTokens == nil || cfg.Now == nil || cfg.NewID == nil {
		return nil, errors.New("seat: Store, Ledger, Signer, SessionTokens, Now and NewID are required")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	// Every time the service hands out is in UTC milliseconds, the precision
	// the stores and the Redis ledger keep, so a response never shows an
	// expiry that a later read rounds differently.
	now := func() time.Time { return cfg.Now().UTC().Truncate(time.Millisecond) }
	return &Service{
		store: cfg.Store, ledger: cfg.Ledger, signer: cfg.Signer, tokens: cfg.SessionTokens,
		issuer: cfg.Issuer, now: now, newID: cfg.NewID, logger: logger,
		touches: make(map[string]coditect.SessionTouch),
		events:  make(chan coditect.SessionEvent, eventQueue),
		bus:     cfg.Events,
		usage:   cfg.Usage,
	}, nil
}

// emit queues a session event without blocking.
func (s *Service) emit(typ string, sess coditect.Session) {
	if s.bus == nil {
		return
	}
	select {
	case s.events <- coditect.SessionEvent{Type: typ, TenantID: sess.TenantID, Session: sess, At: s.now()}:
	default:
		s.dropped.Add(1) // logged by RunEvents, at most every droppedLogInterval
	}
}

// droppedLogInterval spaces the warnings about dropped events: one line
// with a count, not one per event while the queue overflows.
const droppedLogInterval = 10 * time.Second

// RunEvents publishes queued session events until ctx ends, in the order
// they happened on this replica.
func (s *Service) RunEvents(ctx context.Context) {
	if s.bus == nil {
		return
	}
	batch := make([]coditect.SessionEvent, 0, maxEventBatch)
	tick := time.NewTicker(droppedLogInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if n := s.dropped.Swap(0); n > 0 {
				s.logger.Warn("session event queue was full; events dropped", "dropped", n, "queue", eventQueue)
			}
		case e := <-s.events:
			// Whatever queued up meanwhile goes out in the same call: one
			// round trip to Redis per batch, not per event, or the queue
			// overflows under load.
			batch = append(batch[:0], e)
		drain:
			for len(batch) < maxEventBatch {
				select {
				case e := <-s.events:
					batch = append(batch, e)
				default:
					break drain
				}
			}
			if err := s.bus.Publish(ctx, batch...); err != nil && ctx.Err() == nil {
				s.logger.Warn("publish session events", "events", len(batch), "err", err)
			}
		}
	}
}

// maxEventBatch bounds the events RunEvents publishes in one call.
const maxEventBatch = 256

// AcquireRequest is a client's request for a seat.
type AcquireRequest struct {
	LicenseKey    string
	Fingerprint   string
	InstanceID    string
	User          string
	Hostname      string
	ClientName    string
	ClientVersion string
	IP            string
	Metadata      map[string]any
}

// Validate checks the request's fields.
func (r *AcquireRequest) Validate() error {
	if n := utf8.RuneCountInString(r.Fingerprint); n < 1 || n > MaxFingerprintLength {
		return coditect.Errorf(coditect.CodeInvalidRequest, "fingerprint is required and must be 1 to %d characters.", MaxFingerprintLength)
	}
	for name, v := range map[string]string{
		"instance_id": r.InstanceID, "user": r.User, "hostname": r.Hostname,
		"client_name": r.ClientName, "client_version": r.ClientVersion,
	} {
		if utf8.RuneCountInString(v) > MaxFieldLength {
			return coditect.Errorf(coditect.CodeInvalidRequest, "%s must be at most %d characters.", name, MaxFieldLength)
		}
	}
	if r.Metadata == nil {
		r.Metadata = map[string]any{}
	}
	return coditect.CheckMetadata(r.Metadata)
}

// Grant is a successful acquire.
type Grant struct {
	Session      *coditect.Session
	License      *coditect.License
	SessionToken string
	LicenseToken string
	// Created is false when an existing session (same instance ID) was
	// returned instead of a new one.
	Created bool
}

// Acquire takes a seat for the request, or returns the existing session of
// the same license, fingerprint and instance ID.
func (s *Service) Acquire(ctx context.Context, req AcquireRequest) (*Grant, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	lic, err := s.License(ctx, req.LicenseKey)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if err := lic.Usable(now); err != nil {
		return nil, err
	}
	if req.InstanceID != "" {
		// Concurrent acquires of one instance would each take a seat until
		// all but one lost the race on the row; one at a time, the later ones
		// find the first one's session instead.
		unlock := s.instances.Lock(lic.ID + "\x00" + req.Fingerprint + "\x00" + req.InstanceID)
		defer unlock()
		if g, err := s.reacquire(ctx, lic, req, now); g != nil || err != nil {
			return g, err
		}
	}

	sess := &coditect.Session{
		ID: s.newID(), TenantID: lic.TenantID, LicenseID: lic.ID,
		Fingerprint: req.Fingerprint, InstanceID: req.InstanceID, User: req.User,
		Hostname: req.Hostname, ClientName: req.ClientName, ClientVersion: req.ClientVersion,
		IP: req.IP, Metadata: req.Metadata, Status: coditect.SessionActive,
		StartedAt: now, LastHeartbeatAt: now,
	}
	res, err := s.acquireLease(ctx, lic.TenantID, coditect.AcquireParams{
		LicenseID: lic.ID, SessionID: sess.ID, TTL: lic.LeaseTTL(), Limit: lic.Seats, Now: now,
	})
	if err != nil {
		// The call may have failed after the ledger granted (a reply lost to
		// a timeout): no client will ever hold that lease, so give it back
		// rather than let it block a seat until it expires.
		s.releaseQuietly(ctx, lic.ID, sess.ID)
		return nil, fmt.Errorf("acquire lease: %w", err)
	}
	if !res.Granted {
		if req.InstanceID != "" {
			// Another replica may have just given this instance its seat.
			if g, err := s.reacquire(ctx, lic, req, now); g != nil || err != nil {
				return g, err
			}
		}
		return nil, s.exhausted(lic, res, now)
	}
	sess.ExpiresAt = res.ExpiresAt
	if err := s.store.CreateSession(ctx, sess); err != nil {
		// The ledger granted a lease the store does not know: give it back.
		s.releaseQuietly(ctx, lic.ID, sess.ID)
		if coditect.IsCode(err, coditect.CodeConflict) && req.InstanceID != "" {
			// A concurrent acquire with the same instance ID won the race.
			if g, err := s.reacquire(ctx, lic, req, now); g != nil || err != nil {
				return g, err
			}
		}
		return nil, fmt.Errorf("create session: %w", err)
	}
	// If the ledger lost its state between the grant and the row write, a
	// restore from the store may have missed this session and handed its
	// seat to someone else. Confirm the lease before answering; a restore
	// triggered here reads the store after the row exists.
	if _, live, err := s.lookupLease(ctx, lic.TenantID, lic.ID, sess.ID, now); err != nil || !live {
		if _, eerr := s.store.EndSession(context.WithoutCancel(ctx), sess.TenantID, sess.ID, coditect.EndExpired, now); eerr != nil {
			s.logger.Error("end unconfirmed session", "session_id", sess.ID, "err", eerr)
		}
		s.releaseQuietly(ctx, lic.ID, sess.ID)
		if err == nil {
			err = errors.New("lease vanished before it was confirmed")
		}
		return nil, coditect.Unavailable("seat ledger", fmt.Errorf("confirm lease: %w", err))
	}
	s.emit(coditect.EventSessionAcquired, *sess)
	s.recordGrant(lic, sess, res.InUse, true, now)
	return s.grant(lic, sess, true)
}

func (s *Service) releaseQuietly(ctx context.Context, licenseID, sessionID string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := s.ledger.Release(ctx, licenseID, sessionID); err != nil {
		s.logger.Error("release lease", "license_id", licenseID, "session_id", sessionID, "err", err)
	}
}

// reacquire returns the live session that already holds a seat for the
// request's instance, extending its lease; nil, nil when there is none.
func (s *Service) reacquire(ctx context.Context, lic *coditect.License, req AcquireRequest, now time.Time) (*Grant, error) {
	sess, err := s.store.FindActiveSession(ctx, lic.TenantID, lic.ID, req.Fingerprint, req.InstanceID)
	if coditect.IsCode(err, coditect.CodeNotFound) {
		return nil, nil
	} else if err != nil {
		return nil, fmt.Errorf("find session: %w", err)
	}
	if _, live, err := s.lookupLease(ctx, lic.TenantID, lic.ID, sess.ID, now); err != nil {
		return nil, fmt.Errorf("look up lease: %w", err)
	} else if !live {
		// The old lease lapsed; close the row so the instance starts afresh.
		if _, err := s.store.EndSession(ctx, sess.TenantID, sess.ID, coditect.EndExpired, now); err != nil {
			return nil, fmt.Errorf("end lapsed session: %w", err)
		}
		return nil, nil
	}
	res, err := s.acquireLease(ctx, lic.TenantID, coditect.AcquireParams{
		LicenseID: lic.ID, SessionID: sess.ID, TTL: lic.LeaseTTL(), Limit: lic.Seats, Now: now,
	})
	if err != nil {
		return nil, fmt.Errorf("renew lease: %w", err)
	}
	if !res.Granted {
		// It lapsed between Lookup and Acquire and the seat was taken.
		return nil, s.exhausted(lic, res, now)
	}
	sess.ExpiresAt = res.ExpiresAt
	sess.LastHeartbeatAt = now
	s.touch(sess.TenantID, sess.ID, now, res.ExpiresAt)
	s.emit(coditect.EventSessionHeartbeat, *sess)
	s.recordGrant(lic, sess, res.InUse, false, now)
	return s.grant(lic, sess, false)
}

func (s *Service) grant(lic *coditect.License, sess *coditect.Session, created bool) (*Grant, error) {
	issued := s.now()
	exp := sess.ExpiresAt
	if lic.OfflineGraceSeconds > 0 {
		exp = issued.Add(time.Duration(lic.OfflineGraceSeconds) * time.Second)
	}
	if lic.ExpiresAt != nil && exp.After(*lic.ExpiresAt) {
		exp = *lic.ExpiresAt
	}
	lt, err := s.signer.SignLicenseToken(coditect.LicenseClaims{
		Issuer: s.issuer, LicenseID: lic.ID, TenantID: lic.TenantID, SessionID: sess.ID,
		Fingerprint: sess.Fingerprint, Seats: lic.Seats, Features: lic.Features,
		IssuedAt: issued, ExpiresAt: exp,
	})
	if err != nil {
		return nil, fmt.Errorf("sign license token: %w", err)
	}
	st := s.tokens.Sign(SessionClaims{
		TenantID: lic.TenantID, LicenseID: lic.ID, SessionID: sess.ID,
		LeaseTTLSeconds: lic.LeaseTTLSeconds, HeartbeatIntervalSeconds: lic.HeartbeatIntervalSeconds,
	})
	return &Grant{Session: sess, License: lic, SessionToken: st, LicenseToken: lt, Created: created}, nil
}

// exhausted refuses an acquire (and counts the refusal in the usage
// history).
func (s *Service) exhausted(lic *coditect.License, res coditect.AcquireResult, now time.Time) error {
	s.recordDenial(lic, res.InUse, now)
	retry := max(time.Second, res.EarliestExpiry.Sub(now))
	secs := int(math.Ceil(retry.Seconds()))
	return &coditect.Error{
		Code:       coditect.CodeSeatsExhausted,
		Message:    fmt.Sprintf("All %d seats of the license are in use; one frees in at most %d seconds.", lic.Seats, secs),
		RetryAfter: time.Duration(secs) * time.Second,
		Extra:      map[string]any{"seats": lic.Seats, "in_use": res.InUse, "retry_after_seconds": secs},
	}
}

// License returns the license a key unlocks, or CodeInvalidLicenseKey.
func (s *Service) License(ctx context.Context, key string) (*coditect.License, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, coditect.Errorf(coditect.CodeInvalidLicenseKey, "A license key is required: send \"Authorization: License <key>\".")
	}
	lic, err := s.store.FindLicenseByKeyDigest(ctx, coditect.LicenseKeyDigest(key))
	if coditect.IsCode(err, coditect.CodeNotFound) {
		return nil, coditect.Errorf(coditect.CodeInvalidLicenseKey, "The license key is not valid.")
	} else if err != nil {
		return nil, fmt.Errorf("find license: %w", err)
	}
	return lic, nil
}

// Status is a license with its live seat count.
type Status struct {
	License    *coditect.License
	SeatsInUse int
}

// Status returns the license a key unlocks and how many seats are in use.
func (s *Service) Status(ctx context.Context, key string) (*Status, error) {
	lic, err := s.License(ctx, key)
	if err != nil {
		return nil, err
	}
	n, err := s.countLeases(ctx, lic.TenantID, lic.ID)
	if err != nil {
		return nil, fmt.Errorf("count leases: %w", err)
	}
	return &Status{License: lic, SeatsInUse: n}, nil
}

// SeatsInUse returns the live lease count of a license of tenantID.
func (s *Service) SeatsInUse(ctx context.Context, tenantID, licenseID string) (int, error) {
	n, err := s.countLeases(ctx, tenantID, licenseID)
	if err != nil {
		return 0, fmt.Errorf("count leases: %w", err)
	}
	return n, nil
}

// Beat is the outcome of a heartbeat.
type Beat struct {
	SessionID                string
	ExpiresAt                time.Time
	HeartbeatIntervalSeconds int
}

// Heartbeat extends a session's lease. It reads nothing from the store
// while the lease is live and writes nothing: the new expiry is written back
// in batches by Sweep.
func (s *Service) Heartbeat(ctx context.Context, sessionID, token string) (*Beat, error) {
	c, err := s.claims(sessionID, token)
	if err != nil {
		return nil, err
	}
	now := s.now()
	exp, live, err := s.heartbeatLease(ctx, c.TenantID, coditect.HeartbeatParams{
		LicenseID: c.LicenseID, SessionID: c.SessionID,
		TTL: time.Duration(c.LeaseTTLSeconds) * time.Second, Now: now,
	})
	if err != nil {
		return nil, fmt.Errorf("heartbeat lease: %w", err)
	}
	if !live {
		return nil, s.lost(ctx, c)
	}
	s.touch(c.TenantID, c.SessionID, now, exp)
	s.recordHeartbeat(c.TenantID, c.LicenseID, exp)
	s.emit(coditect.EventSessionHeartbeat, coditect.Session{
		ID: c.SessionID, TenantID: c.TenantID, LicenseID: c.LicenseID, Status: coditect.SessionActive,
		LastHeartbeatAt: now, ExpiresAt: exp,
	})
	return &Beat{SessionID: c.SessionID, ExpiresAt: exp, HeartbeatIntervalSeconds: c.HeartbeatIntervalSeconds}, nil
}

// lost explains why a lease is gone; reading the store is fine on this rare
// path.
func (s *Service) lost(ctx context.Context, c SessionClaims) error {
	sess, err := s.store.GetSession(ctx, c.TenantID, c.SessionID)
	if err == nil && sess.EndReason == coditect.EndRevoked {
		return coditect.Errorf(coditect.CodeSessionRevoked, "The session was revoked by an administrator; acquire a new seat.")
	} else if err != nil && !coditect.IsCode(err, coditect.CodeNotFound) {
		s.logger.Warn("read session of a lost lease", "session_id", c.SessionID, "err", err)
	}
	return coditect.Errorf(coditect.CodeSessionExpired, "The session has ended or its lease expired; acquire a new seat.")
}

func (s *Service) claims(sessionID, token string) (SessionClaims, error) {
	c, err := s.tokens.Verify(token)
	if err != nil {
		return c, err
	}
	if c.SessionID != sessionID {
		return c, coditect.Errorf(coditect.CodeInvalidToken, "The session token belongs to another session.")
	}
	return c, nil
}

// Release ends a session on behalf of its client. Releasing an ended
// session succeeds.
func (s *Service) Release(ctx context.Context, sessionID, token string) error {
	c, err := s.claims(sessionID, token)
	if err != nil {
		return err
	}
	return s.end(ctx, c.TenantID, c.LicenseID, c.SessionID, coditect.EndReleased)
}

// Revoke ends a session of tenantID on an administrator's behalf; the
// client's next heartbeat answers session_revoked.
func (s *Service) Revoke(ctx context.Context, tenantID, sessionID string) error {
	sess, err := s.store.GetSession(ctx, tenantID, sessionID)
	if coditect.IsCode(err, coditect.CodeNotFound) {
		return coditect.Errorf(coditect.CodeSessionNotFound, "Session not found.")
	} else if err != nil {
		return fmt.Errorf("get session: %w", err)
	}
	return s.end(ctx, sess.TenantID, sess.LicenseID, sess.ID, coditect.EndRevoked)
}

func (s *Service) end(ctx context.Context, tenantID, licenseID, sessionID string, reason coditect.EndReason) error {
	// The row is ended first: a lease without a row would hold a seat that
	// nobody can see, while a row without a lease only waits for the sweeper.
	changed, err := s.store.EndSession(ctx, tenantID, sessionID, reason, s.now())
	if coditect.IsCode(err, coditect.CodeNotFound) {
		return coditect.Errorf(coditect.CodeSessionNotFound, "Session not found.")
	} else if err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	s.mu.Lock()
	delete(s.touches, sessionID)
	s.mu.Unlock()
	if err := s.ledger.Release(ctx, licenseID, sessionID); err != nil {
		return fmt.Errorf("release lease: %w", err)
	}
	if changed {
		typ := coditect.EventSessionReleased
		if reason == coditect.EndRevoked {
			typ = coditect.EventSessionRevoked
		}
		s.emit(typ, endedSession(tenantID, licenseID, sessionID, reason, s.now()))
	}
	return nil
}

// endedSession is what an event tells of a session that just ended.
func endedSession(tenantID, licenseID, sessionID string, reason coditect.EndReason, at time.Time) coditect.Session {
	return coditect.Session{ID: sessionID, TenantID: tenantID, LicenseID: licenseID, Status: coditect.SessionEnded, EndedAt: &at, EndReason: reason}
}

func (s *Service) touch(tenantID, sessionID string, at, exp time.Time) {
	s.mu.Lock()
	s.touches[sessionID] = coditect.SessionTouch{TenantID: tenantID, SessionID: sessionID, LastHeartbeatAt: at, ExpiresAt: exp}
	s.mu.Unlock()
}

// Flush writes buffered heartbeats back to the store in batches. Heartbeats
// that fail to be written are kept for the next flush.
func (s *Service) Flush(ctx context.Context) error {
	s.mu.Lock()
	pending := s.touches
	s.touches = make(map[string]coditect.SessionTouch, len(pending))
	s.mu.Unlock()

	batch := make([]coditect.SessionTouch, 0, min(len(pending), batchSize))
	var failed []coditect.SessionTouch
	write := func() {
		if len(batch) == 0 {
			return
		}
		if err := s.store.TouchSessions(ctx, batch); err != nil {
			s.logger.Warn("write back heartbeats", "count", len(batch), "err", err)
			failed = append(failed, batch...)
		}
		batch = batch[:0]
	}
	for _, t := range pending {
		if batch = append(batch, t); len(batch) == batchSize {
			write()
		}
	}
	write()
	if len(failed) == 0 {
		return nil
	}
	s.mu.Lock()
	for _, t := range failed {
		if cur, ok := s.touches[t.SessionID]; !ok || cur.LastHeartbeatAt.Before(t.LastHeartbeatAt) {
			s.touches[t.SessionID] = t
		}
	}
	s.mu.Unlock()
	return fmt.Errorf("write back %d heartbeats failed", len(failed))
}

// Sweep writes buffered heartbeats and usage back, then ends every session
// whose lease is no longer live with end_reason expired. It returns how
// many it ended.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	flushErr := errors.Join(s.Flush(ctx), s.FlushUsage(ctx))
	ended, err := s.SweepExpired(ctx)
	return ended, errors.Join(err, flushErr)
}

// SweepExpired ends every session whose lease is no longer live with
// end_reason expired and returns how many it ended. Unlike Sweep it leaves
// this replica's buffers alone: with several replicas, one runs it (the
// job leader) while every replica flushes its own buffers.
func (s *Service) SweepExpired(ctx context.Context) (int, error) {
	ended := 0
	for {
		now := s.now()
		expired, err := s.store.ListExpiredSessions(ctx, now, batchSize)
		if err != nil {
			return ended, fmt.Errorf("list expired sessions: %w", err)
		}
		var extend []coditect.SessionTouch
		for _, sess := range expired {
			exp, live, err := s.lookupLease(ctx, sess.TenantID, sess.LicenseID, sess.ID, now)
			if err != nil {
				return ended, fmt.Errorf("look up lease: %w", err)
			}
			if live {
				// Heartbeats on another replica kept it alive; record that.
				extend = append(extend, coditect.SessionTouch{TenantID: sess.TenantID, SessionID: sess.ID, LastHeartbeatAt: sess.LastHeartbeatAt, ExpiresAt: exp})
				continue
			}
			changed, err := s.store.EndSession(ctx, sess.TenantID, sess.ID, coditect.EndExpired, now)
			if err != nil {
				return ended, fmt.Errorf("end expired session: %w", err)
			}
			if changed {
				ended++
				s.emit(coditect.EventSessionExpired, endedSession(sess.TenantID, sess.LicenseID, sess.ID, coditect.EndExpired, now))
			}
			// A lease revived between Lookup and EndSession must not outlive
			// its row.
			if err := s.ledger.Release(ctx, sess.LicenseID, sess.ID); err != nil {
				return ended, fmt.Errorf("release expired lease: %w", err)
			}
		}
		if len(extend) > 0 {
			if err := s.store.TouchSessions(ctx, extend); err != nil {
				return ended, fmt.Errorf("extend live sessions: %w", err)
			}
		}
		if len(expired) < batchSize {
			return ended, nil
		}
	}
}

// Rebuild restores the whole ledger from the store's active sessions. A
// ledger that forgets everything when its process ends (the in-memory one)
// needs it before the first acquire; a ledger that reports lost licenses
// (Redis) is restored license by license as they are touched instead.
func (s *Service) Rebuild(ctx context.Context) (int, error) {
	byLicense := map[string][]coditect.Lease{}
	restored, after := 0, ""
	for {
		page, err := s.store.ListActiveSessions(ctx, after, batchSize)
		if err != nil {
			return 0, fmt.Errorf("list active sessions: %w", err)
		}
		for _, sess := range page {
			byLicense[sess.LicenseID] = append(byLicense[sess.LicenseID], coditect.Lease{LicenseID: sess.LicenseID, SessionID: sess.ID, ExpiresAt: sess.ExpiresAt})
		}
		restored += len(page)
		if len(page) < batchSize {
			break
		}
		after = page[len(page)-1].ID
	}
	now := s.now()
	for licenseID, leases := range byLicense {
		if err := s.ledger.Restore(ctx, licenseID, leases, now); err != nil {
			return 0, fmt.Errorf("restore leases: %w", err)
		}
	}
	return restored, nil
}

// RevokeAll ends every active session of a license on an administrator's
// behalf (suspension, deletion) and frees their seats. It returns how many
// it ended.
func (s *Service) RevokeAll(ctx context.Context, tenantID, licenseID string) (int, error) {
	n, after := 0, ""
	for {
		page, err := s.store.ListSessions(ctx, tenantID, coditect.SessionFilter{
			LicenseID: licenseID, Status: coditect.SessionActive, After: after, Limit: batchSize,
		})
		if err != nil {
			return n, fmt.Errorf("list sessions to revoke: %w", err)
		}
		for _, sess := range page {
			if err := s.end(ctx, tenantID, licenseID, sess.ID, coditect.EndRevoked); err != nil {
				return n, err
			}
			n++
		}
		if len(page) < batchSize {
			return n, nil
		}
		after = page[len(page)-1].ID
	}
}
