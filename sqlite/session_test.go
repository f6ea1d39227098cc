package sqlite_test

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite"
)

func newActiveSession(tenantID, licenseID string) *coditect.Session {
	now := time.Now().UTC().Truncate(time.Millisecond)
	return &coditect.Session{
		ID: newID(), TenantID: tenantID, LicenseID: licenseID, Fingerprint: "fp-" + uuid.NewString(), InstanceID: uuid.NewString(),
		StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
	}
}

// wantFound checks that FindActiveSession returns sess.
func wantFound(t *testing.T, s *sqlite.Store, sess *coditect.Session) {
	t.Helper()
	got, err := s.FindActiveSession(t.Context(), sess.TenantID, sess.LicenseID, sess.Fingerprint, sess.InstanceID)
	if err != nil {
		t.Errorf("find session %s: got error %v, want the session", sess.ID, err)
		return
	}
	if got.ID != sess.ID {
		t.Errorf("find session %s: got session %s, want %s", sess.ID, got.ID, sess.ID)
	}
}

// FindActiveSession answers most lookups from the instance filter; these
// are the cases where it must still find the session.
func TestFindActiveSessionFindsWhatTheFilterHolds(t *testing.T) {
	t.Parallel()

	t.Run("RightAfterCreate", func(t *testing.T) {
		t.Parallel()
		s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
		tn, l := seed(t, s)
		sess := newActiveSession(tn.ID, l.ID)
		if err := s.CreateSession(t.Context(), sess); err != nil {
			t.Fatal(err)
		}
		wantFound(t, s, sess)
	})

	// Each goroutine finds its own session as soon as CreateSession
	// returns, while the others' inserts share its group commits and add
	// to the filter at the same time.
	t.Run("RightAfterConcurrentCreates", func(t *testing.T) {
		t.Parallel()
		s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
		tn, l := seed(t, s)
		const goroutines, each = 32, 4
		var wg sync.WaitGroup
		for range goroutines {
			wg.Go(func() {
				for range each {
					sess := newActiveSession(tn.ID, l.ID)
					_, err := s.FindActiveSession(t.Context(), tn.ID, l.ID, sess.Fingerprint, sess.InstanceID)
					if got := coditect.ErrorCode(err); got != coditect.CodeNotFound {
						t.Errorf("before create: got %v, want %s", err, coditect.CodeNotFound)
					}
					if err := s.CreateSession(t.Context(), sess); err != nil {
						t.Errorf("create: got error %v, want none", err)
						return
					}
					wantFound(t, s, sess)
				}
			})
		}
		wg.Wait()
	})

	// Open loads the filter from the active sessions in the file, so the
	// sessions of a previous run are found; ended ones are not.
	t.Run("AfterReopen", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "coditect.db")
		s, err := sqlite.Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		tn, l := seed(t, s)
		var active []*coditect.Session
		for range 5 {
			sess := newActiveSession(tn.ID, l.ID)
			if err := s.CreateSession(t.Context(), sess); err != nil {
				t.Fatal(err)
			}
			active = append(active, sess)
		}
		ended := newActiveSession(tn.ID, l.ID)
		if err := s.CreateSession(t.Context(), ended); err != nil {
			t.Fatal(err)
		}
		if _, err := s.EndSession(t.Context(), tn.ID, ended.ID, coditect.EndReleased, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s = open(t, path)
		for _, sess := range active {
			wantFound(t, s, sess)
		}
		_, err = s.FindActiveSession(t.Context(), tn.ID, l.ID, ended.Fingerprint, ended.InstanceID)
		if got := coditect.ErrorCode(err); got != coditect.CodeNotFound {
			t.Errorf("ended session: got %v, want %s", err, coditect.CodeNotFound)
		}
	})

	t.Run("UnknownKeyIsNotFound", func(t *testing.T) {
		t.Parallel()
		s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
		tn, l := seed(t, s)
		sess := newActiveSession(tn.ID, l.ID)
		if err := s.CreateSession(t.Context(), sess); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ name, tenant, license, fingerprint, instance string }{
			{"other instance", tn.ID, l.ID, sess.Fingerprint, "other"},
			{"other fingerprint", tn.ID, l.ID, "other", sess.InstanceID},
			{"other license", tn.ID, newID(), sess.Fingerprint, sess.InstanceID},
			{"other tenant", newID(), l.ID, sess.Fingerprint, sess.InstanceID},
			{"empty instance", tn.ID, l.ID, sess.Fingerprint, ""},
		} {
			_, err := s.FindActiveSession(t.Context(), tc.tenant, tc.license, tc.fingerprint, tc.instance)
			if got := coditect.ErrorCode(err); got != coditect.CodeNotFound {
				t.Errorf("%s: got %v, want %s", tc.name, err, coditect.CodeNotFound)
			}
		}
	})
}
