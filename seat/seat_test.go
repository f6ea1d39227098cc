package seat_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/memory"
	"github.com/coditect/coditect-license/seat"
	"github.com/coditect/coditect-license/signing"
	"github.com/coditect/coditect-license/sqlite"
	"github.com/google/uuid"
)

// clock is a test clock that only moves when told to.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// env is one seat service over a real SQLite store and memory ledger.
type env struct {
	t      *testing.T
	svc    *seat.Service
	store  seat.Store
	sqlite *sqlite.Store
	ledger coditect.Ledger
	clock  *clock
	signer *signing.LicenseSigner
	tokens *seat.SessionTokens
	tenant string
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func newEnv(t *testing.T) *env {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "seat.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	tokens, err := seat.NewSessionTokens(secret)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{
		t: t, store: st, sqlite: st, ledger: memory.NewLedger(),
		clock:  &clock{t: time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)},
		signer: &signing.LicenseSigner{Key: signing.NewKey(priv)}, tokens: tokens,
	}
	e.svc = e.service(e.store, e.ledger)
	tenant := &coditect.Tenant{ID: newID(), Name: "Acme", CreatedAt: e.clock.Now()}
	if err := st.CreateTenant(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
	e.tenant = tenant.ID
	return e
}

func (e *env) service(store seat.Store, ledger coditect.Ledger) *seat.Service {
	e.t.Helper()
	svc, err := seat.New(seat.Config{
		Store: store, Ledger: ledger, Signer: e.signer, SessionTokens: e.tokens,
		Issuer: "test", Now: e.clock.Now, NewID: newID,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return svc
}

// license creates a license and returns it with its key.
func (e *env) license(seats, ttl int, edit func(*coditect.License)) (*coditect.License, string) {
	e.t.Helper()
	key, prefix, digest := coditect.NewLicenseKey()
	now := e.clock.Now()
	l := &coditect.License{
		ID: newID(), TenantID: e.tenant, Name: "CAD", Status: coditect.LicenseActive, Seats: seats,
		Features: []string{"export"}, LeaseTTLSeconds: ttl, HeartbeatIntervalSeconds: max(1, ttl/3),
		OfflineGraceSeconds: 3600, KeyDigest: digest, KeyPrefix: prefix, Metadata: map[string]any{},
		CreatedAt: now, UpdatedAt: now,
	}
	if edit != nil {
		edit(l)
	}
	if err := e.sqlite.CreateLicense(context.Background(), l); err != nil {
		e.t.Fatal(err)
	}
	return l, key
}

func (e *env) acquire(key, fpr, instance string) (*seat.Grant, error) {
	return e.svc.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: fpr, InstanceID: instance})
}

func (e *env) mustAcquire(key, fpr, instance string) *seat.Grant {
	e.t.Helper()
	g, err := e.acquire(key, fpr, instance)
	if err != nil {
		e.t.Fatalf("acquire %s/%s: %v", fpr, instance, err)
	}
	return g
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := coditect.ErrorCode(err); got != code {
		t.Fatalf("got error code %q (%v), want %q", got, err, code)
	}
}

func TestAcquire(t *testing.T) {
	t.Parallel()

	t.Run("grants up to the seat count, then refuses with retry time", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(2, 60, nil)
		g1 := e.mustAcquire(key, "a", "")
		if !g1.Created || !g1.Session.ExpiresAt.Equal(e.clock.Now().Add(60*time.Second)) {
			t.Fatalf("got created %v expires %v, want a new session expiring in 60s", g1.Created, g1.Session.ExpiresAt)
		}
		e.clock.Add(10 * time.Second)
		e.mustAcquire(key, "b", "")
		_, err := e.acquire(key, "c", "")
		wantCode(t, err, coditect.CodeSeatsExhausted)
		var ce *coditect.Error
		errors.As(err, &ce)
		if ce.RetryAfter != 50*time.Second || ce.Extra["seats"] != 2 || ce.Extra["in_use"] != 2 || ce.Extra["retry_after_seconds"] != 50 {
			t.Fatalf("got retry %v extra %v, want 50s, seats 2, in_use 2", ce.RetryAfter, ce.Extra)
		}
	})

	t.Run("the same instance gets its session back without a second seat", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		l, key := e.license(1, 60, nil)
		g1 := e.mustAcquire(key, "a", "main")
		e.clock.Add(30 * time.Second)
		g2 := e.mustAcquire(key, "a", "main")
		if g2.Created || g2.Session.ID != g1.Session.ID {
			t.Fatalf("got created %v session %s, want the existing session %s", g2.Created, g2.Session.ID, g1.Session.ID)
		}
		if want := e.clock.Now().Add(60 * time.Second); !g2.Session.ExpiresAt.Equal(want) {
			t.Fatalf("got expiry %v, want %v", g2.Session.ExpiresAt, want)
		}
		if n, _ := e.svc.SeatsInUse(context.Background(), e.tenant, l.ID); n != 1 {
			t.Fatalf("got %d seats in use, want 1", n)
		}
		// Another instance on the same machine needs its own seat.
		_, err := e.acquire(key, "a", "second")
		wantCode(t, err, coditect.CodeSeatsExhausted)
	})

	t.Run("an instance whose lease lapsed starts a new session", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 10, nil)
		g1 := e.mustAcquire(key, "a", "main")
		e.clock.Add(11 * time.Second)
		g2 := e.mustAcquire(key, "a", "main")
		if !g2.Created || g2.Session.ID == g1.Session.ID {
			t.Fatalf("got created %v session %s, want a new session", g2.Created, g2.Session.ID)
		}
		old, err := e.store.GetSession(context.Background(), e.tenant, g1.Session.ID)
		if err != nil {
			t.Fatal(err)
		}
		if old.Status != coditect.SessionEnded || old.EndReason != coditect.EndExpired {
			t.Fatalf("got old session %s/%s, want ended/expired", old.Status, old.EndReason)
		}
	})

	t.Run("concurrent acquires of one instance share one session", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		l, key := e.license(5, 60, nil)
		ids := make([]string, 20)
		var wg sync.WaitGroup
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g, err := e.acquire(key, "same-machine", "main")
				if err != nil {
					t.Errorf("acquire: %v", err)
					return
				}
				ids[i] = g.Session.ID
			}()
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("got sessions %v, want one session for one instance", ids)
			}
		}
		if n, _ := e.svc.SeatsInUse(context.Background(), e.tenant, l.ID); n != 1 {
			t.Fatalf("got %d seats in use, want 1", n)
		}
	})

	t.Run("refuses bad keys and unusable licenses", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, susp := e.license(1, 60, func(l *coditect.License) { l.Status = coditect.LicenseSuspended })
		_, expired := e.license(1, 60, func(l *coditect.License) {
			at := e.clock.Now().Add(-time.Minute)
			l.ExpiresAt = &at
		})
		for _, tc := range []struct{ key, code string }{
			{"", coditect.CodeInvalidLicenseKey},
			{"CDT-WRONG", coditect.CodeInvalidLicenseKey},
			{susp, coditect.CodeLicenseSuspended},
			{expired, coditect.CodeLicenseExpired},
		} {
			_, err := e.acquire(tc.key, "a", "")
			wantCode(t, err, tc.code)
		}
	})

	t.Run("validates the request", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 60, nil)
		big := map[string]any{"blob": strings.Repeat("x", coditect.MaxMetadataBytes)}
		for name, req := range map[string]seat.AcquireRequest{
			"empty fingerprint":    {LicenseKey: key},
			"long fingerprint":     {LicenseKey: key, Fingerprint: strings.Repeat("f", 257)},
			"long hostname":        {LicenseKey: key, Fingerprint: "a", Hostname: strings.Repeat("h", 257)},
			"metadata over 4 KiB":  {LicenseKey: key, Fingerprint: "a", Metadata: big},
			"unencodable metadata": {LicenseKey: key, Fingerprint: "a", Metadata: map[string]any{"f": func() {}}},
		} {
			_, err := e.svc.Acquire(context.Background(), req)
			if coditect.ErrorCode(err) != coditect.CodeInvalidRequest {
				t.Errorf("%s: got %v, want invalid_request", name, err)
			}
		}
	})

	t.Run("a failed session write gives the lease back", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		l, key := e.license(1, 60, nil)
		svc := e.service(&failingStore{Store: e.store, failCreate: true}, e.ledger)
		_, err := svc.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: "a"})
		if err == nil {
			t.Fatal("got nil error, want the store's failure")
		}
		if n, _ := e.svc.SeatsInUse(context.Background(), e.tenant, l.ID); n != 0 {
			t.Fatalf("got %d seats in use, want 0 after the failed write", n)
		}
	})
}

func TestLicenseToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	keys := map[string]ed25519.PublicKey{e.signer.Key.ID: e.signer.Key.Public()}

	t.Run("carries the session and ends after the offline grace", func(t *testing.T) {
		_, key := e.license(1, 60, nil)
		g := e.mustAcquire(key, "laptop", "")
		c, err := signing.VerifyLicenseToken(g.LicenseToken, keys, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if c.SessionID != g.Session.ID || c.Fingerprint != "laptop" || c.TenantID != e.tenant || c.Seats != 1 {
			t.Fatalf("got claims %+v", c)
		}
		if want := e.clock.Now().Add(time.Hour); !c.ExpiresAt.Time.Equal(want) {
			t.Fatalf("got exp %v, want %v", c.ExpiresAt.Time, want)
		}
	})

	t.Run("never outlives the license", func(t *testing.T) {
		at := e.clock.Now().Add(10 * time.Minute)
		_, key := e.license(1, 60, func(l *coditect.License) { l.ExpiresAt = &at })
		g := e.mustAcquire(key, "laptop", "")
		c, err := signing.VerifyLicenseToken(g.LicenseToken, keys, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !c.ExpiresAt.Time.Equal(at) {
			t.Fatalf("got exp %v, want the license's expiry %v", c.ExpiresAt.Time, at)
		}
	})

	t.Run("without offline grace ends with the lease", func(t *testing.T) {
		_, key := e.license(1, 60, func(l *coditect.License) { l.OfflineGraceSeconds = 0 })
		g := e.mustAcquire(key, "laptop", "")
		c, err := signing.VerifyLicenseToken(g.LicenseToken, keys, e.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !c.ExpiresAt.Time.Equal(g.Session.ExpiresAt) {
			t.Fatalf("got exp %v, want the lease expiry %v", c.ExpiresAt.Time, g.Session.ExpiresAt)
		}
	})
}

func TestHeartbeat(t *testing.T) {
	t.Parallel()

	t.Run("extends a live lease", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 60, nil)
		g := e.mustAcquire(key, "a", "")
		e.clock.Add(40 * time.Second)
		b, err := e.svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken)
		if err != nil {
			t.Fatal(err)
		}
		if want := e.clock.Now().Add(60 * time.Second); !b.ExpiresAt.Equal(want) || b.HeartbeatIntervalSeconds != 20 {
			t.Fatalf("got expiry %v interval %d, want %v and 20", b.ExpiresAt, b.HeartbeatIntervalSeconds, want)
		}
		// Kept alive past the original TTL by heartbeats.
		e.clock.Add(40 * time.Second)
		if _, err := e.svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken); err != nil {
			t.Fatalf("second heartbeat: %v", err)
		}
	})

	t.Run("reports an expired lease as session_expired", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 60, nil)
		g := e.mustAcquire(key, "a", "")
		e.clock.Add(61 * time.Second)
		_, err := e.svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken)
		wantCode(t, err, coditect.CodeSessionExpired)
	})

	t.Run("reports a revoked session as session_revoked", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 60, nil)
		g := e.mustAcquire(key, "a", "")
		if err := e.svc.Revoke(context.Background(), e.tenant, g.Session.ID); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken)
		wantCode(t, err, coditect.CodeSessionRevoked)
	})

	t.Run("refuses a token of another session or a forged one", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(2, 60, nil)
		g1 := e.mustAcquire(key, "a", "")
		g2 := e.mustAcquire(key, "b", "")
		_, err := e.svc.Heartbeat(context.Background(), g1.Session.ID, g2.SessionToken)
		wantCode(t, err, coditect.CodeInvalidToken)
		_, err = e.svc.Heartbeat(context.Background(), g1.Session.ID, "st1.e30.AAAA")
		wantCode(t, err, coditect.CodeInvalidToken)
	})

	t.Run("writes nothing to the store until flushed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 60, nil)
		g := e.mustAcquire(key, "a", "")
		e.clock.Add(30 * time.Second)
		counting := &failingStore{Store: e.store}
		svc := e.service(counting, e.ledger)
		b, err := svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken)
		if err != nil {
			t.Fatal(err)
		}
		if n := counting.calls.Load(); n != 0 {
			t.Fatalf("got %d store calls during a heartbeat, want 0", n)
		}
		if err := svc.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		s, err := e.store.GetSession(context.Background(), e.tenant, g.Session.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !s.ExpiresAt.Equal(b.ExpiresAt) || !s.LastHeartbeatAt.Equal(e.clock.Now()) {
			t.Fatalf("got stored expiry %v heartbeat %v, want %v and %v", s.ExpiresAt, s.LastHeartbeatAt, b.ExpiresAt, e.clock.Now())
		}
	})

	t.Run("keeps heartbeats whose write-back failed", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 60, nil)
		g := e.mustAcquire(key, "a", "")
		failing := &failingStore{Store: e.store, failTouch: true}
		svc := e.service(failing, e.ledger)
		e.clock.Add(30 * time.Second)
		if _, err := svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken); err != nil {
			t.Fatal(err)
		}
		if err := svc.Flush(context.Background()); err == nil {
			t.Fatal("got nil error from a failing flush")
		}
		failing.failTouch = false
		if err := svc.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		s, _ := e.store.GetSession(context.Background(), e.tenant, g.Session.ID)
		if !s.LastHeartbeatAt.Equal(e.clock.Now()) {
			t.Fatalf("got last heartbeat %v, want %v after the retry", s.LastHeartbeatAt, e.clock.Now())
		}
	})
}

func TestRelease(t *testing.T) {
	t.Parallel()

	t.Run("frees the seat and is idempotent", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 60, nil)
		g := e.mustAcquire(key, "a", "")
		for i := range 2 {
			if err := e.svc.Release(context.Background(), g.Session.ID, g.SessionToken); err != nil {
				t.Fatalf("release %d: %v", i+1, err)
			}
		}
		e.mustAcquire(key, "b", "")
		s, _ := e.store.GetSession(context.Background(), e.tenant, g.Session.ID)
		if s.Status != coditect.SessionEnded || s.EndReason != coditect.EndReleased {
			t.Fatalf("got %s/%s, want ended/released", s.Status, s.EndReason)
		}
		_, err := e.svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken)
		wantCode(t, err, coditect.CodeSessionExpired)
	})

	t.Run("revoke of an unknown or foreign session is session_not_found", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 60, nil)
		g := e.mustAcquire(key, "a", "")
		wantCode(t, e.svc.Revoke(context.Background(), e.tenant, newID()), coditect.CodeSessionNotFound)
		wantCode(t, e.svc.Revoke(context.Background(), newID(), g.Session.ID), coditect.CodeSessionNotFound)
	})
}

func TestSweep(t *testing.T) {
	t.Parallel()

	t.Run("ends expired sessions once and keeps live ones", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(3, 60, nil)
		silent := e.mustAcquire(key, "silent", "")
		alive := e.mustAcquire(key, "alive", "")
		e.clock.Add(50 * time.Second)
		if _, err := e.svc.Heartbeat(context.Background(), alive.Session.ID, alive.SessionToken); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(20 * time.Second)
		n, err := e.svc.Sweep(context.Background())
		if err != nil || n != 1 {
			t.Fatalf("got %d swept (%v), want 1", n, err)
		}
		if n, _ := e.svc.Sweep(context.Background()); n != 0 {
			t.Fatalf("second sweep ended %d, want 0", n)
		}
		s, _ := e.store.GetSession(context.Background(), e.tenant, silent.Session.ID)
		if s.Status != coditect.SessionEnded || s.EndReason != coditect.EndExpired {
			t.Fatalf("got %s/%s, want ended/expired", s.Status, s.EndReason)
		}
		a, _ := e.store.GetSession(context.Background(), e.tenant, alive.Session.ID)
		if a.Status != coditect.SessionActive {
			t.Fatalf("got heartbeating session %s, want active", a.Status)
		}
	})

	t.Run("extends rows kept alive by another replica's heartbeats", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1, 60, nil)
		g := e.mustAcquire(key, "a", "")
		replica := e.service(e.store, e.ledger) // shares store and ledger, not the buffer
		e.clock.Add(50 * time.Second)
		b, err := replica.Heartbeat(context.Background(), g.Session.ID, g.SessionToken)
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Add(20 * time.Second) // the stored expiry has passed, the lease has not
		if n, err := e.svc.Sweep(context.Background()); err != nil || n != 0 {
			t.Fatalf("got %d swept (%v), want 0", n, err)
		}
		s, _ := e.store.GetSession(context.Background(), e.tenant, g.Session.ID)
		if s.Status != coditect.SessionActive || !s.ExpiresAt.Equal(b.ExpiresAt) {
			t.Fatalf("got %s expiring %v, want active until %v", s.Status, s.ExpiresAt, b.ExpiresAt)
		}
	})

	t.Run("SweepExpired leaves this replica's heartbeat buffer to Flush", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(2, 60, nil)
		e.mustAcquire(key, "silent", "")
		alive := e.mustAcquire(key, "alive", "")
		e.clock.Add(50 * time.Second)
		beat := e.clock.Now()
		if _, err := e.svc.Heartbeat(context.Background(), alive.Session.ID, alive.SessionToken); err != nil {
			t.Fatal(err)
		}
		e.clock.Add(20 * time.Second)
		if n, err := e.svc.SweepExpired(context.Background()); err != nil || n != 1 {
			t.Fatalf("got %d swept (%v), want 1", n, err)
		}
		a, _ := e.store.GetSession(context.Background(), e.tenant, alive.Session.ID)
		if a.Status != coditect.SessionActive || a.LastHeartbeatAt.Equal(beat) {
			t.Fatalf("after SweepExpired: got %s, last heartbeat %v; want active, heartbeat not yet written", a.Status, a.LastHeartbeatAt)
		}
		if err := e.svc.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		a, _ = e.store.GetSession(context.Background(), e.tenant, alive.Session.ID)
		if !a.LastHeartbeatAt.Equal(beat) {
			t.Fatalf("after Flush: got last heartbeat %v, want %v", a.LastHeartbeatAt, beat)
		}
	})

	t.Run("pages through more expired sessions than one batch", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t)
		_, key := e.license(1200, 10, nil)
		for i := range 1100 {
			e.mustAcquire(key, fmt.Sprint("m", i), "")
		}
		e.clock.Add(11 * time.Second)
		if n, err := e.svc.Sweep(context.Background()); err != nil || n != 1100 {
			t.Fatalf("got %d swept (%v), want 1100", n, err)
		}
	})
}

func TestRebuild(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l, key := e.license(2, 60, nil)
	g := e.mustAcquire(key, "a", "")
	e.mustAcquire(key, "b", "")

	fresh := memory.NewLedger()
	svc := e.service(e.store, fresh)
	n, err := svc.Rebuild(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("got %d restored (%v), want 2", n, err)
	}
	if in, _ := svc.SeatsInUse(context.Background(), e.tenant, l.ID); in != 2 {
		t.Fatalf("got %d seats in use after rebuild, want 2", in)
	}
	_, err = svc.Acquire(context.Background(), seat.AcquireRequest{LicenseKey: key, Fingerprint: "c"})
	wantCode(t, err, coditect.CodeSeatsExhausted)
	if _, err := svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken); err != nil {
		t.Fatalf("heartbeat after rebuild: %v", err)
	}
}

func TestNewRequiresDependencies(t *testing.T) {
	t.Parallel()
	if _, err := seat.New(seat.Config{}); err == nil {
		t.Fatal("got nil error for an empty config")
	}
	if _, err := seat.NewSessionTokens(make([]byte, 16)); err == nil {
		t.Fatal("got nil error for a 16-byte secret")
	}
}

// failingStore wraps a store, counts calls and fails chosen writes.
type failingStore struct {
	seat.Store
	failCreate   bool
	failTouch    bool
	beforeCreate func(*coditect.Session)
	calls        atomic.Int64
}

var errInjected = errors.New("injected store failure")

func (f *failingStore) CreateSession(ctx context.Context, s *coditect.Session) error {
	f.calls.Add(1)
	if f.failCreate {
		return errInjected
	}
	if f.beforeCreate != nil {
		f.beforeCreate(s)
	}
	return f.Store.CreateSession(ctx, s)
}

func (f *failingStore) TouchSessions(ctx context.Context, ts []coditect.SessionTouch) error {
	f.calls.Add(1)
	if f.failTouch {
		return errInjected
	}
	return f.Store.TouchSessions(ctx, ts)
}

func (f *failingStore) GetSession(ctx context.Context, tenantID, id string) (*coditect.Session, error) {
	f.calls.Add(1)
	return f.Store.GetSession(ctx, tenantID, id)
}

func TestRevokeAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l, key := e.license(3, 60, nil)
	other, otherKey := e.license(1, 60, nil)
	var grants []*seat.Grant
	for _, fpr := range []string{"a", "b", "c"} {
		grants = append(grants, e.mustAcquire(key, fpr, ""))
	}
	kept := e.mustAcquire(otherKey, "x", "")
	n, err := e.svc.RevokeAll(context.Background(), e.tenant, l.ID)
	if err != nil || n != 3 {
		t.Fatalf("got %d revoked (%v), want 3", n, err)
	}
	if in, _ := e.svc.SeatsInUse(context.Background(), e.tenant, l.ID); in != 0 {
		t.Fatalf("got %d seats in use, want 0", in)
	}
	for _, g := range grants {
		_, err := e.svc.Heartbeat(context.Background(), g.Session.ID, g.SessionToken)
		wantCode(t, err, coditect.CodeSessionRevoked)
	}
	if _, err := e.svc.Heartbeat(context.Background(), kept.Session.ID, kept.SessionToken); err != nil {
		t.Fatalf("another license's session: %v", err)
	}
	if in, _ := e.svc.SeatsInUse(context.Background(), e.tenant, other.ID); in != 1 {
		t.Fatalf("got %d seats in use on the other license, want 1", in)
	}
}
