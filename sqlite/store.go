// Package sqlite implements coditect.Store on an SQLite file through the
// pure-Go driver modernc.org/sqlite, so the server builds without cgo.
//
// Statements live in queries/*.sql and are compiled by sqlc into
// internal/sqlcdb; the schema lives in migrations/*.sql and is applied by
// goose when the store opens.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ coditect.Store = (*Store)(nil)

// Store is a coditect.Store backed by one SQLite database file. It is safe
// for concurrent use.
type Store struct {
	// SQLite admits one writer at a time. A pool of exactly one write
	// connection queues writers inside database/sql instead of letting them
	// collide on the file lock, so SQLITE_BUSY cannot happen within the
	// process; readers use their own pool and, in WAL mode, never wait for
	// the writer.
	write *sql.DB
	read  *sql.DB
	wq    *sqlcdb.Queries
	rq    *sqlcdb.Queries
	// batch group-commits the hot session writes (batch.go).
	batch *committer
	// licenses caches license rows by key digest (license.go).
	licenses licenseCache
	// instances holds the keys of sessions that may be active, so that
	// FindActiveSession can miss without a query (filter.go).
	instances *instances
	// ckpt copies the WAL into the database file off the write path
	// (checkpoint.go), on a connection of its own.
	ckptDB *sql.DB
	ckpt   *checkpointer
}

// Open opens (creating if needed) the database file at path, including its
// parent directory, and migrates it to the latest schema.
//
// The store must be the only writer of the file while it is open: it
// caches licenses and the keys of active sessions, and a row that another
// process wrote would be missed. Reading the file from elsewhere is fine.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.Contains(path, "?") {
		return nil, fmt.Errorf("open sqlite store: %q is not a plain file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}

	// synchronous=NORMAL in WAL mode fsyncs the WAL at checkpoints, not at
	// every commit. A commit has been written to the WAL file (the OS page
	// cache) before it is acknowledged, so it survives the process being
	// killed, SIGKILL included. Only an OS crash or power loss can lose the
	// last transactions, and even then the file stays consistent; the
	// clients of sessions lost that way learn it at their next heartbeat.
	// FULL would buy that last margin with an fsync on every acquire.
	// _txlock=immediate takes the write lock at BEGIN, so a transaction that
	// reads and then writes cannot fail halfway on a lock upgrade.
	write, err := sql.Open("sqlite", path+"?_txlock=immediate"+
		"&_pragma=busy_timeout(5000)"+
		"&_pragma=journal_mode(WAL)"+
		"&_pragma=synchronous(NORMAL)"+
		"&_pragma=foreign_keys(1)"+
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", walSafetyNet))
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	if err := migrate(ctx, write); err != nil {
		return nil, errors.Join(err, write.Close())
	}

	// Read connections start after the migration so the file is already in
	// WAL mode; query_only makes a write through them an error rather than
	// a second writer.
	read, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)&_pragma=query_only(1)")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite store: %w", err), write.Close())
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := read.PingContext(ctx); err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite store: %w", err), read.Close(), write.Close())
	}
	instances := newInstanceFilter(filterLog2Bits)
	if err := loadInstanceFilter(ctx, read, instances, filterPage); err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite store: %w", err), read.Close(), write.Close())
	}

	// Every statement is prepared once (per connection, lazily, by
	// database/sql) rather than parsed on every call.
	wq, err := sqlcdb.Prepare(ctx, write)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite store: %w", err), read.Close(), write.Close())
	}
	rq, err := sqlcdb.Prepare(ctx, read)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite store: %w", err), wq.Close(), read.Close(), write.Close())
	}
	ckptDB, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open sqlite store: %w", err), rq.Close(), wq.Close(), read.Close(), write.Close())
	}
	ckptDB.SetMaxOpenConns(1)
	ckptDB.SetMaxIdleConns(1)
	ckptDB.SetConnMaxLifetime(0)
	ckptDB.SetConnMaxIdleTime(0)
	return &Store{
		write: write, read: read, wq: wq, rq: rq, batch: newCommitter(write, wq),
		instances: newInstances(instances, filterLog2Bits, func(ctx context.Context, f *instanceFilter) error {
			return loadInstanceFilter(ctx, read, f, filterPage)
		}),
		ckptDB: ckptDB, ckpt: newCheckpointer(ckptDB, checkpointInterval),
	}, nil
}

// migrate applies every pending migration with a goose Provider, which keeps
// its state on the provider rather than in goose's package globals.
func migrate(ctx context.Context, db *sql.DB) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping reports whether both connection pools reach the database.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.write.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping sqlite store: %w", err)
	}
	return nil
}

// Close closes the prepared statements and both connection pools.
func (s *Store) Close() error {
	s.instances.close()
	s.batch.close()
	s.ckpt.close()
	return errors.Join(s.rq.Close(), s.wq.Close(), s.read.Close(), s.ckptDB.Close(), s.write.Close())
}

// inTx runs fn in one write transaction, committing when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(q *sqlcdb.Queries) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(s.wq.WithTx(tx)); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// oneRow turns a statement that changed no row into sql.ErrNoRows, which
// storeError reports as CodeNotFound.
func oneRow(n int64, err error) error {
	if err == nil && n == 0 {
		return sql.ErrNoRows
	}
	return err
}

// limit clamps a page size to 1..500, 50 when unset.
func limit(n int) int64 {
	switch {
	case n == 0:
		return 50
	case n < 1:
		return 1
	case n > 500:
		return 500
	}
	return int64(n)
}

// batchLimit is the page size of the cross-tenant job lists. It is never cut
// down: a caller that stops when a page comes back short must not stop early.
func batchLimit(n int) int64 {
	if n <= 0 {
		return 100
	}
	return int64(n)
}

// millis is how the store keeps a time: Unix milliseconds UTC.
func millis(t time.Time) int64 { return t.UnixMilli() }

// fromMillis turns a stored time back into a UTC time.Time.
func fromMillis(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

func nullMillis(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: millis(*t), Valid: true}
}

func fromNullMillis(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMillis(n.Int64)
	return &t
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
