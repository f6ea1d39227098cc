package postgres_test

import (
	"context"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres"
	"github.com/coditect/coditect-license/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	// One pool for the whole suite: a pool per test would open more
	// connections than a default server allows. The parent's cleanup runs
	// after every parallel subtest has finished.
	s := open(t, postgres.Config{URL: postgres.TestURL(t)})
	storetest.Run(t, func(t *testing.T) coditect.Store { return s })
}

// TestConformanceOrdinaryOwner runs the suite on a database owned by a role
// that is neither superuser nor BYPASSRLS, as on a managed service: there
// row-level security binds the owner too, and the SECURITY DEFINER
// functions must still see every tenant.
func TestConformanceOrdinaryOwner(t *testing.T) {
	t.Parallel()
	owner, password := postgres.NewRole(t, "NOSUPERUSER NOBYPASSRLS CREATEROLE")
	db := postgres.NewDatabase(t, owner)
	url := postgres.DatabaseURL(postgres.ServerURL(t), db, owner, password)
	s := open(t, postgres.Config{URL: url, MaxConns: 4})
	storetest.Run(t, func(t *testing.T) coditect.Store { return s })
}

// TestDedicatedLoginRole opens an already migrated database as a login
// role that is only a member of coditect_app, the setup doc.go describes
// for deployments that keep the owner's credentials away from the servers.
func TestDedicatedLoginRole(t *testing.T) {
	t.Parallel()
	url := postgres.TestURL(t)
	login, password := postgres.NewRole(t, "NOSUPERUSER NOBYPASSRLS NOCREATEROLE IN ROLE coditect_app")
	s := open(t, postgres.Config{URL: postgres.DatabaseURL(url, dbName(t, url), login, password), MaxConns: 2})
	tn, l := seed(t, s)
	got, err := s.FindLicenseByKeyDigest(t.Context(), l.KeyDigest)
	if err != nil {
		t.Fatalf("find license: got error %v, want none", err)
	}
	if got.ID != l.ID || got.TenantID != tn.ID {
		t.Errorf("got license %s of tenant %s, want %s of %s", got.ID, got.TenantID, l.ID, tn.ID)
	}
}

func open(t *testing.T, cfg postgres.Config) *postgres.Store {
	t.Helper()
	s, err := postgres.Open(t.Context(), cfg)
	if err != nil {
		t.Fatalf("open: got error %v, want none", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: got error %v, want none", err)
		}
	})
	return s
}

func dbName(t *testing.T, url string) string {
	t.Helper()
	if i := strings.LastIndex(url, "/"); i >= 0 {
		name, _, _ := strings.Cut(url[i+1:], "?")
		return name
	}
	t.Fatalf("no database name in %s", url)
	return ""
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func seed(t testing.TB, s *postgres.Store) (*coditect.Tenant, *coditect.License) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	tn := &coditect.Tenant{ID: newID(), Name: "Acme", CreatedAt: now}
	if err := s.CreateTenant(t.Context(), tn); err != nil {
		t.Fatalf("create tenant: %v", err)
	}
	l := &coditect.License{
		ID: newID(), TenantID: tn.ID, Name: "Studio", Status: coditect.LicenseActive, Seats: 10,
		Features: []string{"sso"}, LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120,
		OfflineGraceSeconds: 3600, KeyDigest: newID(), KeyPrefix: "cl_abc", Metadata: map[string]any{},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.CreateLicense(t.Context(), l); err != nil {
		t.Fatalf("create license: %v", err)
	}
	return tn, l
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	t.Parallel()
	url := postgres.TestURL(t)
	s := open(t, postgres.Config{URL: url, MaxConns: 2})
	tn, l := seed(t, s)
	for range 2 {
		s := open(t, postgres.Config{URL: url, MaxConns: 2})
		got, err := s.GetLicense(t.Context(), tn.ID, l.ID)
		if err != nil {
			t.Fatalf("get license after reopen: got error %v, want none", err)
		}
		if !reflect.DeepEqual(got, l) {
			t.Errorf("after reopen: got %+v, want %+v", got, l)
		}
	}
}

// TestConcurrentFirstOpenMigratesOnce starts several stores on one empty
// database at once, as replicas of a fresh deployment do: goose's advisory
// lock lets one migrate while the others wait, and all of them work.
func TestConcurrentFirstOpenMigratesOnce(t *testing.T) {
	t.Parallel()
	url := postgres.DatabaseURL(postgres.ServerURL(t), postgres.NewDatabase(t, ""))
	const replicas = 3
	stores := make([]*postgres.Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() {
			stores[i], errs[i] = postgres.Open(t.Context(), postgres.Config{URL: url, MaxConns: 2})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: got error %v, want none", i, err)
		}
		t.Cleanup(func() { stores[i].Close() })
	}
	tn, _ := seed(t, stores[0])
	for i, s := range stores {
		if _, err := s.GetTenant(t.Context(), tn.ID); err != nil {
			t.Errorf("replica %d: get tenant: got error %v, want none", i, err)
		}
	}
}

func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	s := open(t, postgres.Config{URL: postgres.TestURL(t), MaxConns: 8})
	tn, l := seed(t, s)
	now := time.Now()

	const writers = 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*4)
	for i := range writers {
		wg.Go(func() {
			sess := &coditect.Session{
				ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp", InstanceID: uuid.NewString(),
				StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
			}
			if err := s.CreateSession(t.Context(), sess); err != nil {
				errs <- err
				return
			}
			if _, err := s.ListSessions(t.Context(), tn.ID, coditect.SessionFilter{}); err != nil {
				errs <- err
			}
			if err := s.TouchSessions(t.Context(), []coditect.SessionTouch{{
				TenantID: tn.ID, SessionID: sess.ID, LastHeartbeatAt: now.Add(time.Second), ExpiresAt: now.Add(2 * time.Minute),
			}}); err != nil {
				errs <- err
			}
			if i%2 == 0 {
				if _, err := s.EndSession(t.Context(), tn.ID, sess.ID, coditect.EndReleased, now); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("got error %v, want none", err)
	}
	all, err := s.ListSessions(t.Context(), tn.ID, coditect.SessionFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != writers {
		t.Errorf("got %d sessions, want %d", len(all), writers)
	}
}

func TestValuesTheSchemaRefusesAreInvalidRequest(t *testing.T) {
	t.Parallel()
	s := open(t, postgres.Config{URL: postgres.TestURL(t), MaxConns: 2})
	tn, l := seed(t, s)
	now := time.Now()
	sess := &coditect.Session{ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp", StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now}
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	staff := &coditect.User{ID: newID(), TenantID: tn.ID, Email: newID() + "@example.com", Role: coditect.RoleAdmin, CreatedAt: now}
	if err := s.CreateUser(t.Context(), staff); err != nil {
		t.Fatal(err)
	}
	root := *staff
	root.Role = "root"
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"unknown role", s.CreateUser(t.Context(), &coditect.User{ID: newID(), TenantID: tn.ID, Email: newID() + "@example.com", Role: "root", CreatedAt: now})},
		{"unknown end reason", func() error {
			_, err := s.EndSession(t.Context(), tn.ID, sess.ID, "vanished", now)
			return err
		}()},
		{"empty end reason", func() error {
			_, err := s.EndSession(t.Context(), tn.ID, sess.ID, "", now)
			return err
		}()},
		{"NUL byte in a text", s.CreateSession(t.Context(), &coditect.Session{
			ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp\x00", StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now,
		})},
		{"seats beyond the column", s.CreateLicense(t.Context(), &coditect.License{
			ID: newID(), TenantID: tn.ID, Name: "huge", Seats: 1 << 40, LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120,
			KeyDigest: newID(), KeyPrefix: "cl_x", CreatedAt: now, UpdatedAt: now,
		})},
		{"no seats", s.CreateLicense(t.Context(), &coditect.License{
			ID: newID(), TenantID: tn.ID, Name: "none", LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120,
			KeyDigest: newID(), KeyPrefix: "cl_x", CreatedAt: now, UpdatedAt: now,
		})},
		{"seats beyond the column, on update", func() error {
			huge := *l
			huge.Seats = 1 << 40
			return s.UpdateLicense(t.Context(), &huge)
		}()},
		{"no seats, on update", func() error {
			none := *l
			none.Seats = 0
			return s.UpdateLicense(t.Context(), &none)
		}()},
		{"unknown role, on update", s.UpdateUser(t.Context(), &root)},
		{"unknown client role", s.CreateOAuthClient(t.Context(), &coditect.OAuthClient{ID: newID(), TenantID: tn.ID, Role: "root", CreatedAt: now})},
		{"unknown actor type", s.RecordAudit(t.Context(), &coditect.AuditEvent{ID: newID(), TenantID: tn.ID, ActorType: "robot", Action: "x", CreatedAt: now})},
	} {
		if got := coditect.ErrorCode(tc.err); got != coditect.CodeInvalidRequest {
			t.Errorf("%s: got code %q (%v), want %q", tc.name, got, tc.err, coditect.CodeInvalidRequest)
		}
	}
}

func TestMetadataThatIsNotJSONIsAnError(t *testing.T) {
	t.Parallel()
	s := open(t, postgres.Config{URL: postgres.TestURL(t), MaxConns: 1})
	tn, l := seed(t, s)
	bad := map[string]any{"ch": make(chan int)}
	lic := *l
	lic.ID, lic.KeyDigest, lic.Metadata = newID(), newID(), bad
	if err := s.CreateLicense(t.Context(), &lic); err == nil {
		t.Error("create license: got no error, want one")
	}
	now := time.Now()
	sess := &coditect.Session{ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp", Metadata: bad, StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now}
	if err := s.CreateSession(t.Context(), sess); err == nil {
		t.Error("create session: got no error, want one")
	}
	lic = *l
	lic.Metadata = bad
	if err := s.UpdateLicense(t.Context(), &lic); err == nil {
		t.Error("update license: got no error, want one")
	}
	for _, e := range []*coditect.AuditEvent{
		{ID: newID(), TenantID: tn.ID, ActorType: coditect.ActorSystem, Action: "x", Before: bad, CreatedAt: now},
		{ID: newID(), TenantID: tn.ID, ActorType: coditect.ActorSystem, Action: "x", After: bad, CreatedAt: now},
	} {
		if err := s.RecordAudit(t.Context(), e); err == nil {
			t.Error("record audit: got no error, want one")
		}
	}
}

func TestCanceledContextIsNotUnavailable(t *testing.T) {
	t.Parallel()
	s := open(t, postgres.Config{URL: postgres.TestURL(t), MaxConns: 1})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for name, err := range map[string]error{
		"get tenant":   func() error { _, err := s.GetTenant(ctx, newID()); return err }(),
		"count":        func() error { _, err := s.CountTenants(ctx); return err }(),
		"touch":        s.TouchSessions(ctx, []coditect.SessionTouch{{TenantID: newID(), SessionID: newID()}}),
		"list expired": func() error { _, err := s.ListExpiredSessions(ctx, time.Now(), 1); return err }(),
		"find license": func() error { _, err := s.FindLicenseByKeyDigest(ctx, newID()); return err }(),
		"find active":  func() error { _, err := s.FindActiveSession(ctx, newID(), newID(), "fp", "i"); return err }(),
		"get session":  func() error { _, err := s.GetSession(ctx, newID(), newID()); return err }(),
		"list":         func() error { _, err := s.ListSessions(ctx, newID(), coditect.SessionFilter{}); return err }(),
		"create session": s.CreateSession(ctx, &coditect.Session{
			ID: newID(), TenantID: newID(), LicenseID: newID(), Fingerprint: "fp",
			StartedAt: time.Now(), LastHeartbeatAt: time.Now(), ExpiresAt: time.Now(),
		}),
		"end session": func() error {
			_, err := s.EndSession(ctx, newID(), newID(), coditect.EndReleased, time.Now())
			return err
		}(),
	} {
		if got := coditect.ErrorCode(err); got != coditect.CodeInternal {
			t.Errorf("%s: got code %q (%v), want %q", name, got, err, coditect.CodeInternal)
		}
	}
}

func TestUnreachableDatabaseIsUnavailable(t *testing.T) {
	t.Parallel()
	// Port 1 on the loopback interface refuses connections at once.
	_, err := postgres.Open(t.Context(), postgres.Config{URL: "postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=5"})
	if got := coditect.ErrorCode(err); got != coditect.CodeUnavailable {
		t.Errorf("got code %q (%v), want %q", got, err, coditect.CodeUnavailable)
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	t.Parallel()
	url := postgres.TestURL(t)
	for _, tc := range []struct {
		name string
		cfg  postgres.Config
		want string
	}{
		{"no URL", postgres.Config{}, "no database URL"},
		{"not a URL", postgres.Config{URL: "postgres://%zz"}, "open postgres store"},
		{"negative pool size", postgres.Config{URL: url, MaxConns: -1}, "negative"},
		{"role that bypasses RLS", postgres.Config{URL: url, AppRole: "postgres", MaxConns: 1}, "row-level security"},
		{"unknown role", postgres.Config{URL: url, AppRole: "coditect_nobody_" + strings.ReplaceAll(newID(), "-", ""), MaxConns: 1}, "check role"},
	} {
		s, err := postgres.Open(t.Context(), tc.cfg)
		if err == nil {
			s.Close()
			t.Errorf("%s: got no error, want one", tc.name)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got error %q, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func TestClosedStoreFailsPing(t *testing.T) {
	t.Parallel()
	s, err := postgres.Open(t.Context(), postgres.Config{URL: postgres.TestURL(t), MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("ping: got error %v, want none", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("got no error, want one")
	}
}
