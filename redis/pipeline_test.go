package redis_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/coditect/coditect-license/redis"
)

// pipelineCounter is a go-redis hook that counts pipelines of INCRs and the
// INCRs in them, and can hold the first pipeline until released.
type pipelineCounter struct {
	pipelines, commands atomic.Int64
	hold                chan struct{} // when not nil, the next pipeline waits for it
	held                chan struct{} // closed when a pipeline is being held
	once                sync.Once
}

func (h *pipelineCounter) DialHook(next goredis.DialHook) goredis.DialHook { return next }
func (h *pipelineCounter) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return next
}
func (h *pipelineCounter) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		// Connection setup (HELLO, CLIENT SETINFO) is pipelined too; count
		// the tests' INCRs only.
		n := 0
		for _, c := range cmds {
			if c.Name() == "incr" {
				n++
			}
		}
		if n > 0 {
			h.pipelines.Add(1)
			h.commands.Add(int64(n))
		}
		if h.hold != nil {
			h.once.Do(func() {
				close(h.held)
				<-h.hold
			})
		}
		return next(ctx, cmds)
	}
}

// countedClient returns a client of its own on the test Redis, with a
// pipelineCounter hook.
func countedClient(t *testing.T) (goredis.UniversalClient, *pipelineCounter) {
	t.Helper()
	h := &pipelineCounter{}
	return hookedClient(t, h), h
}

// Calls from many goroutines at once share pipelines, and each gets its own
// reply.
func TestPipelinerSharesPipelines(t *testing.T) {
	t.Parallel()
	client, h := countedClient(t)
	prefix := newPrefix(t, client)
	p := redis.NewPipeliner(client)

	const workers, each = 64, 50
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			<-start
			key := fmt.Sprintf("%s:counter:%d", prefix, w)
			for i := 1; i <= each; i++ {
				cmd, err := p.Do(t.Context(), func(pipe goredis.Pipeliner) goredis.Cmder { return pipe.Incr(t.Context(), key) })
				if err != nil {
					errs <- err
					return
				}
				if got := cmd.(*goredis.IntCmd).Val(); got != int64(i) {
					errs <- fmt.Errorf("worker %d: INCR %d answered %d: replies went to the wrong callers or were lost", w, i, got)
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	pipelines, commands := h.pipelines.Load(), h.commands.Load()
	if commands != workers*each {
		t.Errorf("commands sent: got %d, want %d", commands, workers*each)
	}
	if pipelines >= commands/2 {
		t.Errorf("pipelines: got %d for %d commands, want them shared (fewer than half as many)", pipelines, commands)
	}
	t.Logf("%d commands in %d pipelines", commands, pipelines)
}

// A caller that stops waiting returns at once; the calls queued behind it
// are still sent, although the lead to send them passed through it.
func TestPipelinerCallerGivesUp(t *testing.T) {
	t.Parallel()
	client, h := countedClient(t)
	prefix := newPrefix(t, client)
	h.hold, h.held = make(chan struct{}), make(chan struct{})
	p := redis.NewPipeliner(client)
	incr := func(ctx context.Context, key string) (goredis.Cmder, error) {
		return p.Do(ctx, func(pipe goredis.Pipeliner) goredis.Cmder { return pipe.Incr(context.Background(), prefix+key) })
	}

	first := make(chan error, 1)
	go func() { _, err := incr(t.Context(), ":a"); first <- err }()
	<-h.held // the first pipeline is in flight, held

	// Queued behind it: one caller that gives up, then one that waits.
	ctx, cancel := context.WithCancel(t.Context())
	gaveUp := make(chan error, 1)
	go func() { _, err := incr(ctx, ":b"); gaveUp <- err }()
	time.Sleep(50 * time.Millisecond) // let b queue first
	waited := make(chan goredis.Cmder, 1)
	go func() {
		cmd, err := incr(t.Context(), ":c")
		if err != nil {
			t.Errorf("c: %v", err)
		}
		waited <- cmd
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-gaveUp:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("b: got %v, want context.Canceled", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("b did not return when its context ended")
	}

	close(h.hold)
	if err := <-first; err != nil {
		t.Errorf("a: %v", err)
	}
	select {
	case cmd := <-waited:
		if cmd == nil || cmd.Err() != nil {
			t.Fatalf("c: got %v, want its reply", cmd)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("c was never sent: the lead was lost with the caller that gave up")
	}
	// b's command was queued before it gave up, so it still ran.
	if got, err := client.Get(t.Context(), prefix+":b").Result(); err != nil || got != "1" {
		t.Errorf("b's INCR: got %q, %v; want it run once", got, err)
	}
}
