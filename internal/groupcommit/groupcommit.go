// Package groupcommit is the loop of the stores' group committers
// (sqlite/batch.go, postgres/commit.go): the writes that many goroutines
// submit are handed to one goroutine, which takes all those waiting at that
// moment as one batch. Under load a batch carries many writes; idle it
// carries one and waits for nothing.
package groupcommit

import (
	"context"
	"runtime"
	"sync"
)

// A Queue hands submitted writes of type T to its commit function in
// batches, from one goroutine.
type Queue[T any] struct {
	ops       chan T
	quit      chan struct{}
	done      chan struct{}
	max       int
	yield     bool
	closedErr error
	commit    func(batch []T)

	mu     sync.RWMutex // held for reading while sending on ops
	closed bool
}

// Start starts the loop. commit gets each batch, at most max writes in the
// order they were submitted, and must answer every write in it (the Queue
// knows nothing of answers). With yieldAlone, a batch of one waits one
// scheduler round (runtime.Gosched) for company first: the goroutines
// runnable then, under load requests on their way to their own write,
// share its commit. Send answers closedErr after Close.
func Start[T any](max int, yieldAlone bool, closedErr error, commit func(batch []T)) *Queue[T] {
	q := &Queue[T]{
		ops: make(chan T, max), quit: make(chan struct{}), done: make(chan struct{}),
		max: max, yield: yieldAlone, closedErr: closedErr, commit: commit,
	}
	go q.run()
	return q
}

// Send submits op. It fails with ctx's error if ctx ends before op could be
// queued, and with the Queue's closed error after Close; otherwise op will
// be committed, also if Close follows.
func (q *Queue[T]) Send(ctx context.Context, op T) error {
	q.mu.RLock()
	defer q.mu.RUnlock()
	if q.closed {
		return q.closedErr
	}
	select {
	case q.ops <- op:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops the loop once the writes already queued are committed.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.quit) // no send can follow: senders hold mu for reading
	}
	q.mu.Unlock()
	<-q.done
}

func (q *Queue[T]) run() {
	defer close(q.done)
	batch := make([]T, 0, q.max)
	for {
		quitting := false
		select {
		case op := <-q.ops:
			batch = append(batch[:0], op)
		case <-q.quit:
			// Writes queued before Close are still made.
			quitting = true
			batch = batch[:0]
		}
		batch = q.collect(batch)
		if q.yield && len(batch) == 1 && !quitting {
			runtime.Gosched()
			batch = q.collect(batch)
		}
		if len(batch) > 0 {
			q.commit(batch)
		}
		if quitting && len(batch) == 0 {
			return
		}
		clear(batch) // drop the references until the next batch
	}
}

// collect adds the writes queued now to batch, up to max.
func (q *Queue[T]) collect(batch []T) []T {
	for len(batch) < q.max {
		select {
		case op := <-q.ops:
			batch = append(batch, op)
		default:
			return batch
		}
	}
	return batch
}

// Queued is how many submitted writes wait for the loop to take them.
func (q *Queue[T]) Queued() int { return len(q.ops) }

// Closed reports whether Close has begun.
func (q *Queue[T]) Closed() bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.closed
}
