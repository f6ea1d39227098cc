package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"

	coditect "github.com/coditect/coditect-license"
)

// HotPath benchmarks the store calls of an acquire → release cycle of the
// seat service on s, one call at a time and, in CycleParallel, from
// parallelism × GOMAXPROCS goroutines at once as a loaded server makes them
// (ns/op is then the inverse of the throughput). Each store's
// BenchmarkHotPath runs it.
func HotPath(b *testing.B, s coditect.Store, parallelism int) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	tn := &coditect.Tenant{ID: newID(), Name: "Bench", CreatedAt: now}
	if err := s.CreateTenant(b.Context(), tn); err != nil {
		b.Fatalf("create tenant: %v", err)
	}
	l := &coditect.License{
		ID: newID(), TenantID: tn.ID, Name: "Studio", Status: coditect.LicenseActive, Seats: 10,
		Features: []string{"sso"}, LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120,
		OfflineGraceSeconds: 3600, KeyDigest: newID(), KeyPrefix: "cl_abc", Metadata: map[string]any{},
		CreatedAt: now, UpdatedAt: now,
	}
	if err := s.CreateLicense(b.Context(), l); err != nil {
		b.Fatalf("create license: %v", err)
	}
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
	// One acquire (the license by key, the instance's active session, a new
	// session) and one release, as the seat service makes them.
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
	b.Run("FindActiveSessionMissing", func(b *testing.B) {
		for b.Loop() {
			if _, err := s.FindActiveSession(b.Context(), tn.ID, l.ID, "fp", "missing"); coditect.ErrorCode(err) != coditect.CodeNotFound {
				b.Fatalf("got error %v, want not found", err)
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
	b.Run("EndSession", func(b *testing.B) {
		sessions := create(b, b.N)
		b.ResetTimer()
		for i := range b.N {
			if _, err := s.EndSession(b.Context(), tn.ID, sessions[i].ID, coditect.EndReleased, now); err != nil {
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
		b.SetParallelism(parallelism)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if !cycle(b) {
					return
				}
			}
		})
	})
}
