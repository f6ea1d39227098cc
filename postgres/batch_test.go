package postgres

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgxpool"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// sendRaw sends the statements, each a query and its arguments, as one
// pgx batch and returns the first column (text) of each one's rows.
func sendRaw(t *testing.T, s *Store, statements ...[]any) ([][]string, error) {
	t.Helper()
	b := &pgx.Batch{}
	for _, st := range statements {
		b.Queue(st[0].(string), st[1:]...)
	}
	br := s.pool.SendBatch(t.Context(), b)
	defer br.Close()
	var out [][]string
	for range statements {
		rows, err := br.Query()
		if err != nil {
			return out, err
		}
		col, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
			var v *string
			if err := r.Scan(&v); err != nil || v == nil {
				return "<null>", err
			}
			return *v, nil
		})
		if err != nil {
			return out, err
		}
		out = append(out, col)
	}
	return out, br.Close()
}

func stmt(sql string, args ...any) []any { return append([]any{sql}, args...) }

// TestBatchIsOneTransaction checks, against the server, what the store's
// one-round-trip calls rely on (batch.go): the statements of a pgx batch
// run in one implicit transaction, so a transaction-local tenant set by
// the first reaches the next ones and ends with the batch, and an error in
// any of them undoes the batch's writes.
func TestBatchIsOneTransaction(t *testing.T) {
	t.Parallel()
	s := openInternal(t) // one connection: consecutive batches share it
	a, b := seedTenant(t, s), seedTenant(t, s)
	setTenant := "SELECT set_config('app.tenant_id', $1, true)"

	t.Run("one transaction", func(t *testing.T) {
		got, err := sendRaw(t, s,
			stmt("SELECT txid_current()::text"),
			stmt("SELECT txid_current()::text"))
		if err != nil {
			t.Fatal(err)
		}
		if got[0][0] != got[1][0] {
			t.Errorf("got transaction IDs %s and %s in one batch, want one transaction", got[0][0], got[1][0])
		}
		again, err := sendRaw(t, s, stmt("SELECT txid_current()::text"))
		if err != nil {
			t.Fatal(err)
		}
		if again[0][0] == got[0][0] {
			t.Errorf("got transaction ID %s in the next batch too, want a new transaction", again[0][0])
		}
	})

	t.Run("the tenant reaches the statement and ends with the batch", func(t *testing.T) {
		got, err := sendRaw(t, s,
			stmt(setTenant, a.tenant.ID),
			stmt("SELECT current_setting('app.tenant_id')"),
			stmt("SELECT id FROM sessions ORDER BY id"))
		if err != nil {
			t.Fatal(err)
		}
		if got[1][0] != a.tenant.ID {
			t.Errorf("got app.tenant_id %q in the batch, want %q", got[1][0], a.tenant.ID)
		}
		if want := sessionIDsOf(a); !slices.Equal(got[2], want) {
			t.Errorf("got sessions %v under row-level security, want tenant A's %v", got[2], want)
		}
		got, err = sendRaw(t, s,
			stmt("SELECT coalesce(current_setting('app.tenant_id', true), '<null>')"),
			stmt("SELECT id FROM sessions"))
		if err != nil {
			t.Fatal(err)
		}
		if got[0][0] != "" && got[0][0] != "<null>" {
			t.Errorf("got app.tenant_id %q in the next batch, want it unset", got[0][0])
		}
		if len(got[1]) != 0 {
			t.Errorf("got sessions %v in the next batch, want none", got[1])
		}
	})

	t.Run("an error undoes the batch's writes", func(t *testing.T) {
		_, err := sendRaw(t, s,
			stmt(setTenant, b.tenant.ID),
			stmt("UPDATE licenses SET name = 'changed' RETURNING id"),
			stmt("SELECT (1/0)::text"))
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "22012" {
			t.Fatalf("got error %v, want division_by_zero", err)
		}
		l, err := s.GetLicense(t.Context(), b.tenant.ID, b.license.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Name != b.license.Name {
			t.Errorf("got license name %q after the failed batch, want %q", l.Name, b.license.Name)
		}
		// A unique violation in the second write undoes the first.
		id := newID()
		insert := `INSERT INTO sessions (tenant_id, id, license_id, fingerprint, status, started_at, last_heartbeat_at, expires_at)
			VALUES ($1, $2, $3, 'fp', 'active', now(), now(), now()) RETURNING id`
		_, err = sendRaw(t, s,
			stmt(setTenant, b.tenant.ID),
			stmt(insert, b.tenant.ID, id, b.license.ID),
			stmt(insert, b.tenant.ID, id, b.license.ID))
		if !errors.As(err, &pe) || pe.Code != "23505" {
			t.Fatalf("got error %v, want unique_violation", err)
		}
		if _, err := s.GetSession(t.Context(), b.tenant.ID, id); coditect.ErrorCode(err) != coditect.CodeNotFound {
			t.Errorf("got session (error %v) after the failed batch, want not found", err)
		}
	})
}

func sessionIDsOf(r tenantRows) []string {
	var ids []string
	for _, s := range r.sessions {
		ids = append(ids, s.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestScopedConnAppliesRowLevelSecurity sends statements without any
// tenant condition of their own through the store's one-round-trip path:
// only the scope statement's tenant can make row-level security admit the
// rows they see and write.
func TestScopedConnAppliesRowLevelSecurity(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	a, b := seedTenant(t, s), seedTenant(t, s)
	ctx := t.Context()
	tenantConn := func(tenantID string) scopedConn {
		var bt pgx.Batch
		_ = queue(&bt).SetTenant(ctx, tenantID)
		return scopedConn{pool: s.pool, scope: bt.QueuedQueries[0]}
	}
	keyConn := func(digest string) scopedConn {
		var bt pgx.Batch
		_ = queue(&bt).SetTenantByKeyDigest(ctx, digest)
		return scopedConn{pool: s.pool, scope: bt.QueuedQueries[0]}
	}
	ids := func(c scopedConn, sql string) []string {
		t.Helper()
		rows, err := c.Query(ctx, sql)
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		got, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		slices.Sort(got)
		return got
	}

	for _, tc := range []struct {
		name string
		r    tenantRows
	}{{"tenant A", a}, {"tenant B", b}} {
		c := tenantConn(tc.r.tenant.ID)
		if got, want := ids(c, "SELECT id FROM sessions"), sessionIDsOf(tc.r); !slices.Equal(got, want) {
			t.Errorf("%s: Query: got sessions %v, want %v", tc.name, got, want)
		}
		var n int
		if err := c.QueryRow(ctx, "SELECT count(*) FROM licenses").Scan(&n); err != nil || n != 1 {
			t.Errorf("%s: QueryRow: got %d licenses (error %v), want 1", tc.name, n, err)
		}
		tag, err := c.Exec(ctx, "UPDATE sessions SET ip = 'seen'")
		if err != nil || tag.RowsAffected() != 2 {
			t.Errorf("%s: Exec: got %d rows updated (error %v), want 2", tc.name, tag.RowsAffected(), err)
		}
		// Through the key digest's scope: the key's own tenant, whichever
		// it is.
		k := keyConn(tc.r.license.KeyDigest)
		if got, want := ids(k, "SELECT tenant_id || '/' || id FROM licenses"), []string{tc.r.tenant.ID + "/" + tc.r.license.ID}; !slices.Equal(got, want) {
			t.Errorf("%s: by key digest: got licenses %v, want %v", tc.name, got, want)
		}
		if got := ids(k, "SELECT id FROM sessions"); !slices.Equal(got, sessionIDsOf(tc.r)) {
			t.Errorf("%s: by key digest: got sessions %v, want %v", tc.name, got, sessionIDsOf(tc.r))
		}
	}

	// Another tenant's rows, named outright, stay out of reach.
	ca := tenantConn(a.tenant.ID)
	var n int
	if err := ca.QueryRow(ctx, "SELECT count(*) FROM sessions WHERE tenant_id = $1", b.tenant.ID).Scan(&n); err != nil || n != 0 {
		t.Errorf("tenant B's sessions in tenant A's scope: got %d (error %v), want 0", n, err)
	}
	if tag, err := ca.Exec(ctx, "DELETE FROM sessions WHERE tenant_id = $1", b.tenant.ID); err != nil || tag.RowsAffected() != 0 {
		t.Errorf("delete tenant B's sessions in tenant A's scope: got %d rows (error %v), want 0", tag.RowsAffected(), err)
	}
	_, err := ca.Exec(ctx, `INSERT INTO sessions (tenant_id, id, license_id, fingerprint, status, started_at, last_heartbeat_at, expires_at)
		VALUES ($1, $2, $3, 'fp', 'active', now(), now(), now())`, b.tenant.ID, newID(), b.license.ID)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		t.Errorf("insert a session of tenant B in tenant A's scope: got error %v, want a row-level security violation", err)
	}
	// An unknown key digest scopes to no tenant at all.
	if got := ids(keyConn(newID()), "SELECT id FROM licenses"); len(got) != 0 {
		t.Errorf("unknown key digest: got licenses %v, want none", got)
	}
	// And the store's calls, with the right tenant and the wrong one.
	if _, err := s.GetSession(ctx, b.tenant.ID, a.sessions[0].ID); coditect.ErrorCode(err) != coditect.CodeNotFound {
		t.Errorf("tenant A's session as tenant B's: got error %v, want not found", err)
	}
	if got, err := s.GetSession(ctx, a.tenant.ID, a.sessions[0].ID); err != nil || got.IP != "seen" {
		t.Errorf("tenant A's session: got %+v (error %v), want it, updated", got, err)
	}
	if got, err := s.FindLicenseByKeyDigest(ctx, b.license.KeyDigest); err != nil || got.ID != b.license.ID || got.TenantID != b.tenant.ID {
		t.Errorf("find tenant B's license by key: got %+v (error %v), want it", got, err)
	}
}

// roundTrips counts the round trips of a connection: the server ends each
// reply the client waits for, to a simple query or to a Sync, with one
// ReadyForQuery. It is the pgproto3 trace's writer.
type roundTrips struct {
	mu   sync.Mutex
	n    int
	sent []string // the client's messages since the last take
}

func (r *roundTrips) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for line := range strings.Lines(string(p)) {
		sender, rest, _ := strings.Cut(line, "\t")
		msg, _, _ := strings.Cut(rest, "\t")
		switch {
		case sender == "B" && msg == "ReadyForQuery":
			r.n++
		case sender == "F":
			r.sent = append(r.sent, msg)
		}
	}
	return len(p), nil
}

// take returns the round trips and the messages sent since the last take.
func (r *roundTrips) take() (int, []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, sent := r.n, r.sent
	r.n, r.sent = 0, nil
	return n, sent
}

// openTraced opens a store on the test database with one connection whose
// protocol messages are counted.
func openTraced(t *testing.T) (*Store, *roundTrips) {
	t.Helper()
	pc, _, err := Config{URL: testURL(t), MaxConns: 1}.poolConfig()
	if err != nil {
		t.Fatal(err)
	}
	rt := &roundTrips{}
	setRole := pc.AfterConnect
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		if err := setRole(ctx, conn); err != nil {
			return err
		}
		conn.PgConn().Frontend().Trace(rt, pgproto3.TracerOptions{SuppressTimestamps: true})
		return nil
	}
	// The pool pings a connection idle for a second before handing it
	// out; that round trip is not the call's.
	pc.ShouldPing = func(context.Context, pgxpool.ShouldPingParams) bool { return false }
	pool, err := pgxpool.NewWithConfig(t.Context(), pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return &Store{pool: pool, q: sqlcdb.New(pool)}, rt
}

// TestRoundTrips pins the round trips of the seat service's hot calls, and
// of a few others, once the connection has prepared their statements (the
// first use of a statement on a connection costs one more, for all of a
// batch's new statements together).
func TestRoundTrips(t *testing.T) {
	t.Parallel()
	s, rt := openTraced(t)
	ctx := t.Context()
	a, b := seedTenant(t, s), seedTenant(t, s)
	now := time.Now()
	newSession := func(r tenantRows) *coditect.Session {
		return &coditect.Session{
			ID: newID(), TenantID: r.tenant.ID, LicenseID: r.license.ID, Fingerprint: "fp", InstanceID: newID(),
			StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
		}
	}
	var toEnd []*coditect.Session
	for range 2 {
		sess := newSession(a)
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		toEnd = append(toEnd, sess)
	}
	wantCode := func(code string) func(error) error {
		return func(err error) error {
			if coditect.ErrorCode(err) != code {
				return errors.New("got error " + coditect.ErrorCode(err) + ", want " + code)
			}
			return nil
		}
	}
	for _, tc := range []struct {
		name  string
		want  int
		call  func(i int) error // i is 0, then 1; the second call counts
		check func(error) error // nil: no error wanted
	}{
		{"FindLicenseByKeyDigest", 1, func(int) error {
			_, err := s.FindLicenseByKeyDigest(ctx, a.license.KeyDigest)
			return err
		}, nil},
		{"FindLicenseByKeyDigest, unknown key", 1, func(int) error {
			_, err := s.FindLicenseByKeyDigest(ctx, newID())
			return err
		}, wantCode(coditect.CodeNotFound)},
		{"FindActiveSession", 1, func(int) error {
			_, err := s.FindActiveSession(ctx, a.tenant.ID, a.license.ID, toEnd[0].Fingerprint, toEnd[0].InstanceID)
			return err
		}, nil},
		{"CreateSession", 1, func(int) error { return s.CreateSession(ctx, newSession(a)) }, nil},
		// Not twice in a row: pgx drops a connection's prepared statements
		// of a statement that failed, so the next call prepares them again.
		{"CreateSession, taken instance", 1, func(i int) error {
			sess := newSession(a)
			if i > 0 {
				sess.InstanceID = toEnd[0].InstanceID
			}
			return s.CreateSession(ctx, sess)
		}, wantCode(coditect.CodeConflict)},
		{"GetSession", 1, func(int) error {
			_, err := s.GetSession(ctx, a.tenant.ID, toEnd[0].ID)
			return err
		}, nil},
		{"EndSession", 1, func(i int) error {
			_, err := s.EndSession(ctx, a.tenant.ID, toEnd[i].ID, coditect.EndReleased, now)
			return err
		}, nil},
		{"EndSession, ended already", 2, func(i int) error {
			_, err := s.EndSession(ctx, a.tenant.ID, toEnd[i].ID, coditect.EndReleased, now)
			return err
		}, nil},
		{"EndSession, unknown", 2, func(int) error {
			_, err := s.EndSession(ctx, a.tenant.ID, newID(), coditect.EndReleased, now)
			return err
		}, wantCode(coditect.CodeNotFound)},
		{"TouchSessions, two tenants", 1, func(int) error {
			return s.TouchSessions(ctx, []coditect.SessionTouch{
				{TenantID: a.tenant.ID, SessionID: a.sessions[0].ID, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Hour)},
				{TenantID: b.tenant.ID, SessionID: b.sessions[0].ID, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Hour)},
			})
		}, nil},
		{"TouchSessions, none", 0, func(int) error { return s.TouchSessions(ctx, nil) }, nil},
		{"GetLicense", 1, func(int) error {
			_, err := s.GetLicense(ctx, a.tenant.ID, a.license.ID)
			return err
		}, nil},
		{"ListSessions", 1, func(int) error {
			_, err := s.ListSessions(ctx, a.tenant.ID, coditect.SessionFilter{})
			return err
		}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			check := tc.check
			if check == nil {
				check = func(err error) error { return err }
			}
			_ = tc.call(0) // prepares the statements
			rt.take()
			if err := check(tc.call(1)); err != nil {
				t.Fatal(err)
			}
			if n, sent := rt.take(); n != tc.want {
				t.Errorf("got %d round trips, want %d; sent %v", n, tc.want, sent)
			}
		})
	}
}

// TestScopedConnCanceled cuts statements short in each of the ways the
// one-round-trip path runs them and checks that the pool's one connection
// serves the next call as usual, with no tenant left over.
func TestScopedConnCanceled(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	a := seedTenant(t, s)
	var bt pgx.Batch
	_ = queue(&bt).SetTenant(t.Context(), a.tenant.ID)
	c := scopedConn{pool: s.pool, scope: bt.QueuedQueries[0]}
	stillServes := func(t *testing.T) {
		t.Helper()
		got, err := s.ListSessions(t.Context(), a.tenant.ID, coditect.SessionFilter{})
		if err != nil || len(got) != 2 {
			t.Errorf("next call: got %d sessions (error %v), want 2", len(got), err)
		}
		var n int
		if err := s.pool.QueryRow(t.Context(), "SELECT count(*) FROM sessions").Scan(&n); err != nil || n != 0 {
			t.Errorf("outside any scope: got %d sessions (error %v), want 0", n, err)
		}
	}
	const sleep = "SELECT pg_sleep(10)::text"
	for name, call := range map[string]func(ctx context.Context) error{
		"Exec": func(ctx context.Context) error {
			_, err := c.Exec(ctx, sleep)
			return err
		},
		"Query": func(ctx context.Context) error {
			rows, err := c.Query(ctx, sleep)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			rows.Close()
			return rows.Err()
		},
		"QueryRow": func(ctx context.Context) error {
			var v string
			return c.QueryRow(ctx, sleep).Scan(&v)
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
			defer cancel()
			start := time.Now()
			if err := call(ctx); !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("got error %v, want the context's", err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v, want the call cut short", d)
			}
			stillServes(t)
		})
	}
	t.Run("rows closed before the end", func(t *testing.T) {
		rows, err := c.Query(t.Context(), "SELECT id FROM sessions")
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			t.Errorf("got error %v, want none", err)
		}
		stillServes(t)
	})
}

// TestTouchSessionsIsAllOrNothing makes the second tenant's part of a
// write-back fail and checks that the first tenant's part, sent in the
// same batch, is undone with it.
func TestTouchSessionsIsAllOrNothing(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	a, b := seedTenant(t, s), seedTenant(t, s) // a sorts first: UUIDv7 IDs
	ctx := t.Context()
	later := a.sessions[0].ExpiresAt.Add(time.Hour)
	err := s.TouchSessions(ctx, []coditect.SessionTouch{
		{TenantID: a.tenant.ID, SessionID: a.sessions[0].ID, LastHeartbeatAt: later, ExpiresAt: later},
		// Beyond the range of timestamptz: the server refuses it when it
		// binds this part's arguments, after running tenant A's part.
		{TenantID: b.tenant.ID, SessionID: b.sessions[0].ID, LastHeartbeatAt: later, ExpiresAt: time.Date(300000, 1, 1, 0, 0, 0, 0, time.UTC)},
	})
	if coditect.ErrorCode(err) != coditect.CodeInvalidRequest {
		t.Fatalf("got error %v, want %s", err, coditect.CodeInvalidRequest)
	}
	got, err := s.GetSession(ctx, a.tenant.ID, a.sessions[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.ExpiresAt.Equal(a.sessions[0].ExpiresAt) {
		t.Errorf("tenant A's session: got expiry %v, want %v, unchanged", got.ExpiresAt, a.sessions[0].ExpiresAt)
	}
}
