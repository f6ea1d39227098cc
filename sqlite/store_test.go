package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite"
	"github.com/coditect/coditect-license/storetest"
)

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) coditect.Store {
		return open(t, filepath.Join(t.TempDir(), "coditect.db"))
	})
}

func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatalf("open %s: got error %v, want none", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: got error %v, want none", err)
		}
	})
	return s
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

func seed(t testing.TB, s *sqlite.Store) (*coditect.Tenant, *coditect.License) {
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

func TestOpenCreatesParentDirAndWAL(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "nested", "dir", "coditect.db")
	s := open(t, path)
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("ping: got error %v, want none", err)
	}
	seed(t, s)
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("stat WAL file: got error %v, want none", err)
	}

	// journal_mode is a property of the file, so any connection reports it.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRowContext(t.Context(), "PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	if mode != "wal" {
		t.Errorf("got journal_mode %q, want %q", mode, "wal")
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", ":memory:", "file:x.db", filepath.Join(t.TempDir(), "x.db?mode=ro")} {
		if s, err := sqlite.Open(t.Context(), p); err == nil {
			s.Close()
			t.Errorf("open %q: got no error, want one", p)
		}
	}
}

func TestOpenFailsWhenParentIsAFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(t.Context(), filepath.Join(file, "coditect.db")); err == nil {
		s.Close()
		t.Error("got no error, want one")
	}
}

func TestReopenKeepsDataAndMigratesOnce(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "coditect.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	tn, l := seed(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("close: got error %v, want none", err)
	}

	for range 2 {
		s := open(t, path)
		got, err := s.GetLicense(t.Context(), tn.ID, l.ID)
		if err != nil {
			t.Fatalf("get license after reopen: got error %v, want none", err)
		}
		if !reflect.DeepEqual(got, l) {
			t.Errorf("after reopen: got %+v, want %+v", got, l)
		}
		n, err := s.CountTenants(t.Context())
		if err != nil || n != 1 {
			t.Errorf("got %d tenants (error %v), want 1", n, err)
		}
	}
}

func TestConcurrentWritersDoNotBusy(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
	tn, l := seed(t, s)
	now := time.Now()

	const writers = 50
	var wg sync.WaitGroup
	errs := make(chan error, writers*3)
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
			// Readers run while the others write.
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

func TestUnknownValuesAreInvalidRequest(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
	tn, l := seed(t, s)
	u := &coditect.User{ID: newID(), TenantID: tn.ID, Email: "a@example.com", Role: "root", CreatedAt: time.Now()}
	if got := coditect.ErrorCode(s.CreateUser(t.Context(), u)); got != coditect.CodeInvalidRequest {
		t.Errorf("unknown role: got code %q, want %q", got, coditect.CodeInvalidRequest)
	}
	now := time.Now()
	sess := &coditect.Session{ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp", StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now}
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	_, err := s.EndSession(t.Context(), tn.ID, sess.ID, "vanished", now)
	if got := coditect.ErrorCode(err); got != coditect.CodeInvalidRequest {
		t.Errorf("unknown end reason: got code %q, want %q", got, coditect.CodeInvalidRequest)
	}
	none := *l
	none.Seats = 0
	staff := &coditect.User{ID: newID(), TenantID: tn.ID, Email: "b@example.com", Role: coditect.RoleAdmin, CreatedAt: now}
	if err := s.CreateUser(t.Context(), staff); err != nil {
		t.Fatal(err)
	}
	root := *staff
	root.Role = "root"
	for name, err := range map[string]error{
		"no seats, on update":     s.UpdateLicense(t.Context(), &none),
		"unknown role, on update": s.UpdateUser(t.Context(), &root),
		"unknown client role":     s.CreateOAuthClient(t.Context(), &coditect.OAuthClient{ID: newID(), TenantID: tn.ID, Role: "root", CreatedAt: now}),
		"unknown actor type":      s.RecordAudit(t.Context(), &coditect.AuditEvent{ID: newID(), TenantID: tn.ID, ActorType: "robot", Action: "x", CreatedAt: now}),
	} {
		if got := coditect.ErrorCode(err); got != coditect.CodeInvalidRequest {
			t.Errorf("%s: got code %q (%v), want %q", name, got, err, coditect.CodeInvalidRequest)
		}
	}
}

func TestMetadataThatIsNotJSONIsAnError(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
	tn, l := seed(t, s)
	bad := map[string]any{"ch": make(chan int)}
	lic := *l
	lic.Metadata = bad
	if err := s.UpdateLicense(t.Context(), &lic); err == nil {
		t.Error("update license: got no error, want one")
	}
	now := time.Now()
	for _, e := range []*coditect.AuditEvent{
		{ID: newID(), TenantID: tn.ID, ActorType: coditect.ActorSystem, Action: "x", Before: bad, CreatedAt: now},
		{ID: newID(), TenantID: tn.ID, ActorType: coditect.ActorSystem, Action: "x", After: bad, CreatedAt: now},
	} {
		if err := s.RecordAudit(t.Context(), e); err == nil {
			t.Error("record audit: got no error, want one")
		}
	}
}

func TestCanceledContextIsWrapped(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := s.GetTenant(ctx, newID())
	if err == nil || coditect.ErrorCode(err) != coditect.CodeInternal {
		t.Errorf("got %v, want an internal error", err)
	}
	if err := s.TouchSessions(ctx, []coditect.SessionTouch{{TenantID: newID(), SessionID: newID()}}); err == nil {
		t.Error("touch with canceled context: got no error, want one")
	}
}

func TestClosedStoreFailsPing(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "coditect.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err == nil {
		t.Error("got no error, want one")
	}
}
