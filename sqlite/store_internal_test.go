package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

// TestPragmas checks the connection settings the store's guarantees rest
// on; they are set through the DSN, where a typo would pass silently.
func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTemp(t)

	for _, tc := range []struct {
		pool   string
		db     *sql.DB
		pragma string
		want   string
	}{
		{"write", s.write, "journal_mode", "wal"},
		{"write", s.write, "busy_timeout", "5000"},
		{"write", s.write, "foreign_keys", "1"},
		{"write", s.write, "synchronous", "1"}, // NORMAL
		{"write", s.write, "query_only", "0"},
		{"write", s.write, "wal_autocheckpoint", fmt.Sprint(walSafetyNet)},
		{"read", s.read, "journal_mode", "wal"},
		{"read", s.read, "busy_timeout", "5000"},
		{"read", s.read, "query_only", "1"},
	} {
		var got string
		if err := tc.db.QueryRowContext(t.Context(), "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("%s pool, pragma %s: %v", tc.pool, tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("%s pool, pragma %s: got %q, want %q", tc.pool, tc.pragma, got, tc.want)
		}
	}

	if _, err := s.read.ExecContext(t.Context(), "DELETE FROM tenants"); err == nil {
		t.Error("write through the read pool: got no error, want one")
	}
	if got := s.write.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("write pool: got %d max connections, want 1", got)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   int
		want int64
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

// A batch in which one write fails in a way that may have broken the shared
// transaction is made again one write per transaction: the others are
// committed, the failed one leaves nothing behind, and a constraint
// violation inside a batch undoes only its own statement.
func TestCommitterFallsBackToOneWritePerTransaction(t *testing.T) {
	t.Parallel()
	s := openTemp(t)
	c := &committer{db: s.write, q: s.wq} // commit is called directly, no writer goroutine

	insert := func(id string) func(context.Context, *sqlcdb.Queries) error {
		return func(ctx context.Context, q *sqlcdb.Queries) error {
			return q.CreateTenant(ctx, sqlcdb.CreateTenantParams{ID: id, Name: id, CreatedAt: 1})
		}
	}
	boom := errors.New("boom")
	op := func(fn func(context.Context, *sqlcdb.Queries) error) *batchOp {
		return &batchOp{ctx: t.Context(), fn: fn}
	}
	for _, tc := range []struct {
		name      string
		batch     []*batchOp
		wantErrs  []error // nil: success; boom; errConflict
		wantStore []string
	}{{
		name: "a broken write",
		batch: []*batchOp{
			op(insert("a")),
			op(func(ctx context.Context, q *sqlcdb.Queries) error {
				if err := insert("b")(ctx, q); err != nil {
					return err
				}
				return boom // after writing: only its own transaction may undo that
			}),
			op(insert("c")),
		},
		wantErrs:  []error{nil, boom, nil},
		wantStore: []string{"a", "c"},
	}, {
		name:      "a constraint violation",
		batch:     []*batchOp{op(insert("d")), op(insert("a")), op(insert("e"))},
		wantErrs:  []error{nil, errConflict, nil},
		wantStore: []string{"a", "c", "d", "e"},
	}} {
		c.commit(tc.batch)
		for i, op := range tc.batch {
			switch want := tc.wantErrs[i]; {
			case want == nil && op.err != nil, want == boom && !errors.Is(op.err, boom):
				t.Errorf("%s: write %d: got %v, want %v", tc.name, i, op.err, want)
			case want == errConflict && !statementLevel(op.err):
				t.Errorf("%s: write %d: got %v, want a constraint violation", tc.name, i, op.err)
			}
		}
		var got []string
		rows, err := s.read.QueryContext(t.Context(), "SELECT id FROM tenants ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			got = append(got, id)
		}
		rows.Close()
		if strings.Join(got, ",") != strings.Join(tc.wantStore, ",") {
			t.Errorf("%s: tenants %v, want %v", tc.name, got, tc.wantStore)
		}
	}
}

var errConflict = errors.New("constraint violation")

// The checkpointer copies commits into the database file by itself: a copy
// of the file alone, without its WAL, soon holds every row written,
// although no commit reached the write connection's autocheckpoint.
func TestCheckpointerCopiesTheWALIntoTheFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s, err := Open(t.Context(), filepath.Join(dir, "coditect.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.write.ExecContext(t.Context(), `CREATE TABLE scratch (i INTEGER)`); err != nil {
		t.Fatal(err)
	}
	const n = 50
	for i := range n {
		if _, err := s.write.ExecContext(t.Context(), `INSERT INTO scratch (i) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}

	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := countInFileAlone(t, filepath.Join(dir, "coditect.db"))
		if err == nil && got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rows in the database file without its WAL: got %d (error %v), want %d", got, err, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// countInFileAlone copies the database file, without its WAL, and counts
// the scratch rows in the copy.
func countInFileAlone(t *testing.T, path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	cp := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(cp, data, 0o600); err != nil {
		return 0, err
	}
	db, err := sql.Open("sqlite", cp+"?_pragma=query_only(1)")
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int
	err = db.QueryRowContext(t.Context(), "SELECT count(*) FROM scratch").Scan(&n)
	return n, err
}
