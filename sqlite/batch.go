package sqlite

import (
	"context"
	"database/sql"
	"errors"

	"github.com/coditect/coditect-license/internal/groupcommit"
	"github.com/coditect/coditect-license/sqlite/internal/sqlcdb"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// maxBatch bounds how many writes share one transaction, and so how long
// the last of them waits for the commit.
const maxBatch = 128

// errClosed answers writes submitted after Close.
var errClosed = errors.New("sqlite store is closed")

// A committer runs the hot writes (a session created, a session ended) of
// many goroutines in shared transactions: group commit. SQLite has one
// writer, and most of a small transaction's cost is the commit itself,
// writing every page it touched to the WAL: the same few pages (the newest
// sessions, the active-session indexes) for every acquire and release.
// While one batch commits, the next collects; under load one commit carries
// dozens of writes, idle it carries one and adds no delay.
//
// Every write is acknowledged only after the transaction holding it
// committed, so durability is what it is for a write alone (see Open).
type committer struct {
	db    *sql.DB
	q     *sqlcdb.Queries
	queue *groupcommit.Queue[*batchOp]
}

// A batchOp is one write. Its fn must not leave a partial write behind when
// it fails with a statement-level error (a constraint, sql.ErrNoRows): one
// write statement plus reads, as the session writes are. Any other error
// may mean SQLite rolled the transaction back, so the batch is retried one
// write per transaction.
type batchOp struct {
	ctx  context.Context
	fn   func(context.Context, *sqlcdb.Queries) error
	err  error
	done chan struct{}
}

// newCommitter starts the committer. A write found alone waits one
// scheduler round for company (groupcommit.Start's yieldAlone): under load
// most batches carried a single write, and each paid a whole commit.
func newCommitter(db *sql.DB, q *sqlcdb.Queries) *committer {
	c := &committer{db: db, q: q}
	c.queue = groupcommit.Start(maxBatch, true, errClosed, func(batch []*batchOp) {
		c.commit(batch)
		for _, op := range batch {
			close(op.done)
		}
	})
	return c
}

// do runs fn in a shared write transaction and returns once that
// transaction committed (or fn failed). A ctx that ends before the write
// starts cancels it; once started, the write finishes either way, because
// interrupting a statement would roll back the other writes of its batch.
func (c *committer) do(ctx context.Context, fn func(context.Context, *sqlcdb.Queries) error) error {
	op := &batchOp{ctx: ctx, fn: fn, done: make(chan struct{})}
	if err := c.queue.Send(ctx, op); err != nil {
		return err
	}
	<-op.done
	return op.err
}

// close stops the writer once the writes already queued are done.
func (c *committer) close() { c.queue.Close() }

// commit runs batch in one transaction; if that fails as a whole, it runs
// each write in a transaction of its own so that each gets its own answer.
func (c *committer) commit(batch []*batchOp) {
	if len(batch) > 1 && c.together(batch) == nil {
		return
	}
	for _, op := range batch {
		if op.err = op.ctx.Err(); op.err != nil {
			continue
		}
		op.err = c.alone(op)
	}
}

// together runs every write of batch in one transaction. On success each
// op.err is its write's own result; on error nothing was committed.
func (c *committer) together(batch []*batchOp) error {
	tx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	q := c.q.WithTx(tx)
	for _, op := range batch {
		if op.err = op.ctx.Err(); op.err != nil {
			continue
		}
		op.err = op.fn(context.WithoutCancel(op.ctx), q)
		if op.err != nil && !statementLevel(op.err) {
			return errors.Join(op.err, tx.Rollback())
		}
	}
	if err := tx.Commit(); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return nil
}

func (c *committer) alone(op *batchOp) error {
	tx, err := c.db.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	if err := op.fn(context.WithoutCancel(op.ctx), c.q.WithTx(tx)); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

// statementLevel reports whether err undid only the statement that failed,
// leaving the transaction open: a constraint violation (SQLite's default
// ABORT resolution) or no row found.
func statementLevel(err error) bool {
	if errors.Is(err, sql.ErrNoRows) {
		return true
	}
	code, ok := sqliteCode(err)
	return ok && code&0xff == sqlite3.SQLITE_CONSTRAINT
}

func sqliteCode(err error) (int, bool) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code(), true
	}
	return 0, false
}
