package sqlite_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite"
)

// Many concurrent acquires of a few instances share group commits: exactly
// one session per instance is created, every other attempt is a conflict
// (only its own statement is undone, not its batch), and every session a
// caller was told exists is in the file after a reopen.
func TestGroupCommitKeepsEachWritesOwnResult(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "coditect.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	tn, l := seed(t, s)
	now := time.Now().UTC().Truncate(time.Millisecond)

	const instances, attempts = 8, 25
	type result struct {
		instance string
		id       string
		err      error
	}
	results := make(chan result, instances*attempts)
	var wg sync.WaitGroup
	for i := range instances * attempts {
		instance := "instance-" + string(rune('a'+i%instances))
		wg.Go(func() {
			sess := &coditect.Session{
				ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp", InstanceID: instance,
				StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
			}
			results <- result{instance, sess.ID, s.CreateSession(t.Context(), sess)}
		})
	}
	wg.Wait()
	close(results)
	created := map[string]string{}
	for r := range results {
		switch {
		case r.err == nil:
			if prev, dup := created[r.instance]; dup {
				t.Fatalf("instance %s: sessions %s and %s both created", r.instance, prev, r.id)
			}
			created[r.instance] = r.id
		case coditect.ErrorCode(r.err) != coditect.CodeConflict:
			t.Fatalf("instance %s: got %v, want success or a conflict", r.instance, r.err)
		}
	}
	if len(created) != instances {
		t.Fatalf("created sessions for %d instances, want %d", len(created), instances)
	}

	// End them concurrently, each twice: one call changes it, one finds it
	// already ended; a session that never existed is not found.
	var ends sync.WaitGroup
	changedCount := make(chan bool, 2*instances)
	for _, id := range created {
		for range 2 {
			ends.Go(func() {
				changed, err := s.EndSession(t.Context(), tn.ID, id, coditect.EndReleased, now)
				if err != nil {
					t.Errorf("end %s: %v", id, err)
				}
				changedCount <- changed
			})
		}
	}
	ends.Go(func() {
		if _, err := s.EndSession(t.Context(), tn.ID, newID(), coditect.EndReleased, now); coditect.ErrorCode(err) != coditect.CodeNotFound {
			t.Errorf("end of an unknown session: got %v, want not found", err)
		}
	})
	ends.Wait()
	close(changedCount)
	n := 0
	for c := range changedCount {
		if c {
			n++
		}
	}
	if n != instances {
		t.Errorf("%d ends changed a session, want %d (one per session)", n, instances)
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, path)
	for instance, id := range created {
		got, err := s.GetSession(t.Context(), tn.ID, id)
		if err != nil {
			t.Fatalf("session of %s after reopen: %v", instance, err)
		}
		if got.Status != coditect.SessionEnded || got.EndReason != coditect.EndReleased {
			t.Errorf("session of %s after reopen: %s/%s, want ended/released", instance, got.Status, got.EndReason)
		}
	}
}

// A write whose context ended before it started is not made.
func TestCanceledWriteIsNotMade(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
	tn, l := seed(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	now := time.Now()
	sess := &coditect.Session{
		ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp", InstanceID: uuid.NewString(),
		StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
	}
	if err := s.CreateSession(ctx, sess); err == nil {
		t.Fatal("create with a canceled context: got no error, want one")
	}
	if _, err := s.GetSession(t.Context(), tn.ID, sess.ID); coditect.ErrorCode(err) != coditect.CodeNotFound {
		t.Fatalf("session after a canceled create: got %v, want not found", err)
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	t.Parallel()
	s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "coditect.db"))
	if err != nil {
		t.Fatal(err)
	}
	tn, l := seed(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	err = s.CreateSession(t.Context(), &coditect.Session{
		ID: newID(), TenantID: tn.ID, LicenseID: l.ID, Fingerprint: "fp",
		StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
	})
	if err == nil {
		t.Fatal("create after close: got no error, want one")
	}
}

// The license found by key digest follows every write of the license, even
// right after it was read (and cached), and changing the returned license
// does not change what the next caller gets.
func TestFindLicenseByKeyDigestSeesWrites(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
	_, l := seed(t, s)
	ctx := t.Context()

	got, err := s.FindLicenseByKeyDigest(ctx, l.KeyDigest)
	if err != nil {
		t.Fatal(err)
	}
	got.Features[0] = "changed by a caller"
	got.Metadata["x"] = 1
	again, err := s.FindLicenseByKeyDigest(ctx, l.KeyDigest)
	if err != nil {
		t.Fatal(err)
	}
	if again.Features[0] != "sso" || len(again.Metadata) != 0 {
		t.Fatalf("a caller's change leaked into the next find: %v %v", again.Features, again.Metadata)
	}

	l.Status, l.Seats = coditect.LicenseSuspended, 3
	if err := s.UpdateLicense(ctx, l); err != nil {
		t.Fatal(err)
	}
	got, err = s.FindLicenseByKeyDigest(ctx, l.KeyDigest)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != coditect.LicenseSuspended || got.Seats != 3 {
		t.Fatalf("after update: got %s/%d seats, want suspended/3", got.Status, got.Seats)
	}

	old := l.KeyDigest
	l.KeyDigest = newID() // a rotated key
	if err := s.UpdateLicense(ctx, l); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindLicenseByKeyDigest(ctx, old); coditect.ErrorCode(err) != coditect.CodeNotFound {
		t.Fatalf("old key after rotation: got %v, want not found", err)
	}
	if _, err := s.FindLicenseByKeyDigest(ctx, l.KeyDigest); err != nil {
		t.Fatalf("new key after rotation: %v", err)
	}

	if err := s.DeleteLicense(ctx, l.TenantID, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FindLicenseByKeyDigest(ctx, l.KeyDigest); coditect.ErrorCode(err) != coditect.CodeNotFound {
		t.Fatalf("after delete: got %v, want not found", err)
	}
}

// Finds racing with updates never leave a stale license behind: once the
// last update returned, every find sees it.
func TestFindLicenseByKeyDigestRacingUpdates(t *testing.T) {
	t.Parallel()
	s := open(t, filepath.Join(t.TempDir(), "coditect.db"))
	_, l := seed(t, s)
	ctx := t.Context()
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 8 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.FindLicenseByKeyDigest(ctx, l.KeyDigest); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := 1; i <= 200; i++ {
		l.Seats = i
		if err := s.UpdateLicense(ctx, l); err != nil {
			t.Fatal(err)
		}
		got, err := s.FindLicenseByKeyDigest(ctx, l.KeyDigest)
		if err != nil {
			t.Fatal(err)
		}
		if got.Seats != i {
			t.Fatalf("after update %d: found %d seats", i, got.Seats)
		}
	}
	close(stop)
	readers.Wait()
}
