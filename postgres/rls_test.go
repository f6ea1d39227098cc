package postgres

import (
	"context"
	"errors"
	"io/fs"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	coditect "github.com/coditect/coditect-license"
)

// rlsFixture is two tenants with a license and two sessions each, and a
// user, an OAuth client, a refresh token, an audit event and a usage
// bucket each.
type rlsFixture struct {
	a, b tenantRows
}

type tenantRows struct {
	tenant   *coditect.Tenant
	license  *coditect.License
	sessions []*coditect.Session
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func seedTenant(t *testing.T, s *Store) tenantRows {
	t.Helper()
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Millisecond)
	r := tenantRows{tenant: &coditect.Tenant{ID: newID(), Name: "Tenant", CreatedAt: now}}
	if err := s.CreateTenant(ctx, r.tenant); err != nil {
		t.Fatal(err)
	}
	r.license = &coditect.License{
		ID: newID(), TenantID: r.tenant.ID, Name: "Studio", Status: coditect.LicenseActive, Seats: 5,
		Features: []string{}, LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120, OfflineGraceSeconds: 60,
		KeyDigest: newID(), KeyPrefix: "cl_x", Metadata: map[string]any{}, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.CreateLicense(ctx, r.license); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		sess := &coditect.Session{
			ID: newID(), TenantID: r.tenant.ID, LicenseID: r.license.ID, Fingerprint: "fp",
			Metadata: map[string]any{}, Status: coditect.SessionActive,
			StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
		}
		if err := s.CreateSession(ctx, sess); err != nil {
			t.Fatal(err)
		}
		r.sessions = append(r.sessions, sess)
	}
	u := &coditect.User{ID: newID(), TenantID: r.tenant.ID, Email: newID() + "@example.com", PasswordHash: "x", Role: coditect.RoleOwner, CreatedAt: now}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateOAuthClient(ctx, &coditect.OAuthClient{
		ID: newID(), TenantID: r.tenant.ID, Name: "CI", SecretDigest: "d", Role: coditect.RoleViewer, CreatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateRefreshToken(ctx, &coditect.RefreshToken{
		ID: newID(), TenantID: r.tenant.ID, UserID: u.ID, FamilyID: newID(), ExpiresAt: now.Add(time.Hour), CreatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordAudit(ctx, &coditect.AuditEvent{
		ID: newID(), TenantID: r.tenant.ID, ActorType: coditect.ActorUser, ActorID: u.ID, Action: "license.create", CreatedAt: now,
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddUsage(ctx, []coditect.UsageBucket{{
		TenantID: r.tenant.ID, LicenseID: r.license.ID, Resolution: coditect.UsageMinute,
		Start: coditect.UsageMinute.Truncate(now), PeakInUse: 2, Acquires: 2,
	}}); err != nil {
		t.Fatal(err)
	}
	return r
}

// allTables is every table of the schema under row-level security: all but
// goose's and signing_keys, which belongs to the deployment
// (TestRowLevelSecurityCoversEveryTenantTable checks the list).
var allTables = []string{"tenants", "users", "licenses", "sessions", "oauth_clients", "refresh_tokens", "audit_events", "usage_buckets", "webhook_endpoints", "webhook_deliveries"}

// openInternal opens a store on the shared test database with a pool of
// exactly one connection, so consecutive transactions share it.
func openInternal(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), Config{URL: testURL(t), MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func queryInt(t *testing.T, tx pgx.Tx, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := tx.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func exec(t *testing.T, tx pgx.Tx, sql string, args ...any) int64 {
	t.Helper()
	tag, err := tx.Exec(t.Context(), sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return tag.RowsAffected()
}

// wantRLSViolation runs sql in a savepoint and wants row-level security to
// refuse it.
func wantRLSViolation(t *testing.T, tx pgx.Tx, sql string, args ...any) {
	t.Helper()
	wantInsufficientPrivilege(t, tx, "a row-level security violation", sql, args...)
}

// wantInsufficientPrivilege runs sql in a savepoint and wants it refused
// with insufficient_privilege (42501), the code of both row-level security
// violations and missing grants; what says which one the test expects.
func wantInsufficientPrivilege(t *testing.T, tx pgx.Tx, what, sql string, args ...any) {
	t.Helper()
	sp, err := tx.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	_, err = sp.Exec(t.Context(), sql, args...)
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42501" {
		t.Errorf("%s: got error %v, want %s (42501)", sql, err, what)
	}
	if err := sp.Rollback(t.Context()); err != nil {
		t.Fatal(err)
	}
}

// TestTenantIsolation runs statements that forget their tenant filter in
// tenant A's transaction and checks that tenant B's rows stay out of reach.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	f := rlsFixture{a: seedTenant(t, s), b: seedTenant(t, s)}
	ctx := t.Context()

	var pidA int
	err := s.inTenantTx(ctx, f.a.tenant.ID, pgx.ReadWrite, func(tx pgx.Tx) error {
		pidA = queryInt(t, tx, "SELECT pg_backend_pid()")
		var user string
		if err := tx.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil {
			t.Fatal(err)
		}
		if user != DefaultAppRole {
			t.Errorf("got current_user %q, want %q", user, DefaultAppRole)
		}
		for table, want := range map[string]int{
			"tenants": 1, "users": 1, "licenses": 1, "sessions": 2,
			"oauth_clients": 1, "refresh_tokens": 1, "audit_events": 1, "usage_buckets": 1,
		} {
			if got := queryInt(t, tx, "SELECT count(*) FROM "+table); got != want {
				t.Errorf("count(*) FROM %s: got %d, want %d (tenant A's rows only)", table, got, want)
			}
		}
		if got := exec(t, tx, "UPDATE licenses SET seats = 999"); got != 1 {
			t.Errorf("UPDATE licenses without WHERE: got %d rows, want 1", got)
		}
		if got := exec(t, tx, "UPDATE tenants SET name = 'taken over'"); got != 1 {
			t.Errorf("UPDATE tenants without WHERE: got %d rows, want 1", got)
		}
		if got := exec(t, tx, "DELETE FROM sessions"); got != 2 {
			t.Errorf("DELETE FROM sessions: got %d rows, want 2", got)
		}
		if got := exec(t, tx, "UPDATE oauth_clients SET disabled = true"); got != 1 {
			t.Errorf("UPDATE oauth_clients without WHERE: got %d rows, want 1", got)
		}
		if got := exec(t, tx, "UPDATE refresh_tokens SET revoked_at = now()"); got != 1 {
			t.Errorf("UPDATE refresh_tokens without WHERE: got %d rows, want 1", got)
		}
		if got := exec(t, tx, "UPDATE usage_buckets SET acquires = 999"); got != 1 {
			t.Errorf("UPDATE usage_buckets without WHERE: got %d rows, want 1", got)
		}
		// Rows B would own, written from A's transaction.
		wantRLSViolation(t, tx, `INSERT INTO licenses (tenant_id, id, name, status, seats, lease_ttl_seconds,
			heartbeat_interval_seconds, offline_grace_seconds, key_digest, key_prefix, created_at, updated_at)
			VALUES ($1, $2, 'planted', 'active', 1, 360, 120, 0, $3, 'cl_p', now(), now())`,
			f.b.tenant.ID, newID(), newID())
		wantRLSViolation(t, tx, "INSERT INTO tenants (id, name, created_at) VALUES ($1, 'planted', now())", newID())
		wantRLSViolation(t, tx, "UPDATE licenses SET tenant_id = $1", f.b.tenant.ID)
		wantRLSViolation(t, tx, `INSERT INTO audit_events (tenant_id, id, actor_type, action, created_at)
			VALUES ($1, $2, 'system', 'planted', now())`, f.b.tenant.ID, newID())
		wantRLSViolation(t, tx, `INSERT INTO oauth_clients (tenant_id, id, name, secret_digest, role, created_at)
			VALUES ($1, $2, 'planted', 'd', 'owner', now())`, f.b.tenant.ID, newID())
		wantRLSViolation(t, tx, `INSERT INTO usage_buckets (tenant_id, license_id, resolution, start, acquires)
			VALUES ($1, $2, 'day', '2030-01-01T00:00:00Z', 1)`, f.b.tenant.ID, f.b.license.ID)
		// The audit log is append-only, even for the tenant's own events.
		wantInsufficientPrivilege(t, tx, "no UPDATE grant", "UPDATE audit_events SET action = 'rewritten'")
		wantInsufficientPrivilege(t, tx, "no DELETE grant", "DELETE FROM audit_events")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// B's rows are as they were.
	l, err := s.GetLicense(ctx, f.b.tenant.ID, f.b.license.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Seats != f.b.license.Seats {
		t.Errorf("tenant B's license: got %d seats, want %d", l.Seats, f.b.license.Seats)
	}
	tn, err := s.GetTenant(ctx, f.b.tenant.ID)
	if err != nil || tn.Name != f.b.tenant.Name {
		t.Errorf("tenant B: got %+v (error %v), want name %q", tn, err, f.b.tenant.Name)
	}
	ss, err := s.ListSessions(ctx, f.b.tenant.ID, coditect.SessionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := len(ss); got != 2 {
		t.Errorf("tenant B: got %d sessions, want 2", got)
	}
	cs, err := s.ListOAuthClients(ctx, f.b.tenant.ID, "", 0)
	if err != nil || len(cs) != 1 || cs[0].Disabled {
		t.Errorf("tenant B: got OAuth clients %+v (error %v), want one, enabled", cs, err)
	}
	es, err := s.ListAuditEvents(ctx, f.a.tenant.ID, coditect.AuditFilter{})
	if err != nil || len(es) != 1 || es[0].Action != "license.create" {
		t.Errorf("tenant A: got audit events %+v (error %v), want the one recorded, unchanged", es, err)
	}
	// A's own changes did happen.
	ub, err := s.ListUsage(ctx, f.b.tenant.ID, "", coditect.UsageDay, time.Time{}, time.Now().Add(time.Hour))
	if err != nil || len(ub) != 1 || ub[0].Acquires != 2 {
		t.Errorf("tenant B: got usage %+v (error %v), want one bucket, unchanged", ub, err)
	}
	if l, err := s.GetLicense(ctx, f.a.tenant.ID, f.a.license.ID); err != nil || l.Seats != 999 {
		t.Errorf("tenant A's license: got %+v (error %v), want 999 seats", l, err)
	}

	// The tenant does not outlive its transaction on the pooled connection.
	err = s.inTx(ctx, pgx.ReadOnly, func(tx pgx.Tx) error {
		if pid := queryInt(t, tx, "SELECT pg_backend_pid()"); pid != pidA {
			t.Fatalf("got backend %d, want the same connection %d", pid, pidA)
		}
		var setting string
		if err := tx.QueryRow(ctx, "SELECT coalesce(current_setting('app.tenant_id', true), '')").Scan(&setting); err != nil {
			t.Fatal(err)
		}
		if setting != "" {
			t.Errorf("got app.tenant_id %q in the next transaction, want it empty", setting)
		}
		for _, table := range allTables {
			if got := queryInt(t, tx, "SELECT count(*) FROM "+table); got != 0 {
				t.Errorf("count(*) FROM %s in the next transaction: got %d, want 0", table, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNoTenantSeesNothing checks a fresh connection, which has never set a
// tenant, both in and outside a transaction.
func TestNoTenantSeesNothing(t *testing.T) {
	t.Parallel()
	seed := openInternal(t)
	seedTenant(t, seed)
	s := openInternal(t)
	ctx := t.Context()
	for _, table := range allTables {
		var n int
		if err := s.pool.QueryRow(ctx, "SELECT count(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("count(*) FROM %s without a transaction: got %d, want 0", table, n)
		}
	}
	err := s.inTx(ctx, pgx.ReadWrite, func(tx pgx.Tx) error {
		for _, table := range allTables {
			if got := queryInt(t, tx, "SELECT count(*) FROM "+table); got != 0 {
				t.Errorf("count(*) FROM %s: got %d, want 0", table, got)
			}
			if table == "audit_events" {
				continue // the application may not delete audit events at all
			}
			if got := exec(t, tx, "DELETE FROM "+table); got != 0 {
				t.Errorf("DELETE FROM %s: got %d rows, want 0", table, got)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.CountTenants(ctx); err != nil || n == 0 {
		t.Errorf("count tenants through the narrow path: got %d (error %v), want some", n, err)
	}
}

// TestPrivileges checks what the application role may and may not do
// besides reading and writing rows.
func TestPrivileges(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	ctx := t.Context()
	err := s.inTx(ctx, pgx.ReadWrite, func(tx pgx.Tx) error {
		for _, sql := range []string{
			"ALTER TABLE licenses DISABLE ROW LEVEL SECURITY",
			"ALTER TABLE licenses NO FORCE ROW LEVEL SECURITY",
			"DROP POLICY tenant_isolation ON licenses",
			"SET row_security = off; SELECT count(*) FROM licenses",
		} {
			sp, err := tx.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sp.Exec(ctx, sql); err == nil {
				t.Errorf("%s: got no error, want one", sql)
			}
			if err := sp.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
		}
		functions := []string{
			"find_license_by_key_digest(text)", "find_user_by_email(text)", "count_tenants()",
			"list_expired_sessions(timestamptz, bigint)", "list_active_sessions(text, bigint)",
			"find_oauth_client(text)", "find_refresh_token(text)", "list_tenants(text, bigint)",
			"list_usage_tenants(text, timestamptz)",
		}
		for _, fn := range functions {
			var app, public bool
			err := tx.QueryRow(ctx, "SELECT has_function_privilege($1, $2, 'EXECUTE'), has_function_privilege('public', $2, 'EXECUTE')",
				DefaultAppRole, fn).Scan(&app, &public)
			if err != nil {
				t.Fatal(err)
			}
			if !app || public {
				t.Errorf("%s: got EXECUTE for %s %v and for PUBLIC %v, want true and false", fn, DefaultAppRole, app, public)
			}
		}
		for _, tc := range []struct {
			table, privilege string
			want             bool
		}{
			{"audit_events", "SELECT", true},
			{"audit_events", "INSERT", true},
			{"audit_events", "UPDATE", false},
			{"audit_events", "DELETE", false},
			{"audit_events", "TRUNCATE", false},
			// Signing keys are retired, never deleted.
			{"signing_keys", "SELECT", true},
			{"signing_keys", "INSERT", true},
			{"signing_keys", "UPDATE", true},
			{"signing_keys", "DELETE", false},
			{"signing_keys", "TRUNCATE", false},
		} {
			var got bool
			if err := tx.QueryRow(ctx, "SELECT has_table_privilege($1, $2, $3)", DefaultAppRole, tc.table, tc.privilege).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("%s on %s for %s: got %v, want %v", tc.privilege, tc.table, DefaultAppRole, got, tc.want)
			}
		}
		var definer []string
		rows, err := tx.Query(ctx, `SELECT p.proname FROM pg_proc p
			WHERE p.prosecdef AND p.pronamespace = current_schema()::regnamespace
			  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%')`)
		if err != nil {
			t.Fatal(err)
		}
		definer, err = pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		if len(definer) > 0 {
			t.Errorf("SECURITY DEFINER functions without a fixed search_path: %v", definer)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRowLevelSecurityCoversEveryTenantTable checks the schema itself:
// every table but goose's is ENABLE and FORCE ROW LEVEL SECURITY and listed
// in allTables, except signing_keys, which has no tenant and no policy on
// purpose (migrations/00003_signing_keys.sql).
func TestRowLevelSecurityCoversEveryTenantTable(t *testing.T) {
	t.Parallel()
	s := openInternal(t)
	type table struct {
		Name          string
		RowSecurity   bool
		ForceSecurity bool
		TenantColumn  bool
	}
	rows, err := s.pool.Query(t.Context(), `SELECT c.relname::text, c.relrowsecurity, c.relforcerowsecurity,
			EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
		FROM pg_class c
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relname <> 'goose_db_version'
		ORDER BY c.relname`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowToStructByPos[table])
	if err != nil {
		t.Fatal(err)
	}
	var secured []string
	for _, tb := range tables {
		if tb.Name == "signing_keys" {
			if tb.RowSecurity || tb.ForceSecurity || tb.TenantColumn {
				t.Errorf("signing_keys: got %+v, want no row-level security and no tenant_id", tb)
			}
			continue
		}
		if !tb.RowSecurity || !tb.ForceSecurity {
			t.Errorf("%s: got %+v, want ENABLE and FORCE ROW LEVEL SECURITY", tb.Name, tb)
		}
		secured = append(secured, tb.Name)
	}
	if want := slices.Sorted(slices.Values(allTables)); !slices.Equal(secured, want) {
		t.Errorf("got tables under row-level security %v, want %v (allTables)", secured, want)
	}
	if !slices.ContainsFunc(tables, func(tb table) bool { return tb.Name == "signing_keys" }) {
		t.Error("got no signing_keys table, want one")
	}
}

func TestTouchBatches(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	got := touchBatches([]coditect.SessionTouch{
		{TenantID: "b", SessionID: "2", LastHeartbeatAt: t0, ExpiresAt: t0.Add(time.Hour)},
		{TenantID: "a", SessionID: "9", LastHeartbeatAt: t0, ExpiresAt: t0},
		{TenantID: "b", SessionID: "1", LastHeartbeatAt: t0, ExpiresAt: t0},
		// A second touch of b/2: the later heartbeat, the later expiry.
		{TenantID: "b", SessionID: "2", LastHeartbeatAt: t0.Add(time.Minute + 1), ExpiresAt: t0.Add(time.Minute)},
	})
	if len(got) != 2 || got[0].TenantID != "a" || got[1].TenantID != "b" {
		t.Fatalf("got batches %+v, want one for a, then one for b", got)
	}
	if !slices.Equal(got[1].Ids, []string{"1", "2"}) {
		t.Errorf("got IDs %v, want [1 2]", got[1].Ids)
	}
	if hb, exp := got[1].LastHeartbeatAts[1], got[1].ExpiresAts[1]; !hb.Equal(t0.Add(time.Minute)) || !exp.Equal(t0.Add(time.Hour)) {
		t.Errorf("b/2: got heartbeat %v, expiry %v; want %v, %v", hb, exp, t0.Add(time.Minute), t0.Add(time.Hour))
	}
	if got := touchBatches(nil); len(got) != 0 {
		t.Errorf("no touches: got %d batches, want 0", len(got))
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   int
		want int32
	}{{0, 50}, {-1, 1}, {1, 1}, {500, 500}, {501, 500}} {
		if got := limit(tc.in); got != tc.want {
			t.Errorf("limit(%d): got %d, want %d", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct {
		in   int
		want int64
	}{{0, 100}, {-1, 100}, {1, 1}, {5000, 5000}} {
		if got := batchLimit(tc.in); got != tc.want {
			t.Errorf("batchLimit(%d): got %d, want %d", tc.in, got, tc.want)
		}
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

func TestStoreError(t *testing.T) {
	t.Parallel()
	pg := func(code, constraint string) error {
		return &pgconn.PgError{Code: code, ConstraintName: constraint, Message: "boom"}
	}
	for _, tc := range []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"no rows", pgx.ErrNoRows, coditect.CodeNotFound, "License not found."},
		{"primary key", pg("23505", "licenses_pkey"), coditect.CodeConflict, "A license with this ID already exists."},
		{"unique index", pg("23505", "licenses_key_digest"), coditect.CodeConflict, "A license with this key already exists."},
		{"foreign key", pg("23503", "licenses_tenant_id_fkey"), coditect.CodeNotFound, "Tenant not found."},
		{"check", pg("23514", "licenses_seats_check"), coditect.CodeInvalidRequest, ""},
		{"not null", pg("23502", ""), coditect.CodeInvalidRequest, ""},
		{"bad text", pg("22021", ""), coditect.CodeInvalidRequest, ""},
		{"connection exception", pg("08006", ""), coditect.CodeUnavailable, ""},
		{"admin shutdown", pg("57P01", ""), coditect.CodeUnavailable, ""},
		{"starting up", pg("57P03", ""), coditect.CodeUnavailable, ""},
		{"too many connections", pg("53300", ""), coditect.CodeUnavailable, ""},
		{"net error", timeoutError{}, coditect.CodeUnavailable, ""},
		{"other server error", pg("42501", ""), coditect.CodeInternal, ""},
		{"canceled", context.Canceled, coditect.CodeInternal, ""},
		{"deadline", context.DeadlineExceeded, coditect.CodeInternal, ""},
		{"other", errors.New("boom"), coditect.CodeInternal, ""},
	} {
		err := storeError("op", licenseKind, tc.err)
		if got := coditect.ErrorCode(err); got != tc.code {
			t.Errorf("%s: got code %q (%v), want %q", tc.name, got, err, tc.code)
		}
		if tc.msg != "" && coditect.ErrorMessage(err) != tc.msg {
			t.Errorf("%s: got message %q, want %q", tc.name, coditect.ErrorMessage(err), tc.msg)
		}
		if tc.code == coditect.CodeInternal && !errors.Is(err, tc.err) {
			t.Errorf("%s: got %v, want it to wrap %v", tc.name, err, tc.err)
		}
	}
	if err := storeError("op", licenseKind, nil); err != nil {
		t.Errorf("nil: got %v, want nil", err)
	}
}

// TestDedicatedLoginRoleCannotEscape shows why doc.go recommends a login
// role that is only a member of coditect_app where injected SQL is a
// concern: SET ROLE guards against statements that forget their tenant,
// but a session whose login user is the owner or a superuser can RESET
// ROLE. A member of coditect_app that resets its role is still bound by the
// policies and can become no one else.
func TestDedicatedLoginRoleCannotEscape(t *testing.T) {
	t.Parallel()
	seedTenant(t, openInternal(t))
	login, password := newRole(t, "NOSUPERUSER NOBYPASSRLS NOCREATEROLE IN ROLE coditect_app")
	u, err := url.Parse(testURL(t))
	if err != nil {
		t.Skipf("test URL is not a URL: %v", err)
	}
	s, err := Open(t.Context(), Config{URL: databaseURL(serverURL(t), strings.TrimPrefix(u.Path, "/"), login, password), MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ctx := t.Context()
	err = s.inTx(ctx, pgx.ReadWrite, func(tx pgx.Tx) error {
		exec(t, tx, "RESET ROLE")
		var user string
		if err := tx.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil {
			t.Fatal(err)
		}
		if user != login {
			t.Errorf("after RESET ROLE: got current_user %q, want %q", user, login)
		}
		for _, table := range []string{"tenants", "licenses", "sessions"} {
			if got := queryInt(t, tx, "SELECT count(*) FROM "+table); got != 0 {
				t.Errorf("count(*) FROM %s after RESET ROLE: got %d, want 0", table, got)
			}
		}
		sp, err := tx.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sp.Exec(ctx, "SET ROLE postgres"); err == nil {
			t.Error("SET ROLE postgres: got no error, want one")
		}
		return sp.Rollback(ctx)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestMigrationsGoDownAndUp checks that the Down half of every migration
// undoes its Up half on a database of its own.
func TestMigrationsGoDownAndUp(t *testing.T) {
	t.Parallel()
	u := databaseURL(serverURL(t), newDatabase(t, ""))
	s, err := Open(t.Context(), Config{URL: u, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	cc, err := pgx.ParseConfig(u)
	if err != nil {
		t.Fatal(err)
	}
	db := stdlib.OpenDB(*cc)
	defer db.Close()
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.DownTo(t.Context(), 0); err != nil {
		t.Fatalf("down: %v", err)
	}
	var tables int
	if err := db.QueryRowContext(t.Context(),
		"SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'goose_db_version'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("after down: got %d tables, want 0", tables)
	}
	s, err = Open(t.Context(), Config{URL: u, MaxConns: 1})
	if err != nil {
		t.Fatalf("up again: %v", err)
	}
	s.Close()
}
