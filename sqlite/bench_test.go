package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	coditect "github.com/coditect/coditect-license"
)

// BenchmarkHotPath measures the store calls an acquire and release of the
// seat service make. The writes go through the group committer: alone in
// Cycle (every transaction holds one write), shared in CycleParallel, where
// 64 goroutines run cycles at once as a loaded server does.
func BenchmarkHotPath(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "coditect.db"))
	tn, l := seed(b, s)
	now := time.Now()
	newSession := func() *coditect.Session {
		return &coditect.Session{
			ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp-" + uuid.NewString(), InstanceID: uuid.NewString(),
			StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
		}
	}
	cycle := func(b *testing.B) bool {
		sess := newSession()
		if _, err := s.FindLicenseByKeyDigest(b.Context(), l.KeyDigest); err != nil {
			b.Error(err)
			return false
		}
		if _, err := s.FindActiveSession(b.Context(), tn.ID, l.ID, sess.Fingerprint, sess.InstanceID); coditect.ErrorCode(err) != coditect.CodeNotFound {
			b.Errorf("find active session: got error %v, want not found", err)
			return false
		}
		if err := s.CreateSession(b.Context(), sess); err != nil {
			b.Error(err)
			return false
		}
		if _, err := s.EndSession(b.Context(), tn.ID, sess.ID, coditect.EndReleased, now); err != nil {
			b.Error(err)
			return false
		}
		return true
	}

	b.Run("FindActiveSession", func(b *testing.B) {
		sess := newSession()
		if err := s.CreateSession(b.Context(), sess); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := s.FindActiveSession(b.Context(), tn.ID, l.ID, sess.Fingerprint, sess.InstanceID); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreateSession", func(b *testing.B) {
		for b.Loop() {
			if err := s.CreateSession(b.Context(), newSession()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Cycle", func(b *testing.B) {
		for b.Loop() {
			if !cycle(b) {
				return
			}
		}
	})
	b.Run("CycleParallel", func(b *testing.B) {
		b.SetParallelism(64)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !cycle(b) {
					return
				}
			}
		})
	})
}

func BenchmarkFindActiveSessionMissing(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "coditect.db"))
	tn, l := seed(b, s)
	for b.Loop() {
		if _, err := s.FindActiveSession(b.Context(), tn.ID, l.ID, "fp", "missing"); coditect.ErrorCode(err) != coditect.CodeNotFound {
			b.Fatal(err)
		}
	}
}
