package redis_test

import (
	"context"
	"crypto/rand"
	"errors"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/ledgertest"
	"github.com/coditect/coditect-license/redis"
)

const ttl = time.Minute

// TestLedger runs the conformance suite with the time the suite passes
// (ClientTime), through the restoring adapter: every license of the suite is
// new to Redis and therefore lost until restored.
func TestLedger(t *testing.T) {
	t.Parallel()
	client := sharedClient(t)
	ledgertest.Run(t, func(t *testing.T) coditect.Ledger {
		return restoring{newLedger(t, client, true)}
	})
}

func newLicense() string {
	return "lic-" + rand.Text()
}

func base() time.Time {
	return time.Now().Truncate(time.Millisecond)
}

func mustRestore(t *testing.T, l coditect.Ledger, licenseID string, leases []coditect.Lease, now time.Time) {
	t.Helper()
	if err := l.Restore(t.Context(), licenseID, leases, now); err != nil {
		t.Fatalf("Restore: got error %v, want nil", err)
	}
}

func mustAcquire(t *testing.T, l coditect.Ledger, licenseID, sessionID string, limit int, now time.Time) coditect.AcquireResult {
	t.Helper()
	res, err := l.Acquire(t.Context(), coditect.AcquireParams{LicenseID: licenseID, SessionID: sessionID, TTL: ttl, Limit: limit, Now: now})
	if err != nil {
		t.Fatalf("Acquire(%s): got error %v, want nil", sessionID, err)
	}
	return res
}

// checkLost checks that every call that decides on a license's state
// reports it lost.
func checkLost(t *testing.T, l coditect.Ledger, licenseID string, now time.Time) {
	t.Helper()
	ctx := t.Context()
	_, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: licenseID, SessionID: "s9", TTL: ttl, Limit: 10, Now: now})
	checkIs(t, "Acquire", err, coditect.ErrLedgerLost)
	_, _, err = l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: licenseID, SessionID: "s1", TTL: ttl, Now: now})
	checkIs(t, "Heartbeat", err, coditect.ErrLedgerLost)
	_, _, err = l.Lookup(ctx, licenseID, "s1", now)
	checkIs(t, "Lookup", err, coditect.ErrLedgerLost)
	_, err = l.Count(ctx, licenseID, now)
	checkIs(t, "Count", err, coditect.ErrLedgerLost)
	if err := l.Release(ctx, licenseID, "s1"); err != nil {
		t.Errorf("Release: got error %v, want nil", err)
	}
}

func checkIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: got error %v, want %v", what, err, want)
	}
}

func checkCode(t *testing.T, what string, err error, want string) {
	t.Helper()
	if got := coditect.ErrorCode(err); got != want {
		t.Errorf("%s: got error code %q (%v), want %q", what, got, err, want)
	}
}

func checkNear(t *testing.T, what string, got, want time.Time, tolerance time.Duration) {
	t.Helper()
	if d := got.Sub(want); d < -tolerance || d > tolerance {
		t.Errorf("%s: got %v, want %v (±%v)", what, got, want, tolerance)
	}
}

func TestUnknownLicenseIsLost(t *testing.T) {
	t.Parallel()
	l := newLedger(t, sharedClient(t), true)
	checkLost(t, l, newLicense(), base())
}

func TestFlushedLicenseIsLostUntilRestored(t *testing.T) {
	t.Parallel()
	client := sharedClient(t)
	now := base()
	tests := []struct {
		name  string
		flush func(t *testing.T, l *redis.Ledger, licenseID string)
	}{
		{"EveryKey", func(t *testing.T, l *redis.Ledger, licenseID string) {
			if err := client.Del(t.Context(), l.Keys(licenseID)...).Err(); err != nil {
				t.Fatalf("DEL: %v", err)
			}
		}},
		// The leases alone prove nothing: a failover can keep a stale set.
		{"StateKeyOnly", func(t *testing.T, l *redis.Ledger, licenseID string) {
			if err := client.Del(t.Context(), l.Keys(licenseID)[1]).Err(); err != nil {
				t.Fatalf("DEL: %v", err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			l, lic := newLedger(t, client, true), newLicense()
			mustRestore(t, l, lic, nil, now)
			if res := mustAcquire(t, l, lic, "s1", 1, now); !res.Granted {
				t.Fatalf("Acquire(s1): got %+v, want granted", res)
			}
			tt.flush(t, l, lic)
			checkLost(t, l, lic, now)

			// The store still knows s1: restoring it must keep its seat taken.
			mustRestore(t, l, lic, []coditect.Lease{{LicenseID: lic, SessionID: "s1", ExpiresAt: now.Add(ttl)}}, now)
			res := mustAcquire(t, l, lic, "s2", 1, now.Add(time.Second))
			if res.Granted || res.InUse != 1 || !res.EarliestExpiry.Equal(now.Add(ttl)) {
				t.Errorf("Acquire(s2) after restore: got %+v, want refused, InUse 1, EarliestExpiry %v", res, now.Add(ttl))
			}
			if n, err := l.Count(t.Context(), lic, now); err != nil || n != 1 {
				t.Errorf("Count: got %d, error %v, want 1, nil", n, err)
			}
			exp, live, err := l.Heartbeat(t.Context(), coditect.HeartbeatParams{LicenseID: lic, SessionID: "s1", TTL: ttl, Now: now.Add(time.Second)})
			if err != nil || !live || !exp.Equal(now.Add(time.Second+ttl)) {
				t.Errorf("Heartbeat(s1): got %v, %t, error %v, want %v, true, nil", exp, live, err, now.Add(time.Second+ttl))
			}
			if res := mustAcquire(t, l, lic, "s2", 1, now.Add(time.Second+ttl)); !res.Granted {
				t.Errorf("Acquire(s2) after the restored lease expired: got %+v, want granted", res)
			}
		})
	}
}

func TestTimesAreUTCMilliseconds(t *testing.T) {
	t.Parallel()
	l, lic := newLedger(t, sharedClient(t), true), newLicense()
	now := time.Date(2030, 1, 2, 3, 4, 5, 6_789_123, time.FixedZone("CET", 3600))
	mustRestore(t, l, lic, nil, now)
	// A TTL below a millisecond still grants a lease that lives a moment.
	res, err := l.Acquire(t.Context(), coditect.AcquireParams{LicenseID: lic, SessionID: "s1", TTL: 1500 * time.Microsecond, Limit: 2, Now: now})
	want := now.Truncate(time.Millisecond).Add(2 * time.Millisecond).UTC()
	if err != nil || !isUTC(res.ExpiresAt, want) {
		t.Errorf("Acquire: got ExpiresAt %v, error %v, want %v (UTC, rounded up to ms)", res.ExpiresAt, err, want)
	}
	mustAcquire(t, l, lic, "s2", 2, now)
	res = mustAcquire(t, l, lic, "s3", 2, now)
	if res.Granted || !isUTC(res.EarliestExpiry, want) {
		t.Errorf("Acquire(s3): got %+v, want refused with EarliestExpiry %v", res, want)
	}
	exp, ok, err := l.Lookup(t.Context(), lic, "s1", now)
	if err != nil || !ok || !isUTC(exp, want) {
		t.Errorf("Lookup: got %v, %t, error %v, want %v, true, nil", exp, ok, err, want)
	}
	exp, ok, err = l.Heartbeat(t.Context(), coditect.HeartbeatParams{LicenseID: lic, SessionID: "s2", TTL: ttl, Now: now})
	if err != nil || !ok || !isUTC(exp, now.Truncate(time.Millisecond).Add(ttl)) {
		t.Errorf("Heartbeat: got %v, %t, error %v, want %v, true, nil", exp, ok, err, now.Truncate(time.Millisecond).Add(ttl).UTC())
	}
}

func isUTC(got, want time.Time) bool {
	return got.Equal(want) && got.Location() == time.UTC
}

func TestZeroTimeUsesClock(t *testing.T) {
	t.Parallel()
	l, lic := newLedger(t, sharedClient(t), true), newLicense()
	mustRestore(t, l, lic, nil, time.Time{})
	before := time.Now()
	res := mustAcquire(t, l, lic, "s1", 1, time.Time{})
	checkNear(t, "Acquire.ExpiresAt", res.ExpiresAt, before.Add(ttl), time.Second)
}

// TestServerTime checks production mode: the scripts read Redis's TIME and
// ignore the time the caller passes.
func TestServerTime(t *testing.T) {
	t.Parallel()
	client := sharedClient(t)
	l, lic, ctx := newLedger(t, client, false), newLicense(), t.Context()
	ignored := time.Unix(0, 0)
	redisNow := func() time.Time {
		t.Helper()
		now, err := client.Time(ctx).Result()
		if err != nil {
			t.Fatalf("TIME: %v", err)
		}
		return now
	}

	checkLost(t, l, lic, ignored)
	before := redisNow().Truncate(time.Millisecond)
	mustRestore(t, l, lic, []coditect.Lease{
		{SessionID: "old", ExpiresAt: before.Add(-time.Second)},
		{SessionID: "s0", ExpiresAt: before.Add(time.Hour)},
	}, ignored)
	res := mustAcquire(t, l, lic, "s1", 3, ignored)
	exp, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: lic, SessionID: "s1", TTL: 2 * ttl, Now: ignored})
	after := redisNow()

	if !res.Granted || res.ExpiresAt.Before(before.Add(ttl)) || res.ExpiresAt.After(after.Add(ttl)) {
		t.Errorf("Acquire: got %+v, want granted until Redis TIME + %v, in [%v, %v]", res, ttl, before.Add(ttl), after.Add(ttl))
	}
	if err != nil || !live || exp.Before(before.Add(2*ttl)) || exp.After(after.Add(2*ttl)) {
		t.Errorf("Heartbeat: got %v, %t, error %v, want live until Redis TIME + %v", exp, live, err, 2*ttl)
	}
	for _, now := range []time.Time{ignored, before.Add(24 * time.Hour)} {
		if n, err := l.Count(ctx, lic, now); err != nil || n != 2 {
			t.Errorf("Count(now=%v): got %d, error %v, want 2 (s0, s1), nil", now, n, err)
		}
		if _, ok, err := l.Lookup(ctx, lic, "old", now); err != nil || ok {
			t.Errorf("Lookup(old, now=%v): got ok=%t, error %v, want false, nil", now, ok, err)
		}
		if exp, ok, err := l.Lookup(ctx, lic, "s0", now); err != nil || !ok || !exp.Equal(before.Add(time.Hour)) {
			t.Errorf("Lookup(s0, now=%v): got %v, %t, error %v, want %v, true, nil", now, exp, ok, err, before.Add(time.Hour))
		}
	}
}

func TestEmptyIDsFindNothing(t *testing.T) {
	t.Parallel()
	l, ctx, now := newLedger(t, sharedClient(t), true), t.Context(), base()
	if _, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: "", SessionID: "s1", TTL: ttl, Now: now}); err != nil || live {
		t.Errorf("Heartbeat: got live=%t, error %v, want false, nil", live, err)
	}
	if _, ok, err := l.Lookup(ctx, newLicense(), "", now); err != nil || ok {
		t.Errorf("Lookup: got ok=%t, error %v, want false, nil", ok, err)
	}
	if n, err := l.Count(ctx, "", now); err != nil || n != 0 {
		t.Errorf("Count: got %d, error %v, want 0, nil", n, err)
	}
	if err := l.Release(ctx, "", "s1"); err != nil {
		t.Errorf("Release: got error %v, want nil", err)
	}
}

// testOddLicenseIDs checks license IDs with the characters of a hash tag:
// both keys of each license must stay in one slot (on a cluster, a split
// would fail with CROSSSLOT), and distinct IDs must keep distinct leases.
func testOddLicenseIDs(t *testing.T, l coditect.Ledger) {
	now, suffix := base(), rand.Text()
	ids := []string{"}" + suffix, "{" + suffix, "%7B" + suffix, "a{b}c" + suffix, "{}" + suffix, "}{" + suffix}
	for _, id := range ids {
		if res := mustAcquire(t, l, id, "s1", 1, now); !res.Granted || res.Renewed {
			t.Errorf("Acquire(%q): got %+v, want a new grant", id, res)
		}
		if _, live, err := l.Heartbeat(t.Context(), coditect.HeartbeatParams{LicenseID: id, SessionID: "s1", TTL: ttl, Now: now}); err != nil || !live {
			t.Errorf("Heartbeat(%q): got live=%t, error %v, want true, nil", id, live, err)
		}
		if err := l.Release(t.Context(), id, "s1"); err != nil {
			t.Errorf("Release(%q): got error %v, want nil", id, err)
		}
		if n, err := l.Count(t.Context(), id, now); err != nil || n != 0 {
			t.Errorf("Count(%q) after release: got %d, error %v, want 0, nil", id, n, err)
		}
	}
}

func TestOddLicenseIDs(t *testing.T) {
	t.Parallel()
	testOddLicenseIDs(t, restoring{newLedger(t, sharedClient(t), true)})
}

func TestRestoreMany(t *testing.T) {
	t.Parallel()
	l, lic, now := newLedger(t, sharedClient(t), true), newLicense(), base()
	const n = 2000 // several ZADD batches in the script
	leases := make([]coditect.Lease, n)
	for i := range leases {
		leases[i] = coditect.Lease{SessionID: "s" + strconv.Itoa(i), ExpiresAt: now.Add(time.Duration(i) * time.Millisecond)}
	}
	mustRestore(t, l, lic, leases, now)
	if got, err := l.Count(t.Context(), lic, now); err != nil || got != n-1 {
		t.Errorf("Count: got %d, error %v, want %d (all but the one expiring at now), nil", got, err, n-1)
	}
}

// TestScriptErrorIsInternal: a reply that says the request was wrong (here
// a key of the wrong type) is an internal error, not an unreachable Redis.
func TestScriptErrorIsInternal(t *testing.T) {
	t.Parallel()
	client := sharedClient(t)
	l, lic := newLedger(t, client, true), newLicense()
	mustRestore(t, l, lic, nil, base())
	if err := client.Set(t.Context(), l.Keys(lic)[0], "not a sorted set", 0).Err(); err != nil {
		t.Fatalf("SET: %v", err)
	}
	_, err := l.Acquire(t.Context(), coditect.AcquireParams{LicenseID: lic, SessionID: "s1", TTL: ttl, Limit: 1, Now: base()})
	checkCode(t, "Acquire", err, coditect.CodeInternal)
	checkCode(t, "Release", l.Release(t.Context(), lic, "s1"), coditect.CodeInternal)
}

func TestCanceledContextIsPassedThrough(t *testing.T) {
	t.Parallel()
	l := newLedger(t, sharedClient(t), true)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: newLicense(), SessionID: "s1", TTL: ttl, Limit: 1, Now: base()})
	checkIs(t, "Acquire", err, context.Canceled)
}

var cmdstat = regexp.MustCompile(`(?m)^cmdstat_(evalsha|eval):calls=(\d+)`)

// evalCalls returns how often the server ran EVAL and EVALSHA since its
// statistics were reset.
func evalCalls(t *testing.T, client goredis.UniversalClient) (eval, evalsha int) {
	t.Helper()
	info, err := client.Info(t.Context(), "commandstats").Result()
	if err != nil {
		t.Fatalf("INFO commandstats: %v", err)
	}
	for _, m := range cmdstat.FindAllStringSubmatch(info, -1) {
		n, _ := strconv.Atoi(m[2])
		if m[1] == "eval" {
			eval = n
		} else {
			evalsha = n
		}
	}
	return eval, evalsha
}

// runEveryScript calls every ledger method that runs a script.
func runEveryScript(t *testing.T, l coditect.Ledger, licenseID string) {
	t.Helper()
	ctx, now := t.Context(), base()
	mustRestore(t, l, licenseID, nil, now)
	if res := mustAcquire(t, l, licenseID, "s1", 1, now); !res.Granted {
		t.Errorf("Acquire: got %+v, want granted", res)
	}
	if _, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: licenseID, SessionID: "s1", TTL: ttl, Now: now}); err != nil || !live {
		t.Errorf("Heartbeat: got live=%t, error %v, want true, nil", live, err)
	}
	if _, ok, err := l.Lookup(ctx, licenseID, "s1", now); err != nil || !ok {
		t.Errorf("Lookup: got ok=%t, error %v, want true, nil", ok, err)
	}
	if n, err := l.Count(ctx, licenseID, now); err != nil || n != 1 {
		t.Errorf("Count: got %d, error %v, want 1, nil", n, err)
	}
}

// TestScriptCacheFlush checks the NOSCRIPT fallback: after SCRIPT FLUSH each
// script's EVALSHA fails once, EVAL runs and caches it, and later calls use
// EVALSHA again. It flushes a Redis of its own, never the shared one.
func TestScriptCacheFlush(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	client := srv.client(t, redis.ClientOptions{})
	ctx := t.Context()
	l := redis.New(client, redis.Options{ClientTime: true})
	runEveryScript(t, l, newLicense())

	if err := client.ScriptFlush(ctx).Err(); err != nil {
		t.Fatalf("SCRIPT FLUSH: %v", err)
	}
	if err := client.ConfigResetStat(ctx).Err(); err != nil {
		t.Fatalf("CONFIG RESETSTAT: %v", err)
	}
	runEveryScript(t, l, newLicense())
	exists, err := client.ScriptExists(ctx, redis.ScriptHashes()...).Result()
	if err != nil {
		t.Fatalf("SCRIPT EXISTS: %v", err)
	}
	for i, ok := range exists {
		if !ok {
			t.Errorf("script %d: got not cached after the fallback, want cached", i)
		}
	}
	if eval, evalsha := evalCalls(t, client); eval != 5 || evalsha != 5 {
		t.Errorf("after SCRIPT FLUSH: got %d EVAL and %d EVALSHA, want 5 and 5 (one NOSCRIPT and one EVAL per script)", eval, evalsha)
	}
	runEveryScript(t, l, newLicense())
	if eval, evalsha := evalCalls(t, client); eval != 5 || evalsha != 10 {
		t.Errorf("once cached: got %d EVAL and %d EVALSHA, want 5 and 10", eval, evalsha)
	}
}

func TestCheckEvictionPolicy(t *testing.T) {
	t.Parallel()
	srv := startServer(t, false)
	client := srv.client(t, redis.ClientOptions{})
	ctx := t.Context()
	for _, policy := range []string{"noeviction", "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random"} {
		t.Run(policy, func(t *testing.T) {
			if err := client.ConfigSet(ctx, "maxmemory-policy", policy).Err(); err != nil {
				t.Fatalf("CONFIG SET: %v", err)
			}
			err := redis.CheckEvictionPolicy(ctx, client)
			if !strings.HasPrefix(policy, "allkeys-") {
				if err != nil {
					t.Errorf("got error %v, want nil", err)
				}
				return
			}
			checkIs(t, "CheckEvictionPolicy", err, redis.ErrEvictingPolicy)
			for _, want := range []string{srv.addr, policy, "CONFIG SET maxmemory-policy noeviction", "--redis-allow-eviction"} {
				if err != nil && !strings.Contains(err.Error(), want) {
					t.Errorf("error %q: want it to name %q", err, want)
				}
			}
		})
	}
	t.Run("ConfigDenied", func(t *testing.T) {
		// Managed Redis services often deny CONFIG; an ACL does the same here.
		if err := client.Do(ctx, "ACL", "SETUSER", "noconfig", "on", ">secret", "~*", "&*", "+@all", "-config").Err(); err != nil {
			t.Fatalf("ACL SETUSER: %v", err)
		}
		limited, err := redis.ParseURL("redis://noconfig:secret@"+srv.addr, redis.ClientOptions{})
		if err != nil {
			t.Fatalf("ParseURL: %v", err)
		}
		defer limited.Close()
		checkIs(t, "CheckEvictionPolicy", redis.CheckEvictionPolicy(ctx, limited), redis.ErrPolicyUnknown)
	})
}

// TestUnavailable checks that a Redis that is gone or hangs makes every call
// fail fast with code unavailable.
func TestUnavailable(t *testing.T) {
	t.Parallel()
	calls := map[string]func(ctx context.Context, l *redis.Ledger, client goredis.UniversalClient) error{
		"Acquire": func(ctx context.Context, l *redis.Ledger, _ goredis.UniversalClient) error {
			_, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: "lic", SessionID: "s1", TTL: ttl, Limit: 1, Now: base()})
			return err
		},
		"Heartbeat": func(ctx context.Context, l *redis.Ledger, _ goredis.UniversalClient) error {
			_, _, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: "lic", SessionID: "s1", TTL: ttl, Now: base()})
			return err
		},
		"Lookup": func(ctx context.Context, l *redis.Ledger, _ goredis.UniversalClient) error {
			_, _, err := l.Lookup(ctx, "lic", "s1", base())
			return err
		},
		"Count": func(ctx context.Context, l *redis.Ledger, _ goredis.UniversalClient) error {
			_, err := l.Count(ctx, "lic", base())
			return err
		},
		"Release": func(ctx context.Context, l *redis.Ledger, _ goredis.UniversalClient) error {
			return l.Release(ctx, "lic", "s1")
		},
		"Restore": func(ctx context.Context, l *redis.Ledger, _ goredis.UniversalClient) error {
			return l.Restore(ctx, "lic", nil, base())
		},
		"Ping": func(ctx context.Context, l *redis.Ledger, _ goredis.UniversalClient) error {
			return l.Ping(ctx)
		},
		"CheckEvictionPolicy": func(ctx context.Context, _ *redis.Ledger, client goredis.UniversalClient) error {
			return redis.CheckEvictionPolicy(ctx, client)
		},
	}
	check := func(t *testing.T, l *redis.Ledger, client goredis.UniversalClient, within time.Duration) {
		for name, call := range calls {
			start := time.Now()
			err := call(t.Context(), l, client)
			checkCode(t, name, err, coditect.CodeUnavailable)
			if d := time.Since(start); d > within {
				t.Errorf("%s: failed after %v, want within %v", name, d, within)
			}
		}
	}
	t.Run("Stopped", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		client := srv.client(t, redis.ClientOptions{})
		l := redis.New(client, redis.Options{ClientTime: true})
		runEveryScript(t, l, newLicense()) // the pool now holds connections that will break
		srv.stop()
		check(t, l, client, redis.DefaultReadTimeout)
	})
	t.Run("Hung", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		const timeout = 100 * time.Millisecond
		client := srv.client(t, redis.ClientOptions{ReadTimeout: timeout, WriteTimeout: timeout, MaxRetries: -1})
		l := redis.New(client, redis.Options{ClientTime: true})
		runEveryScript(t, l, newLicense())
		if err := srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatalf("SIGSTOP: %v", err)
		}
		defer srv.cmd.Process.Signal(syscall.SIGCONT)
		check(t, l, client, 5*timeout)
	})
	t.Run("OutOfMemory", func(t *testing.T) {
		t.Parallel()
		srv := startServer(t, false)
		client := srv.client(t, redis.ClientOptions{})
		l := redis.New(client, redis.Options{ClientTime: true})
		if err := client.Set(t.Context(), "ballast", strings.Repeat("x", 4<<20), 0).Err(); err != nil {
			t.Fatalf("SET ballast: %v", err)
		}
		if err := client.ConfigSet(t.Context(), "maxmemory", "2mb").Err(); err != nil {
			t.Fatalf("CONFIG SET maxmemory: %v", err)
		}
		err := l.Restore(t.Context(), newLicense(), nil, base())
		checkCode(t, "Restore", err, coditect.CodeUnavailable)
	})
}
