package redis_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/redis"
)

// TestMain silences go-redis's own log: the tests that stop servers would
// make it print every refused dial, and they check the errors the ledger
// returns instead.
func TestMain(m *testing.M) {
	goredis.SetLogger(quietLogger{})
	m.Run()
}

type quietLogger struct{}

func (quietLogger) Printf(context.Context, string, ...any) {}

// defaultRedisURL is the Redis the tests share unless CODITECT_TEST_REDIS_URL
// names another. Tests never flush it: each one works under a key prefix of
// its own and deletes its keys when it ends.
const defaultRedisURL = "redis://127.0.0.1:6379/0"

// unavailable fails the test under CI, where every service must be up, and
// skips it elsewhere, loudly, so that a developer without Redis still sees
// that the Redis ledger went untested.
func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: Redis is required)", msg)
	}
	tb.Skipf("!!! SKIPPING REDIS TEST: %s", msg)
}

var sharedRedis = sync.OnceValues(func() (goredis.UniversalClient, error) {
	u := os.Getenv("CODITECT_TEST_REDIS_URL")
	if u == "" {
		u = defaultRedisURL
	}
	client, err := redis.ParseURL(u, redis.ClientOptions{})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redis at %s is unreachable: %w", u, err)
	}
	return client, nil
})

// sharedClient returns the client of the shared test Redis, or skips the
// test (fails it under CI) if that Redis is unreachable.
func sharedClient(tb testing.TB) goredis.UniversalClient {
	tb.Helper()
	client, err := sharedRedis()
	if err != nil {
		unavailable(tb, "%v; start Redis or set CODITECT_TEST_REDIS_URL", err)
	}
	return client
}

// hookedClient returns a client of its own on the test Redis, with hook
// added (a hook on the shared client would see every test's commands), or
// skips the test (fails it under CI) if that Redis is unreachable.
func hookedClient(tb testing.TB, hook goredis.Hook) goredis.UniversalClient {
	tb.Helper()
	sharedClient(tb)
	u := os.Getenv("CODITECT_TEST_REDIS_URL")
	if u == "" {
		u = defaultRedisURL
	}
	client, err := redis.ParseURL(u, redis.ClientOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { client.Close() })
	client.AddHook(hook)
	return client
}

// newPrefix returns a key prefix no other test, run or process uses, and
// deletes every key under it when the test ends.
func newPrefix(tb testing.TB, client goredis.UniversalClient) string {
	tb.Helper()
	prefix := "coditest-" + rand.Text()
	tb.Cleanup(func() {
		if err := deleteKeys(context.Background(), client, prefix); err != nil {
			tb.Errorf("delete keys under %s: %v", prefix, err)
		}
	})
	return prefix
}

// deleteKeys deletes every key under prefix: SCAN and DEL, on every master
// of a cluster. It never flushes the database, which other tests share.
func deleteKeys(ctx context.Context, client goredis.UniversalClient, prefix string) error {
	del := func(ctx context.Context, node goredis.Cmdable) error {
		iter := node.Scan(ctx, 0, prefix+":*", 1000).Iterator()
		for iter.Next(ctx) {
			if err := node.Del(ctx, iter.Val()).Err(); err != nil {
				return err
			}
		}
		return iter.Err()
	}
	if c, ok := client.(*goredis.ClusterClient); ok {
		return c.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error { return del(ctx, node) })
	}
	return del(ctx, client)
}

// newLedger returns a ledger on client under a fresh prefix.
func newLedger(tb testing.TB, client goredis.UniversalClient, clientTime bool) *redis.Ledger {
	tb.Helper()
	return redis.New(client, redis.Options{Prefix: newPrefix(tb, client), ClientTime: clientTime})
}

// restoring uses a Redis ledger the way the seat service does: a license
// the ledger has not seen, or has lost, answers coditect.ErrLedgerLost until
// it is restored from the store's active sessions; the service then restores
// it and tries once more. The conformance suite starts every license from
// nothing, as if the store had no sessions for it, so on ErrLedgerLost this
// adapter restores the license with no leases and retries. Restore never
// removes a lease, so a retry racing other calls cannot free a seat.
type restoring struct {
	*redis.Ledger
}

func (r restoring) retry(ctx context.Context, licenseID string, now time.Time, fn func() error) error {
	err := fn()
	if !errors.Is(err, coditect.ErrLedgerLost) {
		return err
	}
	if err := r.Restore(ctx, licenseID, nil, now); err != nil {
		return err
	}
	return fn()
}

func (r restoring) Acquire(ctx context.Context, p coditect.AcquireParams) (res coditect.AcquireResult, err error) {
	err = r.retry(ctx, p.LicenseID, p.Now, func() error {
		res, err = r.Ledger.Acquire(ctx, p)
		return err
	})
	return res, err
}

func (r restoring) Heartbeat(ctx context.Context, p coditect.HeartbeatParams) (exp time.Time, live bool, err error) {
	err = r.retry(ctx, p.LicenseID, p.Now, func() error {
		exp, live, err = r.Ledger.Heartbeat(ctx, p)
		return err
	})
	return exp, live, err
}

func (r restoring) Count(ctx context.Context, licenseID string, now time.Time) (n int, err error) {
	err = r.retry(ctx, licenseID, now, func() error {
		n, err = r.Ledger.Count(ctx, licenseID, now)
		return err
	})
	return n, err
}

func (r restoring) Lookup(ctx context.Context, licenseID, sessionID string, now time.Time) (exp time.Time, ok bool, err error) {
	err = r.retry(ctx, licenseID, now, func() error {
		exp, ok, err = r.Ledger.Lookup(ctx, licenseID, sessionID, now)
		return err
	})
	return exp, ok, err
}

// redisServer is a redis-server process of one test, on a free loopback
// port, without persistence.
type redisServer struct {
	addr string
	cmd  *exec.Cmd
	out  bytes.Buffer
	done chan struct{}
	once sync.Once
}

// lookRedis returns the path of a Redis binary, or skips the test (fails it
// under CI) if it is not installed.
func lookRedis(tb testing.TB, name string) string {
	tb.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		unavailable(tb, "%s is not installed; install the Debian package redis-server", name)
	}
	return path
}

// startServer starts a redis-server for this test and stops it when the test
// ends. With cluster, the server is a cluster node whose bus port
// (port+10000) is free as well.
func startServer(t testing.TB, cluster bool, args ...string) *redisServer {
	t.Helper()
	bin := lookRedis(t, "redis-server")
	dir := t.TempDir()
	var lastErr error
	for range 3 { // another process may take the port between the probe and the start
		port := freePort(t, cluster)
		argv := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
			"--daemonize", "no", "--dir", dir}
		if cluster {
			argv = append(argv, "--cluster-enabled", "yes", "--cluster-config-file", fmt.Sprintf("%s/nodes-%d.conf", dir, port))
		}
		s := &redisServer{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), done: make(chan struct{})}
		s.cmd = exec.Command(bin, append(argv, args...)...)
		s.cmd.Stdout, s.cmd.Stderr = &s.out, &s.out
		if err := s.cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		go func() { _ = s.cmd.Wait(); close(s.done) }()
		t.Cleanup(s.stop)
		if lastErr = s.waitReady(); lastErr == nil {
			return s
		}
		s.stop()
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

// waitReady polls the new server until it answers PING.
func (s *redisServer) waitReady() error {
	c := goredis.NewClient(&goredis.Options{Addr: s.addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := c.Ping(ctx).Err()
		cancel()
		select {
		case <-s.done:
			return fmt.Errorf("redis-server on %s exited: %s", s.addr, s.out.String())
		default:
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s does not answer: %v", s.addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop kills the server and waits for it to exit.
func (s *redisServer) stop() {
	s.once.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGCONT) // in case a test paused it
		_ = s.cmd.Process.Kill()
		<-s.done
	})
}

// client returns a client of the server, closed when the test ends.
func (s *redisServer) client(t *testing.T, opts redis.ClientOptions) goredis.UniversalClient {
	t.Helper()
	c, err := redis.ParseURL("redis://"+s.addr, opts)
	if err != nil {
		t.Fatalf("ParseURL: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// freePort returns a loopback port nobody listens on. For a cluster node the
// bus port, port+10000, must be free and valid too.
func freePort(t testing.TB, cluster bool) int {
	t.Helper()
	for range 100 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("find a free port: %v", err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if !cluster {
			return port
		}
		if port >= 65535-10000 {
			continue
		}
		if bus, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port+10000))); err == nil {
			bus.Close()
			return port
		}
	}
	t.Fatalf("found no free port pair for a cluster node")
	return 0
}
