package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

//go:embed migrations/*.sql
var migrations embed.FS

var _ coditect.Store = (*Store)(nil)

// DefaultAppRole is the role the store's statements run as unless
// Config.AppRole names another; the migrations create it.
const DefaultAppRole = "coditect_app"

// Config says where the store's database is and how to use it.
type Config struct {
	// URL is the connection string, e.g.
	// postgres://owner:secret@db.internal:5432/coditect?sslmode=verify-full.
	// Its user runs the migrations and owns the schema.
	URL string
	// AppRole is the role every statement runs as; DefaultAppRole when
	// empty. It must not be a superuser nor have BYPASSRLS, and the URL's
	// user must be allowed to SET ROLE to it.
	AppRole string
	// MaxConns caps the connection pool; pgxpool's default, the larger of 4
	// and the number of CPUs, when zero.
	MaxConns int32
}

// Store is a coditect.Store backed by a PostgreSQL connection pool. It is
// safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool
	q    *sqlcdb.Queries

	writesOnce sync.Once
	writes     *committer // through committer(): started on first use
}

// Open migrates the database at cfg.URL to the latest schema and opens a
// connection pool whose connections run as the application role. A
// database that cannot be reached is a coditect.CodeUnavailable error.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pc, role, err := cfg.poolConfig()
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := migrate(ctx, pc.ConnConfig); err != nil {
		return nil, fmt.Errorf("open postgres store: %w", unreachable(err))
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	s := &Store{pool: pool, q: sqlcdb.New(pool)}
	if err := s.checkRole(ctx, role); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	return s, nil
}

// poolConfig turns cfg into a pool configuration and the application role
// its connections switch to.
func (cfg Config) poolConfig() (*pgxpool.Config, string, error) {
	if cfg.URL == "" {
		return nil, "", errors.New("no database URL")
	}
	if cfg.MaxConns < 0 {
		return nil, "", fmt.Errorf("max connections %d is negative", cfg.MaxConns)
	}
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, "", err
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	role := cfg.AppRole
	if role == "" {
		role = DefaultAppRole
	}
	// Session level, for the connection's whole life; the migration
	// connection, made from the same ConnConfig, stays the owner.
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		return sqlcdb.New(conn).SetRole(ctx, role)
	}
	return pc, role, nil
}

// migrate applies every pending migration as the URL's user, on a
// database/sql connection of its own. Replicas starting together serialise
// on goose's session advisory lock; when nothing is pending, as on every
// start but the first after an upgrade, no lock is taken at all.
func migrate(ctx context.Context, cc *pgx.ConnConfig) error {
	db := stdlib.OpenDB(*cc.Copy())
	defer db.Close()

	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// Retry every second for up to five minutes while another replica
	// migrates.
	locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithDisableGlobalRegistry(true),
		goose.WithSessionLocker(locker))
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// HasPending fails when the version table does not exist yet; Up then
	// creates it.
	if pending, err := p.HasPending(ctx); err == nil && !pending {
		return nil
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// checkRole makes sure that the pool's statements run as the role asked
// for and that row-level security applies to it.
func (s *Store) checkRole(ctx context.Context, want string) error {
	r, err := s.q.CurrentRole(ctx)
	if err != nil {
		return fmt.Errorf("check role %q: %w", want, unreachable(err))
	}
	if r.Name != want {
		return fmt.Errorf("statements run as role %q, want %q", r.Name, want)
	}
	if r.BypassesRls {
		return fmt.Errorf("role %q is a superuser or has BYPASSRLS; row-level security would not apply to it", r.Name)
	}
	return nil
}

// Ping reports whether the database is reachable.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres store: %w", unreachable(err))
	}
	return nil
}

// Close finishes the session writes already submitted, refuses later
// ones and closes the connection pool, waiting for connections in use to
// be returned. It always returns nil.
func (s *Store) Close() error {
	s.committer().close()
	s.pool.Close()
	return nil
}

// committer returns the store's group committer of session writes,
// starting it on first use.
func (s *Store) committer() *committer {
	s.writesOnce.Do(func() { s.writes = newCommitter(s.pool) })
	return s.writes
}

// inTx runs fn in one transaction, committing when fn returns nil. No
// tenant is set: until fn calls SetTenant, only the SECURITY DEFINER
// functions see rows of the tenant tables in it (signing_keys, which
// belongs to the deployment, has no row-level security).
func (s *Store) inTx(ctx context.Context, access pgx.TxAccessMode, fn func(tx pgx.Tx) error) error {
	return pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{AccessMode: access}, fn)
}

// inTenantTx runs fn in one transaction in which only tenantID's rows
// exist: row-level security filters every read and checks every write, so
// the statements' own tenant conditions are a second line of defence, not
// the only one. It costs BEGIN, the tenant and COMMIT besides fn's own
// round trips: a call that runs a single statement uses tenant instead.
func (s *Store) inTenantTx(ctx context.Context, tenantID string, access pgx.TxAccessMode, fn func(tx pgx.Tx) error) error {
	return s.inTx(ctx, access, func(tx pgx.Tx) error {
		if err := s.q.WithTx(tx).SetTenant(ctx, tenantID); err != nil {
			return err
		}
		return fn(tx)
	})
}

// tenantQueries is inTenantTx for callers that only run sqlc queries.
func (s *Store) tenantQueries(ctx context.Context, tenantID string, access pgx.TxAccessMode, fn func(q *sqlcdb.Queries) error) error {
	return s.inTenantTx(ctx, tenantID, access, func(tx pgx.Tx) error {
		return fn(s.q.WithTx(tx))
	})
}

// oneRow turns a statement that changed no row into pgx.ErrNoRows, which
// storeError reports as CodeNotFound.
func oneRow(n int64, err error) error {
	if err == nil && n == 0 {
		return pgx.ErrNoRows
	}
	return err
}

// limit clamps a page size to 1..500, 50 when unset.
func limit(n int) int32 {
	switch {
	case n == 0:
		return 50
	case n < 1:
		return 1
	case n > 500:
		return 500
	}
	return int32(n)
}

// batchLimit is the page size of the cross-tenant job lists. It is never cut
// down: a caller that stops when a page comes back short must not stop early.
func batchLimit(n int) int64 {
	if n <= 0 {
		return 100
	}
	return int64(n)
}

// stored is how the store keeps a time: UTC, to the millisecond. Columns are
// timestamptz (microseconds); truncating on the way in means a row reads
// back exactly as stored.
func stored(t time.Time) time.Time {
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func storedPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := stored(*t)
	return &s
}

func stringPtr(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
