package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
	"github.com/coditect/coditect-license/docs/api"
	"github.com/coditect/coditect-license/httpapi"
	"github.com/coditect/coditect-license/seat"
	"github.com/coditect/coditect-license/signing"
	"github.com/coditect/coditect-license/web"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Main wires the server together. Open prepares everything (store,
// migrations, keys, ledger rebuild, listener); Run serves until its context
// ends; Close releases what Open took. The end-to-end test drives the same
// type through the real binary.
type Main struct {
	Config Config
	// Stdout receives the start banner (where it listens, how to sign in).
	Stdout io.Writer
	// Stderr receives logs.
	Stderr io.Writer
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	logger   *slog.Logger
	store    coditect.Store
	ledger   *ledger
	seats    *seat.Service
	keys     *signing.Keyring
	jobs     *jobs
	webhooks *webhooks
	ln       net.Listener
	http     *http.Server
	debug    *debugServer
}

// Addr returns the address the server listens on, once Open succeeded.
func (m *Main) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// Open prepares the server. On error, call Close to release what was taken.
func (m *Main) Open(ctx context.Context) error {
	if m.Now == nil {
		m.Now = time.Now
	}
	if m.Stdout == nil {
		m.Stdout = io.Discard
	}
	if m.Stderr == nil {
		m.Stderr = io.Discard
	}
	m.logger = newLogger(m.Config, m.Stderr)
	m.logger.Info("starting", "config", m.Config)

	if err := os.MkdirAll(m.Config.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	store, err := openStore(ctx, m.Config)
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	m.store = store
	m.ledger, err = openLedger(ctx, m.Config, m.logger)
	if err != nil {
		return fmt.Errorf("open seat ledger: %w", err)
	}

	keyDir := filepath.Join(m.Config.DataDir, "keys")
	m.keys, err = openKeyring(ctx, m.Config, store, m.Now, m.logger)
	if err != nil {
		return err
	}
	accessKey, err := signing.LoadOrCreateKey(filepath.Join(keyDir, "access-token.pem"))
	if err != nil {
		return fmt.Errorf("access token key: %w", err)
	}
	secret, err := signing.LoadOrCreateSecret(filepath.Join(keyDir, "session-token.secret"), 32)
	if err != nil {
		return fmt.Errorf("session token secret: %w", err)
	}
	tokens, err := seat.NewSessionTokens(secret)
	if err != nil {
		return err
	}

	m.jobs, err = m.openJobs(ctx)
	if err != nil {
		return err
	}
	m.webhooks = &webhooks{store: store, jobs: m.jobs.insert, now: m.Now, logger: m.logger}

	m.seats, err = seat.New(seat.Config{
		Store: store, Ledger: m.ledger, Signer: m.keys,
		SessionTokens: tokens, Issuer: m.Config.Issuer, Now: m.Now, NewID: newID, Logger: m.logger,
		Events: webhookBus{EventBus: m.ledger.events, webhooks: m.webhooks},
		Usage:  &webhookUsage{Store: store, webhooks: m.webhooks, notified: map[string]time.Time{}},
	})
	if err != nil {
		return err
	}
	// An in-memory ledger is rebuilt before the listener exists, so no
	// acquire can ever see it empty while seats are held. Redis restores
	// lost licenses one by one as they are touched.
	if m.ledger.rebuildAtStart {
		n, err := m.seats.Rebuild(ctx)
		if err != nil {
			return fmt.Errorf("rebuild seat ledger: %w", err)
		}
		m.logger.Info("seat ledger rebuilt from the store", "active_sessions", n)
	}

	bootstrap, err := m.bootstrap(ctx)
	if err != nil {
		return fmt.Errorf("first start: %w", err)
	}
	doc, err := api.JSON()
	if err != nil {
		return fmt.Errorf("load OpenAPI document: %w", err)
	}
	srv := &httpapi.Server{
		Seats: m.seats, Store: webhookStore{Store: store, webhooks: m.webhooks}, Keys: m.keys, OpenAPI: doc, UI: web.Handler(), Now: m.Now, NewID: newID,
		Logger: m.logger, TrustProxy: m.Config.TrustProxy, CORSOrigins: m.Config.CORSOrigins,
		Events: m.ledger.events, RefreshTokenTTL: m.Config.RefreshTokenTTL,
		Webhooks: m.webhooks, WebhookAllowPrivate: m.Config.WebhookAllowPrivate,
		Tokens: &auth.Tokens{
			KeyID: accessKey.ID, Key: accessKey.Private, Issuer: m.Config.Issuer, Audience: "coditect-admin",
			TTL: m.Config.AccessTokenTTL, Now: m.Now, NewID: newID,
		},
		Ready: func(ctx context.Context) error {
			return errors.Join(store.Ping(ctx), m.ledger.Ping(ctx))
		},
	}
	if m.Config.RateLimits {
		srv.Limiter, srv.Limits = m.ledger.limiter, m.Config.Limits
	}
	if m.Config.Metrics {
		if srv.Metrics, err = newMetrics(m.logger); err != nil {
			return fmt.Errorf("metrics: %w", err)
		}
	}
	if m.Config.OIDCIssuer != "" {
		srv.OIDC, err = auth.NewOIDC(ctx, auth.OIDCConfig{
			Issuer: m.Config.OIDCIssuer, Audience: m.Config.OIDCAudience, JWKSURL: m.Config.OIDCJWKSURL,
			TenantClaim: m.Config.OIDCTenantClaim, RoleClaim: m.Config.OIDCRoleClaim, Now: m.Now,
		})
		if err != nil {
			return fmt.Errorf("single sign-on: %w", err)
		}
	}
	// Streams (live session events) end when shutdown starts, so a
	// graceful shutdown never waits on them; every other request in flight
	// finishes with its context intact (an acquire cancelled halfway would
	// answer 500 and give its seat back).
	stopping := make(chan struct{})
	srv.Stopping = stopping
	m.http = &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(m.logger.Handler(), slog.LevelWarn),
	}
	m.http.RegisterOnShutdown(func() { close(stopping) })
	m.ln, err = net.Listen("tcp", m.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if m.Config.DebugListen != "" {
		if m.debug, err = openDebug(m.Config.DebugListen, m.logger); err != nil {
			return err
		}
	}
	m.banner(bootstrap)
	return nil
}

// firstOwner is set when Open created the first tenant and owner.
type firstOwner struct {
	email, password string
	generated       bool
}

// bootstrap creates the first tenant and its owner on an empty store.
func (m *Main) bootstrap(ctx context.Context) (*firstOwner, error) {
	n, err := m.store.CountTenants(ctx)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, nil
	}
	owner := &firstOwner{email: m.Config.AdminEmail, password: m.Config.AdminPassword}
	if owner.email == "" {
		b := make([]byte, 18)
		_, _ = rand.Read(b)
		owner = &firstOwner{email: "admin@localhost", password: base64.RawURLEncoding.EncodeToString(b), generated: true}
	}
	email, err := coditect.NormalizeEmail(owner.email)
	if err != nil {
		return nil, err
	}
	if !owner.generated && len(owner.password) < auth.MinPasswordLength {
		return nil, fmt.Errorf("the admin password must be at least %d characters", auth.MinPasswordLength)
	}
	hash, err := auth.HashPassword(owner.password)
	if err != nil {
		return nil, err
	}
	now := m.Now()
	t := &coditect.Tenant{ID: newID(), Name: "Default", CreatedAt: now}
	if err := m.store.CreateTenant(ctx, t); err != nil {
		return nil, err
	}
	u := &coditect.User{
		ID: newID(), TenantID: t.ID, Email: email, PasswordHash: hash,
		Role: coditect.RoleOwner, PlatformAdmin: true, CreatedAt: now,
	}
	if err := m.store.CreateUser(ctx, u); coditect.IsCode(err, coditect.CodeConflict) {
		// Another replica starting at the same moment created the owner.
		m.logger.Warn("the first owner already exists; another replica bootstrapped the store", "email", email)
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	m.logger.Info("created the first tenant and its owner", "tenant_id", t.ID, "email", email)
	owner.email = email
	return owner, nil
}

// banner tells the person who started the server where it is and how to
// sign in. A generated password is printed here once and never logged.
func (m *Main) banner(owner *firstOwner) {
	base := "http://" + m.ln.Addr().String()
	fmt.Fprintf(m.Stdout, "coditect-license-server listening on %s\n", base)
	switch {
	case owner != nil && owner.generated:
		fmt.Fprintf(m.Stdout, "\nFirst start: created the owner account.\n  email:    %s\n  password: %s\n"+
			"This password is shown only once. Sign in with:\n"+
			"  curl -s %s/oauth/token -d grant_type=password -d username=%s -d password='%s'\n\n",
			owner.email, owner.password, base, owner.email, owner.password)
	case owner != nil:
		fmt.Fprintf(m.Stdout, "First start: created the owner %s with the configured password.\n", owner.email)
	default:
		fmt.Fprintf(m.Stdout, "Sign in: curl -s %s/oauth/token -d grant_type=password -d username=EMAIL -d password=PASSWORD\n", base)
	}
}

// Run serves requests, flushes this replica's buffers and runs the jobs
// until ctx ends, then shuts down gracefully: requests in flight finish,
// running jobs finish, pending heartbeats are written back.
func (m *Main) Run(ctx context.Context) error {
	sweepCtx, stopSweep := context.WithCancel(context.WithoutCancel(ctx))
	if err := m.jobs.runner.Start(sweepCtx); err != nil {
		stopSweep()
		return fmt.Errorf("start jobs: %w", err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.flushLoop(sweepCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.seats.RunEvents(sweepCtx)
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		m.keys.Run(sweepCtx, 30*time.Second) // pick up a rotation done on another replica
	}()

	if m.debug != nil {
		go func() {
			if err := m.debug.serve(); err != nil {
				m.logger.Error("debug listener", "err", err)
			}
		}()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- m.http.Serve(m.ln) }()

	var err error
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		m.logger.Info("shutting down")
		shutCtx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
		err = m.http.Shutdown(shutCtx)
		cancel()
		if serr := <-serveErr; !errors.Is(serr, http.ErrServerClosed) && err == nil {
			err = serr
		}
	}
	stopCtx, cancelStop := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	if serr := m.jobs.runner.Stop(stopCtx); serr != nil {
		m.logger.Error("stop jobs", "err", serr)
	}
	cancelStop()
	stopSweep()
	wg.Wait()
	flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ferr := m.seats.Flush(flushCtx); ferr != nil {
		m.logger.Error("write back heartbeats at shutdown", "err", ferr)
	}
	if ferr := m.seats.FlushUsage(flushCtx); ferr != nil {
		m.logger.Error("write usage at shutdown", "err", ferr)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// flushLoop writes this replica's buffered heartbeats and usage back every
// SweepInterval. Every replica runs it; the cross-replica work (ending
// expired sessions, usage retention) is a job that runs on one (jobs.go).
func (m *Main) flushLoop(ctx context.Context) {
	t := time.NewTicker(m.Config.SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := errors.Join(m.seats.Flush(ctx), m.seats.FlushUsage(ctx)); err != nil && ctx.Err() == nil {
				m.logger.Error("write back heartbeats and usage", "err", err)
			}
		}
	}
}

// retainUsage rolls the usage history up and deletes what is past its
// retention. A periodic job runs it on one replica at a time (it would be
// safe on several, see seat.RetainUsage).
func (m *Main) retainUsage(ctx context.Context, now time.Time) error {
	r := seat.UsageRetention{
		Minute: m.Config.UsageMinuteRetention, Hour: seat.DefaultUsageRetention.Hour, Total: m.Config.UsageRetention,
	}
	rolled, deleted, err := seat.RetainUsage(ctx, m.store, r, now)
	if rolled > 0 || deleted > 0 {
		m.logger.Info("applied usage retention", "rolled_up", rolled, "deleted", deleted)
	}
	if err != nil {
		return fmt.Errorf("apply usage retention: %w", err)
	}
	return nil
}

// Close releases the listener and the store.
func (m *Main) Close() error {
	var errs []error
	if m.debug != nil {
		errs = append(errs, m.debug.close())
	}
	if m.ln != nil {
		if err := m.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if m.jobs != nil {
		m.jobs.close()
	}
	if m.ledger != nil {
		errs = append(errs, m.ledger.close())
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}

// newMetrics builds this server's own Prometheus registry (never the
// global one, so servers in one test process stay apart): the Go runtime,
// the process and the API's metrics.
func newMetrics(logger *slog.Logger) (*httpapi.Metrics, error) {
	reg := prometheus.NewRegistry()
	if err := errors.Join(
		reg.Register(collectors.NewGoCollector()),
		reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})),
	); err != nil {
		return nil, err
	}
	return httpapi.NewMetrics(reg, logger)
}

func newLogger(c Config, w io.Writer) *slog.Logger {
	level, _ := c.level() // validated
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
