package groupcommit_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/coditect/coditect-license/internal/groupcommit"
)

var errClosed = errors.New("closed")

type op struct {
	i    int
	done chan struct{}
}

// recorder is a commit function that records its batches and answers each
// write; hold, when set, makes the first commit wait until it is closed.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	hold    chan struct{}
	held    chan struct{}
	once    sync.Once
}

func (r *recorder) commit(batch []*op) {
	if r.hold != nil {
		r.once.Do(func() { close(r.held); <-r.hold })
	}
	ids := make([]int, len(batch))
	for i, o := range batch {
		ids[i] = o.i
	}
	r.mu.Lock()
	r.batches = append(r.batches, ids)
	r.mu.Unlock()
	for _, o := range batch {
		close(o.done)
	}
}

func submit(t *testing.T, q *groupcommit.Queue[*op], i int) *op {
	t.Helper()
	o := &op{i: i, done: make(chan struct{})}
	if err := q.Send(t.Context(), o); err != nil {
		t.Fatalf("Send %d: %v", i, err)
	}
	return o
}

// Writes that wait while a batch commits go together in the next batch, in
// the order they were sent, at most max at a time; every write is committed
// once.
func TestBatchesWritesThatWait(t *testing.T) {
	t.Parallel()
	r := &recorder{hold: make(chan struct{}), held: make(chan struct{})}
	q := groupcommit.Start(4, false, errClosed, r.commit)
	first := submit(t, q, 0)
	<-r.held
	var later []*op
	for i := 1; i <= 4; i++ {
		later = append(later, submit(t, q, i))
	}
	if got := q.Queued(); got != 4 {
		t.Fatalf("queued while the first batch commits: got %d, want 4", got)
	}
	// The queue holds max writes; a fifth waits to be queued.
	fifth := make(chan *op, 1)
	go func() { fifth <- submit(t, q, 5) }()
	close(r.hold)
	<-first.done
	for _, o := range later {
		<-o.done
	}
	<-(<-fifth).done
	q.Close()
	if len(r.batches) < 3 || len(r.batches[0]) != 1 || len(r.batches[1]) != 4 {
		t.Fatalf("batches: got %v, want [0], then [1 2 3 4], then 5", r.batches)
	}
	for j, want := range []int{1, 2, 3, 4} {
		if r.batches[1][j] != want {
			t.Fatalf("second batch: got %v, want [1 2 3 4] in order", r.batches[1])
		}
	}
	if last := r.batches[len(r.batches)-1]; len(last) != 1 || last[0] != 5 {
		t.Fatalf("batches: got %v, want 5 alone last", r.batches)
	}
}

// Close commits what is queued, then refuses; a done context refuses too.
func TestCloseAndCanceledContexts(t *testing.T) {
	t.Parallel()
	r := &recorder{hold: make(chan struct{}), held: make(chan struct{})}
	q := groupcommit.Start(128, true, errClosed, r.commit)
	first := submit(t, q, 0)
	<-r.held
	queued := submit(t, q, 1)
	closed := make(chan struct{})
	go func() { q.Close(); close(closed) }()
	for !q.Closed() {
		time.Sleep(time.Millisecond)
	}
	if err := q.Send(t.Context(), &op{i: 2, done: make(chan struct{})}); !errors.Is(err, errClosed) {
		t.Errorf("Send after Close: got %v, want the closed error", err)
	}
	close(r.hold)
	<-first.done
	<-queued.done // queued before Close: still committed
	<-closed

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	q2 := groupcommit.Start(1, false, errClosed, r.commit)
	defer q2.Close()
	submit(t, q2, 3) // fills the one-slot queue or is taken at once
	for range 3 {
		if err := q2.Send(ctx, &op{i: 9, done: make(chan struct{})}); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Send with a canceled context: got %v, want nil or context.Canceled", err)
		}
	}
}

// Many goroutines: each write committed exactly once, under -race.
func TestManyWriters(t *testing.T) {
	t.Parallel()
	r := &recorder{}
	q := groupcommit.Start(16, true, errClosed, r.commit)
	var wg sync.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := range 50 {
				o := submit(t, q, w*1000+i)
				<-o.done
			}
		})
	}
	wg.Wait()
	q.Close()
	seen := map[int]int{}
	for _, b := range r.batches {
		if len(b) > 16 {
			t.Errorf("batch of %d, want at most 16", len(b))
		}
		for _, i := range b {
			seen[i]++
		}
	}
	if len(seen) != 32*50 {
		t.Errorf("writes committed: got %d distinct, want %d", len(seen), 32*50)
	}
	for i, n := range seen {
		if n != 1 {
			t.Errorf("write %d committed %d times", i, n)
		}
	}
}
