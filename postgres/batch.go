package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// A tenant's statement in one round trip.
//
// PostgreSQL runs the extended-protocol messages up to a Sync as one
// implicit transaction (unless a BEGIN opened an explicit one), and pgx
// sends a Batch as one pipeline with a single Sync after its last
// statement. So the batch [SELECT set_config('app.tenant_id', $1, true);
// statement] is one transaction sent in one round trip: the statement sees
// the tenant and is filtered by row-level security as in inTenantTx, the
// transaction-local setting ends with the batch, and an error anywhere in
// it rolls the whole batch back. TestBatchIsOneTransaction checks each of
// these against the server, TestRoundTrips counts the round trips of the
// store's calls.
//
// That replaces BEGIN, the tenant, the statement and COMMIT, four round
// trips, for every call that runs one statement. The hot session writes
// (CreateSession, EndSession) go one step further: those that wait at the
// same time share one such batch, [tenant; statement; tenant; statement;
// ...], and so one round trip and one commit (commit.go); one that comes
// alone is sent as here. Calls that run several statements on one
// snapshot keep an explicit transaction (inTenantTx).
// What the implicit transaction lacks is READ ONLY, which the explicit
// ones of reading calls ask for; a single static SELECT gains nothing from
// it. As before, pgx prepares a statement on its first use on a
// connection (one more round trip, for all of a batch's new statements
// together) and drops the statements of a batch that failed, to prepare
// them again on their next use.

// tenant returns sqlc queries on tenantID's rows. Each query runs alone,
// in a transaction of its own that sets the tenant first, in one round
// trip: two calls on the returned value are two transactions.
func (s *Store) tenant(tenantID string) *sqlcdb.Queries {
	return s.scoped(func(q *sqlcdb.Queries) error {
		return q.SetTenant(context.Background(), tenantID)
	})
}

// scoped returns sqlc queries each of which runs in one batch behind the
// statement that set queues, an :exec query that sets the tenant.
func (s *Store) scoped(set func(q *sqlcdb.Queries) error) *sqlcdb.Queries {
	var b pgx.Batch
	if err := set(queue(&b)); err != nil || b.Len() != 1 {
		panic("postgres: a scope must be one :exec statement")
	}
	return sqlcdb.New(scopedConn{pool: s.pool, scope: b.QueuedQueries[0]})
}

// sendBatch sends b, one implicit transaction, and reads all its results.
// It returns the first error; the batch's writes are then undone. An empty
// batch sends nothing.
func (s *Store) sendBatch(ctx context.Context, b *pgx.Batch) error {
	if b.Len() == 0 {
		return nil
	}
	return s.pool.SendBatch(ctx, b).Close()
}

// scopedConn is a sqlcdb.DBTX over the pool that sends every statement in
// a batch of its own, behind scope, which sets the tenant.
type scopedConn struct {
	pool  *pgxpool.Pool
	scope *pgx.QueuedQuery
}

var _ sqlcdb.DBTX = scopedConn{}

// send sends the batch [scope; sql] on a pooled connection, which is
// released when the results are closed.
func (c scopedConn) send(ctx context.Context, sql string, args []any) pgx.BatchResults {
	b := &pgx.Batch{}
	b.Queue(c.scope.SQL, c.scope.Arguments...)
	b.Queue(sql, args...)
	return c.pool.SendBatch(ctx, b)
}

func (c scopedConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	br := c.send(ctx, sql, args)
	var tag pgconn.CommandTag
	_, err := br.Exec()
	if err == nil {
		tag, err = br.Exec()
	}
	return tag, closeBatch(br, err)
}

func (c scopedConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	br := c.send(ctx, sql, args)
	if _, err := br.Exec(); err != nil {
		return nil, closeBatch(br, err)
	}
	rows, err := br.Query()
	if err != nil {
		rows.Close()
		return nil, closeBatch(br, err)
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// QueryRow sends nothing until Scan, so a row that is never scanned holds
// no connection.
func (c scopedConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return batchRow{c: c, ctx: ctx, sql: sql, args: args}
}

// closeBatch closes br, which reads what is left of it (the end of the
// transaction included) and releases its connection, and returns err or,
// when err is nil, what closing found.
func closeBatch(br pgx.BatchResults, err error) error {
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// batchRows are the rows of a batch's last statement. The batch is closed
// when they are, or as soon as Next runs out, so that Err reports the end
// of the transaction too.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	err    error
	closed bool
}

func (r *batchRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = r.br.Close()
}

func (r *batchRows) Err() error {
	if err := r.Rows.Err(); err != nil {
		return err
	}
	return r.err
}

// batchRow is the one row of a query that Scan sends.
type batchRow struct {
	c    scopedConn
	ctx  context.Context
	sql  string
	args []any
}

func (r batchRow) Scan(dest ...any) error {
	br := r.c.send(r.ctx, r.sql, r.args)
	_, err := br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(dest...)
	}
	return closeBatch(br, err)
}

// queue returns sqlc queries that run nothing: each :exec or :execrows
// query appends its statement to b, to be sent later with the others, and
// reports no error and no rows. Queries that read rows cannot be queued.
func queue(b *pgx.Batch) *sqlcdb.Queries {
	return sqlcdb.New(batchQueue{b})
}

type batchQueue struct{ b *pgx.Batch }

var errQueuedRead = errors.New("a query that reads rows cannot be queued")

func (q batchQueue) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	q.b.Queue(sql, args...)
	return pgconn.CommandTag{}, nil
}

func (batchQueue) Query(context.Context, string, ...any) (pgx.Rows, error) {
	return nil, errQueuedRead
}

func (batchQueue) QueryRow(context.Context, string, ...any) pgx.Row {
	return errRow{errQueuedRead}
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
