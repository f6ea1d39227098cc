// Package clienttest helps test code that uses the client SDK: a fake
// license server speaking the client API (acquire, heartbeat, release,
// license status, JWKS) with real Ed25519 license tokens and fault
// injection, and a fake clock to drive leases without waiting.
package clienttest

import (
	"context"
	"slices"
	"sync"
	"time"
)

// Clock is a fake clock for client.Config.Now and client.Config.Sleep. Time
// moves only when the test says so. Like a real machine it has a wall clock
// (Now, which Set changes, as a user changing the system time would) and
// elapsed time (which only Advance moves): sleepers wake after their
// duration has elapsed, whatever the wall clock says.
type Clock struct {
	mu       sync.Mutex
	now      time.Time
	elapsed  time.Duration
	sleepers []*sleeper
	changed  chan struct{}
}

type sleeper struct {
	until time.Duration // in elapsed time
	wake  chan struct{}
}

// NewClock returns a clock reading start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, changed: make(chan struct{})}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep waits until the clock has moved d forward, or ctx is done.
func (c *Clock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	s := &sleeper{until: c.elapsed + d, wake: make(chan struct{})}
	c.sleepers = append(c.sleepers, s)
	c.signal()
	c.mu.Unlock()
	select {
	case <-s.wake:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		c.sleepers = slices.DeleteFunc(c.sleepers, func(x *sleeper) bool { return x == s })
		c.signal()
		c.mu.Unlock()
		return ctx.Err()
	}
}

// signal wakes WaitForSleepers; c.mu is held.
func (c *Clock) signal() {
	close(c.changed)
	c.changed = make(chan struct{})
}

// Advance lets d pass: the wall clock moves forward by d and the sleepers
// whose time is up wake.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.advanceLocked(d)
}

func (c *Clock) advanceLocked(d time.Duration) {
	c.now = c.now.Add(d)
	c.elapsed += d
	c.sleepers = slices.DeleteFunc(c.sleepers, func(s *sleeper) bool {
		if s.until <= c.elapsed {
			close(s.wake)
			return true
		}
		return false
	})
	c.signal()
}

// Set changes the wall clock to t, forward or back, as a user changing the
// system time would. Sleepers are not affected.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Sleepers returns how many goroutines are sleeping on the clock.
func (c *Clock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleepers)
}

// WaitForSleepers waits, in real time up to timeout, until at least n
// goroutines sleep on the clock, and reports whether they do.
func (c *Clock) WaitForSleepers(n int, timeout time.Duration) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		count, changed := len(c.sleepers), c.changed
		c.mu.Unlock()
		if count >= n {
			return true
		}
		select {
		case <-changed:
		case <-deadline.C:
			return false
		}
	}
}

// AdvanceToNext waits (in real time, up to timeout) for a sleeper, moves the
// clock to the earliest deadline and returns how far it moved; false when
// nobody slept within timeout.
func (c *Clock) AdvanceToNext(timeout time.Duration) (time.Duration, bool) {
	if !c.WaitForSleepers(1, timeout) {
		return 0, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.sleepers) == 0 {
		return 0, true
	}
	next := c.sleepers[0].until
	for _, s := range c.sleepers[1:] {
		next = min(next, s.until)
	}
	d := max(0, next-c.elapsed)
	c.advanceLocked(d)
	return d, true
}
