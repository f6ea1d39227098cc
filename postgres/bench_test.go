package postgres_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres"
)

// BenchmarkHotPath measures the store calls an acquire, heartbeat and
// release cycle of the seat service makes, one call at a time but for
// CycleParallel: their cost is mostly round trips to the database and, for
// writes, the commit's WAL flush. With ?synchronous_commit=off on
// CODITECT_TEST_POSTGRES_URL the flush leaves the picture.
func BenchmarkHotPath(b *testing.B) {
	s, err := postgres.Open(b.Context(), postgres.Config{URL: postgres.TestURL(b), MaxConns: 8})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	tn, l := seed(b, s)
	now := time.Now()
	newSession := func() *coditect.Session {
		return &coditect.Session{
			ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp-" + uuid.NewString(), InstanceID: uuid.NewString(),
			StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
		}
	}
	create := func(b *testing.B, n int) []*coditect.Session {
		b.Helper()
		out := make([]*coditect.Session, n)
		for i := range out {
			out[i] = newSession()
			if err := s.CreateSession(b.Context(), out[i]); err != nil {
				b.Fatal(err)
			}
		}
		return out
	}

	b.Run("FindLicenseByKeyDigest", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.FindLicenseByKeyDigest(b.Context(), l.KeyDigest); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("FindActiveSession", func(b *testing.B) {
		sess := create(b, 1)[0]
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
	// One acquire (the license by key, the instance's active session, a
	// new session) and one release, as the seat service makes them.
	b.Run("Cycle", func(b *testing.B) {
		for b.Loop() {
			sess := newSession()
			if _, err := s.FindLicenseByKeyDigest(b.Context(), l.KeyDigest); err != nil {
				b.Fatal(err)
			}
			if _, err := s.FindActiveSession(b.Context(), tn.ID, l.ID, sess.Fingerprint, sess.InstanceID); coditect.ErrorCode(err) != coditect.CodeNotFound {
				b.Fatalf("find active session: got error %v, want not found", err)
			}
			if err := s.CreateSession(b.Context(), sess); err != nil {
				b.Fatal(err)
			}
			if _, err := s.EndSession(b.Context(), tn.ID, sess.ID, coditect.EndReleased, now); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Cycles from eight goroutines at once on eight connections, as a
	// server under load makes them; ns/op is the inverse of the
	// throughput.
	b.Run("CycleParallel", func(b *testing.B) {
		b.SetParallelism(4)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				sess := newSession()
				if _, err := s.FindLicenseByKeyDigest(b.Context(), l.KeyDigest); err != nil {
					b.Error(err)
					return
				}
				if _, err := s.FindActiveSession(b.Context(), tn.ID, l.ID, sess.Fingerprint, sess.InstanceID); coditect.ErrorCode(err) != coditect.CodeNotFound {
					b.Errorf("find active session: got error %v, want not found", err)
					return
				}
				if err := s.CreateSession(b.Context(), sess); err != nil {
					b.Error(err)
					return
				}
				if _, err := s.EndSession(b.Context(), tn.ID, sess.ID, coditect.EndReleased, now); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("EndSession", func(b *testing.B) {
		sessions := create(b, b.N)
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.EndSession(b.Context(), tn.ID, sessions[i].ID, coditect.EndReleased, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}
