package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultServerURL is where the tests look for PostgreSQL unless
// CODITECT_TEST_POSTGRES_URL says otherwise.
const defaultServerURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// testDB is the database every test of the package shares, created fresh
// by TestMain and dropped when the tests end. The conformance suite and the
// tests here make their own tenants, so sharing is safe.
var testDB struct {
	serverURL string // the server, connected to as an administrator
	url       string // the test database, same user
	err       error  // why there is no test database
	migrate   error  // why the test database could not be migrated
}

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	testDB.serverURL = os.Getenv("CODITECT_TEST_POSTGRES_URL")
	if testDB.serverURL == "" {
		testDB.serverURL = defaultServerURL
	}
	name, drop, err := createDatabase(testDB.serverURL, "")
	if err != nil {
		testDB.err = err
		return m.Run()
	}
	defer func() {
		if err := drop(); err != nil {
			fmt.Fprintf(os.Stderr, "drop test database %s: %v\n", name, err)
		}
	}()
	testDB.url = databaseURL(testDB.serverURL, name)
	// Migrating once up front spares the parallel tests the wait for
	// goose's lock.
	if s, err := Open(context.Background(), Config{URL: testDB.url}); err != nil {
		testDB.migrate = err
	} else {
		s.Close()
	}
	return m.Run()
}

// testURL returns the URL of the shared test database. Without a reachable
// server the test is skipped, or fails when CI=true.
func testURL(t testing.TB) string {
	t.Helper()
	if testDB.err != nil {
		unreachableServer(t, testDB.err)
	}
	if testDB.migrate != nil {
		t.Fatalf("open the test database: %v", testDB.migrate)
	}
	return testDB.url
}

// serverURL returns the URL the tests administer the server through.
func serverURL(t testing.TB) string {
	t.Helper()
	testURL(t)
	return testDB.serverURL
}

func unreachableServer(t testing.TB, err error) {
	t.Helper()
	msg := fmt.Sprintf("PostgreSQL not reachable at %s; set CODITECT_TEST_POSTGRES_URL or start it: %v",
		redact(testDB.serverURL), err)
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("!!! SKIPPED: " + msg)
}

// newDatabase creates a fresh, empty database owned by owner (the server
// URL's user when empty) and drops it when the test ends. It returns the
// database's name.
func newDatabase(t testing.TB, owner string) string {
	t.Helper()
	name, drop, err := createDatabase(serverURL(t), owner)
	if err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		if err := drop(); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}

// createDatabase creates coditect_test_<random> on the server and returns
// its name and a function that drops it, closing any connection left.
func createDatabase(server, owner string) (string, func() error, error) {
	name := "coditect_test_" + randomHex(6)
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if owner != "" {
		create += " OWNER " + pgx.Identifier{owner}.Sanitize()
	}
	if err := admin(server, create); err != nil {
		return "", nil, err
	}
	drop := func() error {
		return admin(server, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	}
	return name, drop, nil
}

// admin runs statements on a connection of its own to the server URL.
func admin(server string, statements ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cc, err := pgx.ParseConfig(server)
	if err != nil {
		return err
	}
	if cc.ConnectTimeout == 0 {
		cc.ConnectTimeout = 5 * time.Second
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// databaseURL returns server with its database (and, when user is given,
// its user and password) replaced.
func databaseURL(server, database string, userAndPassword ...string) string {
	if !strings.HasPrefix(server, "postgres://") && !strings.HasPrefix(server, "postgresql://") {
		dsn := server + " dbname=" + database
		if len(userAndPassword) == 2 {
			dsn += " user=" + userAndPassword[0] + " password=" + userAndPassword[1]
		}
		return dsn
	}
	u, err := url.Parse(server)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + database
	if len(userAndPassword) == 2 {
		u.User = url.UserPassword(userAndPassword[0], userAndPassword[1])
	}
	return u.String()
}

func redact(server string) string {
	if u, err := url.Parse(server); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
		}
		return u.String()
	}
	return server
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// newRole creates a login role with a random name and password, runs
// extra statements (with %s for the role's quoted name) and drops the role
// when the test ends. It returns the name and the password.
func newRole(t testing.TB, attributes string, extra ...string) (string, string) {
	t.Helper()
	name := "coditect_test_" + randomHex(6)
	password := randomHex(16)
	quoted := pgx.Identifier{name}.Sanitize()
	statements := []string{fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s' %s", quoted, password, attributes)}
	for _, e := range extra {
		statements = append(statements, fmt.Sprintf(e, quoted))
	}
	if err := admin(serverURL(t), statements...); err != nil {
		t.Skipf("cannot create a test role (the test user needs CREATEROLE): %v", err)
	}
	t.Cleanup(func() {
		// Membership granted by the role itself goes first on servers that
		// track grantors.
		_ = admin(serverURL(t), "REVOKE coditect_app FROM "+quoted)
		if err := admin(serverURL(t), "DROP ROLE IF EXISTS "+quoted); err != nil {
			t.Logf("drop role %s: %v", name, err)
		}
	})
	return name, password
}
