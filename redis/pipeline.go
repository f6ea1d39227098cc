package redis

import (
	"context"
	"sync"

	goredis "github.com/redis/go-redis/v9"
)

// maxPipeline bounds how many calls share one pipeline.
const maxPipeline = 256

// A pipeliner sends the ledger calls that wait at the same time in one
// pipeline: one write and one read on the socket for all of them instead
// of one each. On a loopback connection the write syscall, which also
// delivers the bytes to Redis, was a third of a heartbeat's server CPU;
// Redis, too, reads and writes once per pipeline rather than per command.
//
// There is no goroutine of its own. A call that finds no pipeline in flight
// sends one with every call then waiting, its own included; a call that
// finds one in flight waits. When a pipeline comes back, the first of the
// calls that queued meanwhile is woken to send the next, so at most one
// pipeline is in flight and calls are sent in the order they came: a
// release sent after an acquire's answer is never overtaken by it. Idle, a
// call goes out at once, alone.
//
// The pipeline runs on a context of its own, bounded by the client's read
// and write timeouts: a caller whose context ends stops waiting, but its
// command, already queued, still runs, as it might have with a command of
// its own whose reply was lost. Every ledger call tolerates that.
type pipeliner struct {
	client goredis.UniversalClient

	mu      sync.Mutex
	queue   []*pipelineCall
	sending bool
}

// A pipelineCall is one command: add queues it on a pipeline; done is
// closed when its reply is in, lead when its caller must send the next
// pipeline (its own command among them).
type pipelineCall struct {
	add  func(goredis.Pipeliner) goredis.Cmder
	cmd  goredis.Cmder
	done chan struct{}
	lead chan struct{}
}

// do sends the command add queues and returns it with its reply or error,
// or ctx's error if ctx ends first.
func (p *pipeliner) do(ctx context.Context, add func(goredis.Pipeliner) goredis.Cmder) (goredis.Cmder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c := &pipelineCall{add: add, done: make(chan struct{}), lead: make(chan struct{})}
	p.mu.Lock()
	p.queue = append(p.queue, c)
	first := !p.sending
	p.sending = true
	p.mu.Unlock()
	if first {
		p.send()
		<-c.done // sent with the pipeline send just sent
		return c.cmd, nil
	}
	select {
	case <-c.done:
	case <-c.lead:
		p.send()
		<-c.done
	case <-ctx.Done():
		// Still queued or in flight: hand the lead on if it comes to c.
		go p.abandon(c)
		return nil, ctx.Err()
	}
	return c.cmd, nil
}

// abandon stands in for a caller that stopped waiting for c.
func (p *pipeliner) abandon(c *pipelineCall) {
	select {
	case <-c.done:
	case <-c.lead:
		p.send()
	}
}

// send sends the queued calls, up to maxPipeline, in one pipeline, answers
// them, then hands the lead to the first call still queued or ends the
// sending.
func (p *pipeliner) send() {
	p.mu.Lock()
	n := min(len(p.queue), maxPipeline)
	batch := p.queue[:n:n]
	p.queue = p.queue[n:]
	p.mu.Unlock()

	// Errors are per command; Pipelined returns the first of them.
	_, _ = p.client.Pipelined(context.Background(), func(pipe goredis.Pipeliner) error {
		for _, c := range batch {
			c.cmd = c.add(pipe)
		}
		return nil
	})
	for _, c := range batch {
		close(c.done)
	}
	clear(batch) // the queue's array still holds them until it grows anew

	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) == 0 {
		p.sending = false
		return
	}
	close(p.queue[0].lead)
}
