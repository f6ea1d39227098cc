package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coditect/coditect-license/client"
	"github.com/coditect/coditect-license/client/clienttest"
)

func TestLeaseHeartbeats(t *testing.T) {
	t.Parallel()

	t.Run("background heartbeats keep the lease past several TTLs, with ±10% jitter", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		l := acquire(t, e.client(t))
		if l.Offline() || l.SessionID() == "" || !l.ExpiresAt().Equal(start.Add(360*time.Second)) {
			t.Fatalf("got offline=%v session %q expiry %v, want an online lease until start+360s", l.Offline(), l.SessionID(), l.ExpiresAt())
		}
		if !regexp.MustCompile(`^[0-9a-f]{24}$`).MatchString(l.InstanceID()) {
			t.Fatalf("got instance ID %q, want 24 random hex digits", l.InstanceID())
		}
		var waits []time.Duration
		for len(waits) < 10 {
			d, ok := e.clock.AdvanceToNext(5 * time.Second)
			if !ok {
				t.Fatal("the lease does not sleep on the clock")
			}
			waits = append(waits, d)
			settle(e.clock, func() bool { return false })
		}
		for _, d := range waits {
			if d < 108*time.Second || d > 132*time.Second {
				t.Fatalf("got waits %v, want each within 120s ±10%%", waits)
			}
		}
		if got := e.srv.Requests("POST /api/v1/sessions/"); got != 10 {
			t.Fatalf("got %d heartbeats, want 10", got)
		}
		if elapsed := e.clock.Now().Sub(start); elapsed < 3*360*time.Second {
			t.Fatalf("only %v passed, want more than three TTLs", elapsed)
		}
		if got := e.srv.SeatsInUse(); got != 1 || l.Err() != nil || l.Offline() {
			t.Fatalf("got %d seats in use, err %v, offline %v, want the lease held", got, l.Err(), l.Offline())
		}
		if !l.ExpiresAt().After(e.clock.Now()) {
			t.Fatalf("got expiry %v, want after now %v", l.ExpiresAt(), e.clock.Now())
		}
		if c := l.Claims(); c == nil || c.Fingerprint != testFingerprint || c.LicenseID != e.srv.LicenseID {
			t.Fatalf("got claims %+v, want the verified token's", c)
		}
	})

	t.Run("release frees the seat and stops the heartbeats", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		l, err := e.client(t).Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Release(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := e.srv.SeatsInUse(); got != 0 {
			t.Fatalf("got %d seats in use, want 0", got)
		}
		select {
		case <-l.Done():
		default:
			t.Fatal("Done is open after Release")
		}
		select {
		case err := <-l.Lost():
			t.Fatalf("Lost delivered %v after Release, want nothing", err)
		default:
		}
		if err := l.Release(context.Background()); err != nil || e.srv.Requests("DELETE") != 1 {
			t.Fatalf("second release: got %v and %d DELETEs, want nil and 1", err, e.srv.Requests("DELETE"))
		}
		if e.clock.WaitForSleepers(1, 50*time.Millisecond) {
			t.Fatal("the lease still sleeps on the clock after Release")
		}
		if l.Err() != nil {
			t.Fatalf("got Err %v after Release, want nil", l.Err())
		}
	})

	t.Run("a failed release is reported and the seat lapses with its lease", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		l, err := e.client(t, func(cfg *client.Config) { cfg.Retry.MaxAttempts = 1 }).Acquire(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		e.srv.SetDown(true)
		if err := l.Release(context.Background()); !errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("got %v, want ErrUnreachable", err)
		}
	})

	t.Run("a short outage is ridden out on the same session", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		l := acquire(t, e.client(t))
		sid := l.SessionID()
		e.srv.SetDown(true)
		eventually(t, e.clock, "two failed heartbeat rounds", func() bool { return e.srv.Requests("POST /api/v1/sessions/") >= 6 })
		if l.Offline() || l.Err() != nil {
			t.Fatalf("got offline=%v err=%v during an outage shorter than the lease, want online", l.Offline(), l.Err())
		}
		e.srv.SetDown(false)
		before := e.srv.Requests("POST /api/v1/sessions/")
		eventually(t, e.clock, "a heartbeat after the outage", func() bool { return e.srv.Requests("POST /api/v1/sessions/") > before })
		if l.SessionID() != sid || e.srv.SeatsInUse() != 1 || l.Err() != nil {
			t.Fatalf("got session %s (want %s), %d seats, err %v", l.SessionID(), sid, e.srv.SeatsInUse(), l.Err())
		}
	})
}

func TestLeaseLoss(t *testing.T) {
	t.Parallel()

	t.Run("a 410 during a heartbeat is reported on the channel, the callback and Err", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		var mu sync.Mutex
		var called []error
		c := e.client(t, func(cfg *client.Config) {
			cfg.OnLeaseLost = func(err error) { mu.Lock(); called = append(called, err); mu.Unlock() }
		})
		l := acquire(t, c)
		e.srv.Revoke(l.SessionID())
		eventually(t, e.clock, "the lease is lost", func() bool { return l.Err() != nil })
		err := <-l.Lost()
		if !errors.Is(err, client.ErrLeaseLost) {
			t.Fatalf("got %v, want ErrLeaseLost", err)
		}
		var ce *client.Error
		if !errors.As(err, &ce) || ce.Status != 410 || ce.Code != "session_revoked" {
			t.Fatalf("got %v, want the 410 session_revoked problem", err)
		}
		if _, open := <-l.Lost(); open {
			t.Fatal("Lost is still open after the loss")
		}
		<-l.Done()
		mu.Lock()
		defer mu.Unlock()
		if len(called) != 1 || called[0] != err {
			t.Fatalf("got callback calls %v, want one with %v", called, err)
		}
		if err := l.Release(context.Background()); err != nil || e.srv.Requests("DELETE") != 0 {
			t.Fatalf("release after loss: got %v and %d DELETEs, want nil and none", err, e.srv.Requests("DELETE"))
		}
	})

	t.Run("a 401 on heartbeat loses the lease too", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		l := acquire(t, e.client(t))
		e.srv.Inject(clienttest.Fault{Path: "POST /api/v1/sessions/*", Status: 401, Code: "invalid_token"})
		eventually(t, e.clock, "the lease is lost", func() bool { return l.Err() != nil })
		if err := l.Err(); !errors.Is(err, client.ErrLeaseLost) || !strings.Contains(err.Error(), "invalid_token") {
			t.Fatalf("got %v, want ErrLeaseLost with invalid_token", err)
		}
	})

	for _, code := range []string{"session_expired", "session_revoked"} {
		t.Run("with Reacquire a 410 "+code+" takes a new session", func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, clienttest.Options{Seats: 1})
			l := acquire(t, e.client(t, func(cfg *client.Config) { cfg.Reacquire = true }))
			old, instance := l.SessionID(), l.InstanceID()
			if code == "session_revoked" {
				e.srv.Revoke(old)
			} else {
				e.srv.Expire(old)
			}
			eventually(t, e.clock, "a new session", func() bool { return l.SessionID() != old })
			if l.Err() != nil || l.Offline() || e.srv.SeatsInUse() != 1 || l.InstanceID() != instance {
				t.Fatalf("got err %v offline %v seats %d, want a held online lease on one seat", l.Err(), l.Offline(), e.srv.SeatsInUse())
			}
		})
	}

	t.Run("with Reacquire, a refused re-acquire loses the lease", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		l := acquire(t, e.client(t, func(cfg *client.Config) { cfg.Reacquire = true }))
		e.srv.Revoke(l.SessionID())
		e.srv.SetStatus("suspended")
		eventually(t, e.clock, "the lease is lost", func() bool { return l.Err() != nil })
		if err := l.Err(); !errors.Is(err, client.ErrLeaseLost) || !errors.Is(err, client.ErrLicenseSuspended) {
			t.Fatalf("got %v, want ErrLeaseLost and ErrLicenseSuspended", err)
		}
	})

	t.Run("with Reacquire, an outage during the re-acquire falls back offline", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		l := acquire(t, e.client(t, func(cfg *client.Config) { cfg.Reacquire = true }))
		e.srv.Expire(l.SessionID())
		e.srv.Inject(clienttest.Fault{Path: "POST /api/v1/sessions", Status: 503, Times: 3})
		eventually(t, e.clock, "the lease is offline", l.Offline)
		if l.SessionID() != "" || l.Err() != nil {
			t.Fatalf("got session %q err %v, want an offline lease without session", l.SessionID(), l.Err())
		}
		eventually(t, e.clock, "the lease is online", func() bool { return !l.Offline() })
	})
}

// cachedEnv is an env whose cache holds a license token from an online
// acquire (released again), with the server then down. Its clients try each
// request once: a retry would sleep on the fake clock, which the test
// goroutine itself would have to move.
func cachedEnv(t *testing.T, opts clienttest.Options, mod ...func(*client.Config)) (*env, *client.Client) {
	t.Helper()
	e := newEnv(t, opts)
	e.cfg.Retry.MaxAttempts = 1
	c := e.client(t, mod...)
	s, err := c.AcquireSession(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Release(context.Background(), s.ID, s.Token); err != nil {
		t.Fatal(err)
	}
	e.srv.SetDown(true)
	return e, c
}

// editCache rewrites the cache file's license token.
func editCache(t *testing.T, dir string, fn func(m map[string]any)) {
	t.Helper()
	path := cacheFile(t, dir)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestOfflineAcquire(t *testing.T) {
	t.Parallel()

	t.Run("a valid cached token grants an offline lease", func(t *testing.T) {
		t.Parallel()
		e, c := cachedEnv(t, clienttest.Options{Features: []string{"export"}})
		e.clock.Advance(3 * time.Hour)
		l := acquire(t, c)
		if !l.Offline() || l.SessionID() != "" {
			t.Fatalf("got offline=%v session %q, want an offline lease without session", l.Offline(), l.SessionID())
		}
		claims := l.Claims()
		if claims == nil || claims.Fingerprint != testFingerprint || !claims.HasFeature("export") || !l.ExpiresAt().Equal(start.Add(24*time.Hour)) {
			t.Fatalf("got claims %+v expiry %v, want this machine's token valid until start+24h", claims, l.ExpiresAt())
		}
	})

	t.Run("a minute of clock drift backwards is tolerated", func(t *testing.T) {
		t.Parallel()
		e, c := cachedEnv(t, clienttest.Options{})
		e.clock.Set(start.Add(-time.Minute))
		if l := acquire(t, c); !l.Offline() {
			t.Fatal("got an online lease from a server that is down")
		}
	})

	t.Run("the JWKS is discovered online, cached, and used offline", func(t *testing.T) {
		t.Parallel()
		e, c := cachedEnv(t, clienttest.Options{}, func(cfg *client.Config) { cfg.PublicKeys = nil })
		if got := e.srv.Requests("GET /.well-known/jwks.json"); got != 1 {
			t.Fatalf("got %d JWKS fetches, want 1", got)
		}
		if l := acquire(t, c); !l.Offline() || l.Claims() == nil {
			t.Fatalf("got offline=%v claims %v, want an offline lease verified by the cached JWKS", l.Offline(), l.Claims())
		}
		e.srv.SetDown(false)
		if _, err := c.AcquireSession(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := e.srv.Requests("GET /.well-known/jwks.json"); got != 1 {
			t.Fatalf("got %d JWKS fetches, want still 1 (cached)", got)
		}
	})

	t.Run("keys pinned as a JWKS work like PublicKeys, without discovery", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{})
		c := e.client(t, func(cfg *client.Config) { cfg.PublicKeys, cfg.JWKS, cfg.Retry.MaxAttempts = nil, e.srv.JWKS(), 1 })
		if l := acquire(t, c); l.Claims() == nil {
			t.Fatal("got no verified claims online, want the token verified by the pinned JWKS")
		}
		e.srv.SetDown(true)
		if l := acquire(t, c); !l.Offline() {
			t.Fatal("got an online lease from a server that is down")
		}
		if got := e.srv.Requests("GET /.well-known/jwks.json"); got != 0 {
			t.Fatalf("got %d JWKS fetches, want none with pinned keys", got)
		}
	})

	refusals := []struct {
		name  string
		mod   func(cfg *client.Config)
		setup func(t *testing.T, e *env)
		want  error
	}{
		{"a token with one claim changed", nil, func(t *testing.T, e *env) {
			editCache(t, e.cfg.CacheDir, func(m map[string]any) {
				parts := strings.Split(m["license_token"].(string), ".")
				var p map[string]any
				_ = json.Unmarshal(must(decodeB64(parts[1])), &p)
				p["seats"] = 1000
				m["license_token"] = parts[0] + "." + encodeSegment(p) + "." + parts[2]
			})
		}, client.ErrTokenInvalid},
		{"a token for another fingerprint", nil, func(t *testing.T, e *env) {
			tok := e.srv.SignToken(client.Claims{Issuer: "x", LicenseID: e.srv.LicenseID, TenantID: "t", SessionID: "s", Fingerprint: "fp-other-machine",
				Seats: 1, IssuedAt: start, NotBefore: start, ExpiresAt: start.Add(time.Hour)})
			editCache(t, e.cfg.CacheDir, func(m map[string]any) { m["license_token"] = tok })
		}, client.ErrWrongMachine},
		{"an expired token", nil, func(t *testing.T, e *env) { e.clock.Advance(24 * time.Hour) }, client.ErrTokenExpired},
		{"a clock set back", nil, func(t *testing.T, e *env) { e.clock.Set(start.Add(-time.Hour)) }, client.ErrClockRollback},
		{"a clock set back after an offline check", nil, func(t *testing.T, e *env) {
			e.clock.Advance(10 * time.Hour)
			c := e.client(t)
			l := acquire(t, c)
			if !l.Offline() {
				t.Fatal("want an offline lease")
			}
			e.clock.Set(start.Add(5 * time.Hour))
		}, client.ErrClockRollback},
		{"a token signed by an unpinned key", func(cfg *client.Config) {
			other := clienttest.NewServer(t, clienttest.Options{})
			cfg.PublicKeys = other.PublicKeys()
		}, nil, client.ErrTokenInvalid},
		{"a corrupt cache file", nil, func(t *testing.T, e *env) {
			if err := os.WriteFile(cacheFile(t, e.cfg.CacheDir), []byte("{not json"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, nil},
		{"an empty cache", func(cfg *client.Config) { cfg.CacheDir = t.TempDir() }, nil, nil},
		{"offline use disabled", func(cfg *client.Config) { cfg.CacheDir = "" }, nil, nil},
		{"no key pinned or cached", func(cfg *client.Config) { cfg.PublicKeys = nil }, func(t *testing.T, e *env) {
			editCache(t, e.cfg.CacheDir, func(m map[string]any) { delete(m, "jwks") })
		}, nil},
	}
	for _, tc := range refusals {
		t.Run(tc.name+" gets no offline lease", func(t *testing.T) {
			t.Parallel()
			e, _ := cachedEnv(t, clienttest.Options{})
			if tc.setup != nil {
				tc.setup(t, e)
			}
			mods := []func(*client.Config){}
			if tc.mod != nil {
				mods = append(mods, tc.mod)
			}
			l, err := e.client(t, mods...).Acquire(context.Background())
			if l != nil {
				_ = l.Release(context.Background())
				t.Fatalf("got a lease (offline=%v), want none", l.Offline())
			}
			if !errors.Is(err, client.ErrOfflineUnavailable) || !errors.Is(err, client.ErrUnreachable) {
				t.Fatalf("got %v, want ErrOfflineUnavailable and ErrUnreachable", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestOfflineLease(t *testing.T) {
	t.Parallel()

	t.Run("an offline lease goes online by itself when the server is back", func(t *testing.T) {
		t.Parallel()
		e, c := cachedEnv(t, clienttest.Options{Seats: 1})
		l := acquire(t, c)
		if !l.Offline() {
			t.Fatal("want an offline lease")
		}
		eventually(t, e.clock, "a few failed attempts to go online", func() bool { return e.srv.Requests("POST /api/v1/sessions") >= 4 })
		if !l.Offline() || l.Err() != nil {
			t.Fatalf("got offline=%v err=%v while the server is down, want offline", l.Offline(), l.Err())
		}
		e.srv.SetDown(false)
		eventually(t, e.clock, "the lease is online", func() bool { return !l.Offline() })
		if l.SessionID() == "" || e.srv.SeatsInUse() != 1 || l.Err() != nil {
			t.Fatalf("got session %q, %d seats, err %v, want an online lease on one seat", l.SessionID(), e.srv.SeatsInUse(), l.Err())
		}
		if err := l.Release(context.Background()); err != nil || e.srv.SeatsInUse() != 0 {
			t.Fatalf("release: got %v and %d seats, want nil and 0", err, e.srv.SeatsInUse())
		}
	})

	t.Run("an online lease falls back offline when the outage outlasts it, then returns", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		l := acquire(t, e.client(t))
		old, expiry := l.SessionID(), l.ExpiresAt()
		e.srv.SetDown(true)
		eventually(t, e.clock, "the lease is offline", l.Offline)
		if now := e.clock.Now(); now.Before(expiry) {
			t.Fatalf("went offline at %v, before the lease expired at %v", now, expiry)
		}
		if l.Err() != nil || !l.ExpiresAt().Equal(start.Add(24*time.Hour)) {
			t.Fatalf("got err %v expiry %v, want a held lease until the token's exp", l.Err(), l.ExpiresAt())
		}
		e.srv.SetDown(false)
		eventually(t, e.clock, "the lease is online", func() bool { return !l.Offline() })
		if l.SessionID() == old || e.srv.SeatsInUse() != 1 {
			t.Fatalf("got session %s (old %s), %d seats, want a new session on one seat", l.SessionID(), old, e.srv.SeatsInUse())
		}
	})

	t.Run("a server back while it still holds the session resumes that session", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		// A server whose clock stands still never lets the lease lapse, as
		// a restarted server that restored its sessions would not.
		srv := clienttest.NewServer(t, clienttest.Options{Seats: 1, Now: func() time.Time { return start }})
		l := acquire(t, e.client(t, func(cfg *client.Config) {
			cfg.BaseURL, cfg.LicenseKey, cfg.PublicKeys = srv.URL, srv.LicenseKey, srv.PublicKeys()
		}))
		old := l.SessionID()
		srv.SetDown(true)
		eventually(t, e.clock, "the lease is offline", l.Offline)
		srv.SetDown(false)
		eventually(t, e.clock, "the lease is online", func() bool { return !l.Offline() })
		if l.SessionID() != old || srv.Requests("POST /api/v1/sessions") != srv.Requests("POST /api/v1/sessions/")+1 {
			t.Fatalf("got session %s (want %s) after %d acquires, want the same session and one acquire", l.SessionID(), old,
				srv.Requests("POST /api/v1/sessions")-srv.Requests("POST /api/v1/sessions/"))
		}
	})

	t.Run("an offline lease is lost when its token expires", func(t *testing.T) {
		t.Parallel()
		e, c := cachedEnv(t, clienttest.Options{OfflineGrace: time.Hour})
		l := acquire(t, c)
		exp := l.ExpiresAt()
		eventually(t, e.clock, "the lease is lost", func() bool { return l.Err() != nil })
		if err := <-l.Lost(); !errors.Is(err, client.ErrLeaseLost) || !errors.Is(err, client.ErrTokenExpired) {
			t.Fatalf("got %v, want ErrLeaseLost and ErrTokenExpired", err)
		}
		if now := e.clock.Now(); now.Before(exp) {
			t.Fatalf("lost at %v, before the token expired at %v", now, exp)
		}
	})

	t.Run("an offline lease is lost when the clock is set back", func(t *testing.T) {
		t.Parallel()
		e, c := cachedEnv(t, clienttest.Options{})
		e.clock.Advance(2 * time.Hour)
		l := acquire(t, c)
		e.clock.Set(start.Add(time.Hour))
		eventually(t, e.clock, "the lease is lost", func() bool { return l.Err() != nil })
		if err := l.Err(); !errors.Is(err, client.ErrClockRollback) {
			t.Fatalf("got %v, want ErrClockRollback", err)
		}
	})

	t.Run("an offline lease is lost when the server is back without a free seat", func(t *testing.T) {
		t.Parallel()
		e, c := cachedEnv(t, clienttest.Options{Seats: 1})
		l := acquire(t, c)
		e.srv.SetDown(false)
		other := e.client(t, func(cfg *client.Config) { cfg.Fingerprint = "fp-other"; cfg.CacheDir = t.TempDir() })
		if _, err := other.AcquireSession(context.Background()); err != nil {
			t.Fatal(err)
		}
		eventually(t, e.clock, "the lease is lost", func() bool { return l.Err() != nil })
		if err := l.Err(); !errors.Is(err, client.ErrLeaseLost) || !errors.Is(err, client.ErrSeatsExhausted) {
			t.Fatalf("got %v, want ErrLeaseLost and ErrSeatsExhausted", err)
		}
	})

	t.Run("an online lease without a usable token is lost when the outage outlasts it", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{Seats: 1})
		l := acquire(t, e.client(t, func(cfg *client.Config) { cfg.CacheDir = "" }))
		e.srv.SetDown(true)
		eventually(t, e.clock, "the lease is lost", func() bool { return l.Err() != nil })
		if err := l.Err(); !errors.Is(err, client.ErrLeaseLost) || !errors.Is(err, client.ErrOfflineUnavailable) || !errors.Is(err, client.ErrUnreachable) {
			t.Fatalf("got %v, want ErrLeaseLost, ErrOfflineUnavailable and ErrUnreachable", err)
		}
	})

	t.Run("a token that does not verify online is not cached", func(t *testing.T) {
		t.Parallel()
		e := newEnv(t, clienttest.Options{})
		other := clienttest.NewServer(t, clienttest.Options{})
		c := e.client(t, func(cfg *client.Config) { cfg.PublicKeys = other.PublicKeys(); cfg.Retry.MaxAttempts = 1 })
		l := acquire(t, c)
		if l.Claims() != nil {
			t.Fatalf("got claims %+v, want none from an unverifiable token", l.Claims())
		}
		e.srv.SetDown(true)
		if _, err := c.Acquire(context.Background()); !errors.Is(err, client.ErrOfflineUnavailable) {
			t.Fatalf("got %v, want ErrOfflineUnavailable", err)
		}
	})
}
