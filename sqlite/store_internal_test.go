package sqlite

import (
	"database/sql"
	"path/filepath"
	"testing"
)

// TestPragmas checks the connection settings the store's guarantees rest
// on; they are set through the DSN, where a typo would pass silently.
func TestPragmas(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "coditect.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })

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
