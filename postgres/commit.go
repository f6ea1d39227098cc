package postgres

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/coditect/coditect-license/internal/groupcommit"
	"github.com/coditect/coditect-license/postgres/internal/sqlcdb"
)

// maxBatch bounds how many writes share one transaction, and so how long
// the last of them waits for the commit.
const maxBatch = 128

// errClosed answers writes submitted after Close.
var errClosed = errors.New("postgres store is closed")

// A committer runs the hot writes (a session created, a session ended) of
// many goroutines in shared transactions: group commit. A write of one
// statement costs the server little; what it pays for is the round trip
// and above all the commit, a WAL flush. While one batch is on its way,
// the next collects; under load one commit carries dozens of writes, idle
// it carries one and costs what a lone call always did.
//
// A batch of one runs the write's own single-call path (the batch
// [tenant; statement] of scopedConn). A larger batch is one pgx batch, one
// round trip and one implicit transaction, like TouchSessions':
//
//	set tenant A; write 1; write 2; set tenant B; write 3; ...
//
// with a set_config before each write whose tenant differs from the
// previous one's, so that row-level security checks every write against
// its own tenant. No BEGIN and COMMIT: the server commits at the batch's
// Sync, and on an error it rolls the batch back at the Sync too and leaves
// the connection idle, whereas a failed explicit transaction would hand
// the connection back aborted and pgxpool would destroy it.
//
// Every write is acknowledged only after the transaction holding it
// committed, so durability is what it is for a write alone.
//
// A write whose caller's context ends before it is sent is not made. Once
// sent, a write alone is cut short by its caller's context, as it always
// was, but a shared batch only once the contexts of all its callers have
// ended: a caller that stops waiting cannot undo the writes of the others,
// and a batch stuck on a connection that went silent does not hold up the
// committer for longer than its callers wait.
type committer struct {
	pool  *pgxpool.Pool
	queue *groupcommit.Queue[*writeOp]
	live  []*writeOp // commit's buffer, used by the queue's goroutine only
}

// A writeOp is one write: one :execrows statement of one tenant.
//
// In a batch of several, a statement that fails rolls back the whole
// transaction; so shared must fail only where the write alone would fail
// too (TryCreateSession skips a taken unique key instead of failing).
// When the shared transaction fails all the same, and certainly did not
// commit, every write of the batch runs alone, so that each gets its own
// answer.
type writeOp struct {
	ctx      context.Context
	tenantID string
	id       string // the session's: writes are sent in (tenant, ID) order

	// shared queues the write's statement, for a batch of several.
	shared func(q *sqlcdb.Queries)
	// alone runs the write in a transaction of its own.
	alone func(ctx context.Context) (int64, error)

	n    int64 // rows the statement changed
	err  error
	done chan struct{}
}

func newCommitter(pool *pgxpool.Pool) *committer {
	c := &committer{pool: pool, live: make([]*writeOp, 0, maxBatch)}
	// No yield for a lone write here: it measured no gain (the round trip
	// already gives the next writes time to queue).
	c.queue = groupcommit.Start(maxBatch, false, errClosed, func(batch []*writeOp) {
		c.live = c.commit(batch, c.live[:0])
		clear(c.live)
		for _, op := range batch {
			close(op.done)
		}
	})
	return c
}

// do runs op, possibly in a transaction shared with other writes, and
// returns, once that transaction committed or the write failed, the rows
// its statement changed.
func (c *committer) do(op *writeOp) (int64, error) {
	op.done = make(chan struct{})
	if err := c.queue.Send(op.ctx, op); err != nil {
		return 0, err
	}
	<-op.done
	return op.n, op.err
}

// close stops the committer once the writes already queued are done.
func (c *committer) close() { c.queue.Close() }

// commit makes the writes of batch whose callers still wait, in one
// transaction when there are several. If that transaction fails and
// certainly did not commit, it runs each write in a transaction of its own
// so that each gets its own answer. It returns live, its buffer.
func (c *committer) commit(batch, live []*writeOp) []*writeOp {
	for _, op := range batch {
		if op.err = op.ctx.Err(); op.err == nil {
			live = append(live, op)
		}
	}
	if len(live) > 1 {
		err := c.together(live)
		if err == nil {
			return live
		}
		if !rolledBack(err) {
			// The batch may have committed: running its writes again
			// could make each of them twice. Each gets the error a write
			// alone would have got.
			for _, op := range live {
				op.err = err
			}
			return live
		}
	}
	for _, op := range live {
		if op.err = op.ctx.Err(); op.err != nil {
			continue
		}
		op.n, op.err = op.alone(op.ctx)
	}
	return live
}

// together sends the writes of ops as one batch: one round trip, one
// implicit transaction. On success each op.n is its statement's result;
// on error nothing was committed unless rolledBack says it may have been.
func (c *committer) together(ops []*writeOp) error {
	// The order in which rows are locked: TouchSessions' too, so that the
	// two do not deadlock on the same sessions. A stable sort keeps the
	// writes of one session in the order they came.
	slices.SortStableFunc(ops, func(a, b *writeOp) int {
		return cmp.Or(cmp.Compare(a.tenantID, b.tenantID), cmp.Compare(a.id, b.id))
	})
	var b pgx.Batch
	q := queue(&b)
	for i, op := range ops {
		if newTenant(ops, i) {
			_ = q.SetTenant(context.Background(), op.tenantID)
		}
		n := b.Len()
		op.shared(q)
		if b.Len() != n+1 {
			panic("postgres: a shared write must be one statement")
		}
	}
	ctx, stop := c.whileAwaited(ops)
	defer stop()
	br := c.pool.SendBatch(ctx, &b)
	for i, op := range ops {
		if newTenant(ops, i) {
			if _, err := br.Exec(); err != nil {
				return closeBatch(br, err)
			}
		}
		tag, err := br.Exec()
		if err != nil {
			return closeBatch(br, err)
		}
		op.n = tag.RowsAffected()
	}
	return br.Close()
}

// whileAwaited returns a context that ends once the contexts of all ops
// have ended, and a function that releases it.
func (c *committer) whileAwaited(ops []*writeOp) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var waiting atomic.Int64
	waiting.Store(int64(len(ops)))
	stops := make([]func() bool, len(ops))
	for i, op := range ops {
		stops[i] = context.AfterFunc(op.ctx, func() {
			if waiting.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}

// newTenant reports whether ops[i] needs a set_config of its own.
func newTenant(ops []*writeOp, i int) bool {
	return i == 0 || ops[i].tenantID != ops[i-1].tenantID
}

// rolledBack reports whether a batch that failed with err certainly did not
// commit: the server answered it with an ERROR, which aborts the implicit
// transaction and keeps the connection, or it was never sent. A FATAL
// error or a connection lost while the batch was under way leaves that
// open.
func rolledBack(err error) bool {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return cmp.Or(pe.SeverityUnlocalized, pe.Severity) == "ERROR"
	}
	return pgconn.SafeToRetry(err)
}
