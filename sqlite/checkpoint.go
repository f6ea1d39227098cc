package sqlite

import (
	"context"
	"database/sql"
	"time"
)

// checkpointInterval is how often the checkpointer looks for new commits.
// Under a full load of acquires and releases the WAL grows by about 45 MB/s
// on the benchmark machine, so it stays near 12 MB. 100 ms and 1 s measured
// the same throughput (BenchmarkHotPath/CycleParallel).
const checkpointInterval = 250 * time.Millisecond

// walSafetyNet is wal_autocheckpoint of the write connection, in pages: a
// commit checkpoints by itself only when the WAL has grown this far, which
// happens only if the checkpointer cannot keep up or keeps failing.
const walSafetyNet = 16384 // 64 MiB of 4 KiB pages

// A checkpointer copies committed pages from the WAL into the database file
// from a connection of its own, so that commits do not.
//
// With SQLite's default, the commit that takes the WAL past 1000 pages runs
// the checkpoint: it copies the pages and, with synchronous=NORMAL, fsyncs
// the WAL and the database file, all while holding the one write
// connection. Under load that was every few dozen commits, and every
// acquire and release queued behind the fsyncs (a third of the cycle
// throughput). A PASSIVE checkpoint on another connection runs beside the
// writer and never blocks it; the writer rewinds the WAL at its next
// transaction once everything has been copied.
//
// Durability is unchanged: a commit is in the WAL before it is
// acknowledged, whoever copies it later.
type checkpointer struct {
	db   *sql.DB
	quit chan struct{}
	done chan struct{}
}

func newCheckpointer(db *sql.DB, every time.Duration) *checkpointer {
	c := &checkpointer{db: db, quit: make(chan struct{}), done: make(chan struct{})}
	go c.run(every)
	return c
}

func (c *checkpointer) run(every time.Duration) {
	defer close(c.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	last := int64(-1)
	for {
		select {
		case <-c.quit:
			return
		case <-tick.C:
		}
		// data_version changes when another connection commits; it is read
		// from shared memory, so an idle server does no I/O here.
		var v int64
		if err := c.db.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&v); err != nil || v == last {
			continue
		}
		// A failed or partial (busy) checkpoint is retried at the next tick;
		// the write connection's own autocheckpoint bounds the WAL if these
		// keep failing.
		var busy, logged, copied int64
		if err := c.db.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logged, &copied); err != nil {
			continue
		}
		if busy == 0 && copied == logged {
			last = v
		}
	}
}

// close stops the checkpointer; the last connection to close checkpoints
// whatever is left.
func (c *checkpointer) close() {
	close(c.quit)
	<-c.done
}
