package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	coditect "github.com/coditect/coditect-license"
)

// adminConn opens a connection of its own to the test database as the
// schema's owner, for what the tests do beside the store.
func adminConn(t *testing.T) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// lastWriters returns, for each of the tenant's sessions among ids, the
// transaction that last wrote it (its xmin). Rows written by one
// transaction share it.
func lastWriters(t *testing.T, conn *pgx.Conn, tenantID string, ids []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := pgx.BeginFunc(t.Context(), conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(t.Context(), "SELECT set_config('app.tenant_id', $1, true)", tenantID); err != nil {
			return err
		}
		rows, err := tx.Query(t.Context(), "SELECT id, xmin::text FROM sessions WHERE id = ANY($1)", ids)
		if err != nil {
			return err
		}
		var id, xmin string
		_, err = pgx.ForEachRow(rows, []any{&id, &xmin}, func() error {
			out[id] = xmin
			return nil
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// transactions returns how many transactions last wrote the sessions ids
// of the tenants, and fails when one of the sessions does not exist.
func transactions(t *testing.T, conn *pgx.Conn, ids map[string][]string) int {
	t.Helper()
	distinct := map[string]bool{}
	for tenantID, ids := range ids {
		writers := lastWriters(t, conn, tenantID, ids)
		for _, id := range ids {
			xmin, ok := writers[id]
			if !ok {
				t.Fatalf("session %s of tenant %s: not stored, want it", id, tenantID)
			}
			distinct[xmin] = true
		}
	}
	return len(distinct)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// wait waits for wg, and fails the test when that takes too long: a write
// the committer dropped is never answered.
func wait(t *testing.T, what string, wg *sync.WaitGroup) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// lockSession locks the tenant's session id in a transaction of its own.
// blocked waits until a statement waits for that lock; unlock commits.
func lockSession(t *testing.T, tenantID, id string) (blocked, unlock func()) {
	t.Helper()
	ctx := t.Context()
	locker, watcher := adminConn(t), adminConn(t)
	tx, err := locker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT set_config('app.tenant_id', $1, true)", tenantID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE", id); err != nil {
		t.Fatal(err)
	}
	blocked = func() {
		t.Helper()
		waitFor(t, "a statement to wait for the row lock", func() bool {
			var n int
			err := watcher.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid).Scan(&n)
			if err != nil {
				t.Fatal(err)
			}
			return n > 0
		})
	}
	unlock = func() {
		t.Helper()
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return blocked, unlock
}

// holdCommitter keeps the committer of s busy: it ends a session of r
// whose row another transaction holds locked, so that the writes
// submitted meanwhile queue up and then go as one batch. The returned
// function lets the lock go and waits for that write.
func holdCommitter(t *testing.T, s *Store, r tenantRows) (release func()) {
	t.Helper()
	sess := newSession(r)
	if err := s.CreateSession(t.Context(), sess); err != nil {
		t.Fatal(err)
	}
	blocked, unlock := lockSession(t, r.tenant.ID, sess.ID)
	type result struct {
		changed bool
		err     error
	}
	ended := make(chan result, 1)
	go func() {
		changed, err := s.EndSession(context.WithoutCancel(t.Context()), r.tenant.ID, sess.ID, coditect.EndReleased, time.Now())
		ended <- result{changed, err}
	}()
	blocked()
	return func() {
		t.Helper()
		unlock()
		if r := <-ended; r.err != nil || !r.changed {
			t.Fatalf("the holding write: got changed %v (error %v), want true", r.changed, r.err)
		}
	}
}

// waitQueued waits until n writes wait for the committer of s.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	waitFor(t, fmt.Sprintf("%d writes to queue", n), func() bool { return s.committer().queue.Queued() == n })
}

// inOneBatch runs calls, each of which submits one write first, so that
// their writes go to the committer of s as one batch. It returns their
// errors in order.
func inOneBatch(t *testing.T, s *Store, r tenantRows, calls ...func() error) []error {
	t.Helper()
	release := holdCommitter(t, s, r)
	errs := make([]error, len(calls))
	var wg sync.WaitGroup
	for i, call := range calls {
		wg.Go(func() { errs[i] = call() })
	}
	waitQueued(t, s, len(calls))
	release()
	wait(t, "the batch's writes", &wg)
	return errs
}

func newSession(r tenantRows) *coditect.Session {
	now := time.Now()
	return &coditect.Session{
		ID: newID(), TenantID: r.tenant.ID, LicenseID: r.license.ID, Fingerprint: "fp", InstanceID: newID(),
		StartedAt: now, LastHeartbeatAt: now, ExpiresAt: now.Add(time.Minute),
	}
}

// wantError fails unless err is a coditect error with code and, when
// message is not empty, message.
func wantError(t *testing.T, what string, err error, code, message string) {
	t.Helper()
	var e *coditect.Error
	switch {
	case !errors.As(err, &e) || e.Code != code:
		t.Errorf("%s: got error %v, want %s", what, err, code)
	case message != "" && e.Message != message:
		t.Errorf("%s: got message %q, want %q", what, e.Message, message)
	}
}

// wantSession fails unless the tenant's session id exists (with status)
// or, when status is empty, does not.
func wantSession(t *testing.T, s *Store, tenantID, id string, status coditect.SessionStatus) {
	t.Helper()
	got, err := s.GetSession(t.Context(), tenantID, id)
	switch {
	case status == "" && coditect.ErrorCode(err) != coditect.CodeNotFound:
		t.Errorf("session %s of tenant %s: got %+v (error %v), want not found", id, tenantID, got, err)
	case status != "" && err != nil:
		t.Errorf("session %s of tenant %s: got error %v, want it %s", id, tenantID, err, status)
	case status != "" && got.Status != status:
		t.Errorf("session %s of tenant %s: got status %s, want %s", id, tenantID, got.Status, status)
	}
}

func create(s *Store, sess *coditect.Session) func() error {
	return func() error { return s.CreateSession(context.Background(), sess) }
}

// end ends the session and wants changed to be want when there is no error.
func end(t *testing.T, s *Store, tenantID, id string, want bool) func() error {
	return func() error {
		changed, err := s.EndSession(context.Background(), tenantID, id, coditect.EndReleased, time.Now())
		if err == nil && changed != want {
			t.Errorf("end session %s: got changed %v, want %v", id, changed, want)
		}
		return err
	}
}

// TestGroupCommit builds batches of session writes on purpose and checks
// how the committer writes them: together in one transaction and one round
// trip, each under its own tenant, with its own answer.
func TestGroupCommit(t *testing.T) {
	t.Parallel()

	t.Run("writes waiting together share one transaction and one round trip", func(t *testing.T) {
		t.Parallel()
		s, rt := openTraced(t)
		t.Cleanup(func() { s.Close() })
		a, b := seedTenant(t, s), seedTenant(t, s)
		conn := adminConn(t)
		// The first batch prepares the shared statements on the connection.
		for _, err := range inOneBatch(t, s, a, create(s, newSession(a)), create(s, newSession(b))) {
			if err != nil {
				t.Fatal(err)
			}
		}

		a1, a2, b1 := newSession(a), newSession(a), newSession(b)
		release := holdCommitter(t, s, a)
		rt.take()
		calls := []func() error{
			create(s, a1), create(s, b1), create(s, a2),
			end(t, s, a.tenant.ID, a.sessions[0].ID, true),
			end(t, s, b.tenant.ID, b.sessions[0].ID, true),
		}
		errs := make([]error, len(calls))
		var wg sync.WaitGroup
		for i, call := range calls {
			wg.Go(func() { errs[i] = call() })
		}
		waitQueued(t, s, len(calls))
		release()
		wait(t, "the batch's writes", &wg)
		for i, err := range errs {
			if err != nil {
				t.Errorf("write %d: got error %v, want none", i, err)
			}
		}
		// The holding write's, then the batch's.
		if n, sent := rt.take(); n != 2 {
			t.Errorf("got %d round trips, want 2; sent %v", n, sent)
		}
		// Writes of tenant B between tenant A's: row-level security would
		// have refused one of them under the other's tenant, and the
		// batch would have fallen back to a transaction each.
		if n := transactions(t, conn, map[string][]string{
			a.tenant.ID: {a1.ID, a2.ID, a.sessions[0].ID},
			b.tenant.ID: {b1.ID, b.sessions[0].ID},
		}); n != 1 {
			t.Errorf("got the batch's writes in %d transactions, want 1", n)
		}
		wantSession(t, s, a.tenant.ID, a1.ID, coditect.SessionActive)
		wantSession(t, s, b.tenant.ID, b1.ID, coditect.SessionActive)
		wantSession(t, s, b.tenant.ID, a1.ID, "")
		wantSession(t, s, a.tenant.ID, b1.ID, "")
		wantSession(t, s, a.tenant.ID, a.sessions[0].ID, coditect.SessionEnded)
		wantSession(t, s, b.tenant.ID, b.sessions[0].ID, coditect.SessionEnded)
	})

	t.Run("each write of a batch ends only its own tenant's session", func(t *testing.T) {
		t.Parallel()
		s := openInternal(t)
		a, b := seedTenant(t, s), seedTenant(t, s)
		errs := inOneBatch(t, s, a,
			end(t, s, b.tenant.ID, a.sessions[0].ID, false),
			end(t, s, a.tenant.ID, b.sessions[0].ID, false),
			end(t, s, a.tenant.ID, a.sessions[1].ID, true),
			end(t, s, a.tenant.ID, newID(), false))
		wantError(t, "tenant A's session ended as tenant B's", errs[0], coditect.CodeNotFound, sessionKind.notFound)
		wantError(t, "tenant B's session ended as tenant A's", errs[1], coditect.CodeNotFound, sessionKind.notFound)
		if errs[2] != nil {
			t.Errorf("end tenant A's session: got error %v, want none", errs[2])
		}
		wantError(t, "unknown session", errs[3], coditect.CodeNotFound, sessionKind.notFound)
		wantSession(t, s, a.tenant.ID, a.sessions[0].ID, coditect.SessionActive)
		wantSession(t, s, b.tenant.ID, b.sessions[0].ID, coditect.SessionActive)
		wantSession(t, s, a.tenant.ID, a.sessions[1].ID, coditect.SessionEnded)
	})

	t.Run("a taken unique key fails its write alone", func(t *testing.T) {
		t.Parallel()
		s := openInternal(t)
		a, b := seedTenant(t, s), seedTenant(t, s)
		conn := adminConn(t)
		first, second := newSession(a), newSession(a)
		second.InstanceID = first.InstanceID
		dupID := newSession(a)
		dupID.ID = a.sessions[0].ID
		ok1, ok2 := newSession(a), newSession(b)
		errs := inOneBatch(t, s, a,
			create(s, first), create(s, second), create(s, dupID), create(s, ok1), create(s, ok2),
			end(t, s, a.tenant.ID, a.sessions[1].ID, true))
		// The two writes for one instance go in ID order.
		if errs[0] != nil {
			t.Errorf("first session of the instance: got error %v, want none", errs[0])
		}
		wantError(t, "second session of the instance", errs[1], coditect.CodeConflict, sessionKind.duplicateKey)
		wantError(t, "a taken session ID", errs[2], coditect.CodeConflict, sessionKind.duplicateID)
		for i, err := range errs[3:] {
			if err != nil {
				t.Errorf("write %d: got error %v, want none", i+3, err)
			}
		}
		if n := transactions(t, conn, map[string][]string{
			a.tenant.ID: {first.ID, ok1.ID, a.sessions[1].ID},
			b.tenant.ID: {ok2.ID},
		}); n != 1 {
			t.Errorf("got the batch's writes in %d transactions, want 1: the conflicts rolled it back", n)
		}
		wantSession(t, s, a.tenant.ID, second.ID, "")
		got, err := s.GetSession(t.Context(), a.tenant.ID, a.sessions[0].ID)
		if err != nil || got.InstanceID != a.sessions[0].InstanceID || got.Status != coditect.SessionActive {
			t.Errorf("the session whose ID was taken again: got %+v (error %v), want it unchanged", got, err)
		}
	})

	t.Run("a write the server refuses is answered alone, the others commit", func(t *testing.T) {
		t.Parallel()
		s := openInternal(t)
		a, b := seedTenant(t, s), seedTenant(t, s)
		otherLicense := newSession(a)
		otherLicense.LicenseID = b.license.ID
		noLicense := newSession(b)
		noLicense.LicenseID = newID()
		ok1, ok2 := newSession(a), newSession(b)
		errs := inOneBatch(t, s, a,
			create(s, ok1), create(s, otherLicense), create(s, noLicense), create(s, ok2),
			end(t, s, a.tenant.ID, a.sessions[0].ID, true),
			func() error {
				// The empty reason breaks the table's CHECK.
				_, err := s.EndSession(context.Background(), b.tenant.ID, b.sessions[0].ID, "", time.Now())
				return err
			})
		for _, i := range []int{0, 3, 4} {
			if errs[i] != nil {
				t.Errorf("write %d: got error %v, want none", i, errs[i])
			}
		}
		wantError(t, "another tenant's license", errs[1], coditect.CodeNotFound, sessionKind.missingParent)
		wantError(t, "an unknown license", errs[2], coditect.CodeNotFound, sessionKind.missingParent)
		wantError(t, "an empty end reason", errs[5], coditect.CodeInvalidRequest, "")
		wantSession(t, s, a.tenant.ID, ok1.ID, coditect.SessionActive)
		wantSession(t, s, b.tenant.ID, ok2.ID, coditect.SessionActive)
		wantSession(t, s, a.tenant.ID, otherLicense.ID, "")
		wantSession(t, s, b.tenant.ID, noLicense.ID, "")
		wantSession(t, s, a.tenant.ID, a.sessions[0].ID, coditect.SessionEnded)
		wantSession(t, s, b.tenant.ID, b.sessions[0].ID, coditect.SessionActive)
	})

	t.Run("a caller gone before its write is sent is not written", func(t *testing.T) {
		t.Parallel()
		s := openInternal(t)
		a := seedTenant(t, s)
		gone, kept := newSession(a), newSession(a)
		ctx, cancel := context.WithCancel(t.Context())
		release := holdCommitter(t, s, a)
		errs := make([]error, 3)
		var wg sync.WaitGroup
		wg.Go(func() { errs[0] = s.CreateSession(ctx, gone) })
		wg.Go(func() {
			_, errs[1] = s.EndSession(ctx, a.tenant.ID, a.sessions[0].ID, coditect.EndReleased, time.Now())
		})
		wg.Go(func() { errs[2] = s.CreateSession(t.Context(), kept) })
		waitQueued(t, s, 3)
		cancel()
		release()
		wait(t, "the batch's writes", &wg)
		for i, err := range errs[:2] {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("write %d: got error %v, want the context's", i, err)
			}
		}
		if errs[2] != nil {
			t.Errorf("the waiting caller's write: got error %v, want none", errs[2])
		}
		wantSession(t, s, a.tenant.ID, gone.ID, "")
		wantSession(t, s, a.tenant.ID, a.sessions[0].ID, coditect.SessionActive)
		wantSession(t, s, a.tenant.ID, kept.ID, coditect.SessionActive)
	})

	t.Run("a batch is cut short only once all its callers have gone", func(t *testing.T) {
		t.Parallel()
		s, err := Open(t.Context(), Config{URL: testURL(t), MaxConns: 2})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		a := seedTenant(t, s)
		ctx := t.Context()
		// batch queues an end of the tenant's session id and a create,
		// with the contexts given, as one batch that waits for the lock
		// on that session's row.
		batch := func(id string, endCtx, createCtx context.Context, created *coditect.Session) (results *[2]error, done *sync.WaitGroup, unlock func()) {
			t.Helper()
			blocked, unlock := lockSession(t, a.tenant.ID, id)
			release := holdCommitter(t, s, a)
			var errs [2]error
			var wg sync.WaitGroup
			wg.Go(func() {
				changed, err := s.EndSession(endCtx, a.tenant.ID, id, coditect.EndReleased, time.Now())
				if err == nil && !changed {
					err = errors.New("got changed false, want true")
				}
				errs[0] = err
			})
			wg.Go(func() { errs[1] = s.CreateSession(createCtx, created) })
			waitQueued(t, s, 2)
			release()
			blocked()
			return &errs, &wg, unlock
		}

		// One caller gone: the other still waits for the batch.
		goneCtx, cancel := context.WithCancel(ctx)
		created := newSession(a)
		errs, wg, unlock := batch(a.sessions[0].ID, goneCtx, ctx, created)
		cancel()
		time.Sleep(100 * time.Millisecond) // time for a wrong cut to happen
		unlock()
		wait(t, "the batch", wg)
		for i, err := range errs {
			if err != nil {
				t.Errorf("one caller gone: write %d: got error %v, want none", i, err)
			}
		}
		wantSession(t, s, a.tenant.ID, a.sessions[0].ID, coditect.SessionEnded)
		wantSession(t, s, a.tenant.ID, created.ID, coditect.SessionActive)

		// All callers gone: the batch is cut short while the lock holds.
		goneCtx, cancel = context.WithCancel(ctx)
		notCreated := newSession(a)
		errs, wg, unlock = batch(a.sessions[1].ID, goneCtx, goneCtx, notCreated)
		cancel()
		wait(t, "the batch cut short", wg)
		for i, err := range errs {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("all callers gone: write %d: got error %v, want the context's", i, err)
			}
		}
		next := newSession(a)
		if err := s.CreateSession(ctx, next); err != nil {
			t.Errorf("the next write: got error %v, want none", err)
		}
		unlock()
		wantSession(t, s, a.tenant.ID, a.sessions[1].ID, coditect.SessionActive)
		wantSession(t, s, a.tenant.ID, notCreated.ID, "")
		wantSession(t, s, a.tenant.ID, next.ID, coditect.SessionActive)
	})

	t.Run("close makes the queued writes and refuses later ones", func(t *testing.T) {
		t.Parallel()
		// The committer sees the queued writes and the close in either
		// order: a few rounds try both.
		for range 4 {
			closeWithQueuedWrites(t)
		}
	})
}

func closeWithQueuedWrites(t *testing.T) {
	t.Helper()
	s, err := Open(t.Context(), Config{URL: testURL(t), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	a := seedTenant(t, s)
	queued := []*coditect.Session{newSession(a), newSession(a), newSession(a)}
	release := holdCommitter(t, s, a)
	errs := make([]error, len(queued))
	var wg sync.WaitGroup
	for i, sess := range queued {
		wg.Go(func() { errs[i] = s.CreateSession(t.Context(), sess) })
	}
	waitQueued(t, s, len(queued))
	var closing sync.WaitGroup
	closing.Go(func() { s.Close() })
	waitFor(t, "close to begin", func() bool { return s.committer().queue.Closed() })
	release()
	wait(t, "the queued writes", &wg)
	wait(t, "close", &closing)
	for i, err := range errs {
		if err != nil {
			t.Errorf("queued write %d: got error %v, want none", i, err)
		}
	}
	late := newSession(a)
	if err := s.CreateSession(t.Context(), late); !errors.Is(err, errClosed) {
		t.Errorf("create after close: got error %v, want %v", err, errClosed)
	}
	if _, err := s.EndSession(t.Context(), a.tenant.ID, a.sessions[0].ID, coditect.EndReleased, time.Now()); !errors.Is(err, errClosed) {
		t.Errorf("end after close: got error %v, want %v", err, errClosed)
	}

	other := openInternal(t)
	for _, sess := range queued {
		wantSession(t, other, a.tenant.ID, sess.ID, coditect.SessionActive)
	}
	wantSession(t, other, a.tenant.ID, late.ID, "")
	wantSession(t, other, a.tenant.ID, a.sessions[0].ID, coditect.SessionActive)
}

// TestGroupCommitConcurrently has many goroutines create and end sessions
// of two tenants at once, checks every answer and row, and that writes
// made at the same time shared transactions.
func TestGroupCommitConcurrently(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), Config{URL: testURL(t), MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	tenants := []tenantRows{seedTenant(t, s), seedTenant(t, s)}
	conn := adminConn(t)
	ctx := t.Context()

	const pairs = 32
	// Each goroutine of a pair acquires the same instance: one wins.
	type pair struct {
		r                tenantRows
		sessions         [2]*coditect.Session
		errs             [2]error
		winner, loser    int
		crossEnd, ownEnd [2]error
	}
	ps := make([]*pair, pairs)
	for i := range ps {
		p := &pair{r: tenants[i%2]}
		for j := range p.sessions {
			p.sessions[j] = newSession(p.r)
			p.sessions[j].InstanceID = fmt.Sprintf("instance-%d", i)
		}
		ps[i] = p
	}
	// all runs fn(pair, j) for both goroutines of every pair, all at once.
	all := func(fn func(p *pair, j int)) {
		start := make(chan struct{})
		var wg sync.WaitGroup
		for _, p := range ps {
			for j := range 2 {
				wg.Go(func() {
					<-start
					fn(p, j)
				})
			}
		}
		close(start)
		wait(t, "the goroutines", &wg)
	}
	winners := func() map[string][]string {
		ids := map[string][]string{}
		for _, p := range ps {
			ids[p.r.tenant.ID] = append(ids[p.r.tenant.ID], p.sessions[p.winner].ID)
		}
		return ids
	}

	all(func(p *pair, j int) { p.errs[j] = s.CreateSession(ctx, p.sessions[j]) })
	for i, p := range ps {
		switch {
		case p.errs[0] == nil && coditect.ErrorCode(p.errs[1]) == coditect.CodeConflict:
			p.winner, p.loser = 0, 1
		case p.errs[1] == nil && coditect.ErrorCode(p.errs[0]) == coditect.CodeConflict:
			p.winner, p.loser = 1, 0
		default:
			t.Fatalf("instance %d: got errors %v and %v, want one conflict", i, p.errs[0], p.errs[1])
		}
	}
	if n := transactions(t, conn, winners()); n >= pairs {
		t.Errorf("got %d sessions created in %d transactions, want fewer: shared ones", pairs, n)
	}

	all(func(p *pair, j int) {
		other := tenants[0]
		if other.tenant.ID == p.r.tenant.ID {
			other = tenants[1]
		}
		// The winner's session, ended as the other tenant's: not found.
		_, p.crossEnd[j] = s.EndSession(ctx, other.tenant.ID, p.sessions[p.winner].ID, coditect.EndReleased, time.Now())
		if j == p.winner {
			changed, err := s.EndSession(ctx, p.r.tenant.ID, p.sessions[j].ID, coditect.EndReleased, time.Now())
			if err == nil && !changed {
				err = errors.New("got changed false, want true")
			}
			if err == nil {
				changed, err = s.EndSession(ctx, p.r.tenant.ID, p.sessions[j].ID, coditect.EndReleased, time.Now())
				if err == nil && changed {
					err = errors.New("again: got changed true, want false")
				}
			}
			p.ownEnd[j] = err
		} else {
			_, p.ownEnd[j] = s.EndSession(ctx, p.r.tenant.ID, p.sessions[j].ID, coditect.EndReleased, time.Now())
		}
	})
	for i, p := range ps {
		for j := range 2 {
			wantError(t, fmt.Sprintf("instance %d: end as the other tenant's", i), p.crossEnd[j], coditect.CodeNotFound, "")
		}
		if err := p.ownEnd[p.winner]; err != nil {
			t.Errorf("instance %d: end the winner's session: %v", i, err)
		}
		wantError(t, fmt.Sprintf("instance %d: end the loser's session", i), p.ownEnd[p.loser], coditect.CodeNotFound, "")
		wantSession(t, s, p.r.tenant.ID, p.sessions[p.winner].ID, coditect.SessionEnded)
		wantSession(t, s, p.r.tenant.ID, p.sessions[p.loser].ID, "")
	}
	if n := transactions(t, conn, winners()); n >= pairs {
		t.Errorf("got %d sessions ended in %d transactions, want fewer: shared ones", pairs, n)
	}

	// Now with writes the server refuses among them, which make their
	// batches fall back to a transaction per write.
	refused := make([]error, 2*pairs)
	good := make([]*coditect.Session, 2*pairs)
	all(func(p *pair, j int) {
		i := 2*slices.Index(ps, p) + j
		sess := newSession(p.r)
		if i%4 == 0 {
			sess.LicenseID = tenants[(i/2+1)%2].license.ID
			refused[i] = s.CreateSession(ctx, sess)
			return
		}
		good[i] = sess
		if err := s.CreateSession(ctx, sess); err != nil {
			refused[i] = err
			return
		}
		changed, err := s.EndSession(ctx, p.r.tenant.ID, sess.ID, coditect.EndRevoked, time.Now())
		if err == nil && !changed {
			err = errors.New("end: got changed false, want true")
		}
		refused[i] = err
	})
	for i, err := range refused {
		if i%4 == 0 {
			wantError(t, fmt.Sprintf("goroutine %d: another tenant's license", i), err, coditect.CodeNotFound, sessionKind.missingParent)
			continue
		}
		if err != nil {
			t.Errorf("goroutine %d: got error %v, want none", i, err)
		}
		wantSession(t, s, good[i].TenantID, good[i].ID, coditect.SessionEnded)
	}
}
