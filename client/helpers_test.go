package client_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coditect/coditect-license/client"
	"github.com/coditect/coditect-license/client/clienttest"
)

// start is the fake clock's first reading.
var start = time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)

// sleepLog is a Config.Sleep that records each wait and returns at once.
type sleepLog struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleepLog) waits() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// env is a fake server and a fake clock they share, and a client config
// pointing at them.
type env struct {
	srv   *clienttest.Server
	clock *clienttest.Clock
	cfg   client.Config
}

const testFingerprint = "fp-this-machine"

func newEnv(t *testing.T, opts clienttest.Options) *env {
	t.Helper()
	clock := clienttest.NewClock(start)
	opts.Now = clock.Now
	srv := clienttest.NewServer(t, opts)
	return &env{srv: srv, clock: clock, cfg: client.Config{
		BaseURL: srv.URL, LicenseKey: srv.LicenseKey, Product: "acme-cad", Fingerprint: testFingerprint,
		PublicKeys: srv.PublicKeys(), CacheDir: t.TempDir(),
		Retry: client.RetryPolicy{MaxAttempts: 3, BaseDelay: 10 * time.Millisecond, MaxDelay: 30 * time.Second},
		Now:   clock.Now, Sleep: clock.Sleep, Logger: testLogger(t),
	}}
}

func (e *env) client(t *testing.T, mod ...func(*client.Config)) *client.Client {
	t.Helper()
	cfg := e.cfg
	for _, m := range mod {
		m(&cfg)
	}
	c, err := client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("test", t.Name())
	}
	return slog.New(slog.DiscardHandler)
}

// cacheFile returns the one cache file in dir.
func cacheFile(t *testing.T, dir string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "license-*.json"))
	if err != nil || len(m) != 1 {
		t.Fatalf("got cache files %v (%v), want one", m, err)
	}
	return m[0]
}

// acquire takes a lease and releases it at cleanup.
func acquire(t *testing.T, c *client.Client) *client.Lease {
	t.Helper()
	l, err := c.Acquire(context.Background())
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	t.Cleanup(func() { _ = l.Release(context.Background()) })
	return l
}

// eventually advances the fake clock to the next sleeper's deadline, and
// lets the woken goroutine run until it sleeps again, until cond holds;
// it fails after 200 steps.
func eventually(t *testing.T, clock *clienttest.Clock, what string, cond func() bool) {
	t.Helper()
	for range 200 {
		if cond() {
			return
		}
		if _, ok := clock.AdvanceToNext(5 * time.Second); !ok {
			t.Fatalf("%s: nothing sleeps on the clock", what)
		}
		settle(clock, cond)
	}
	t.Fatalf("%s: still false after 200 steps of the clock", what)
}

// settle waits in real time, up to 5 s, until a goroutine sleeps on the
// clock again or cond holds.
func settle(clock *clienttest.Clock, cond func() bool) {
	deadline := time.Now().Add(5 * time.Second)
	for clock.Sleepers() == 0 && !cond() && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

func decodeB64(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }
