package chaos

import (
	"fmt"
	"math"
	"sync"
	"time"
)

// Kind is the kind of a client call.
type Kind uint8

// The client calls a history records.
const (
	Acquire Kind = iota + 1
	Heartbeat
	Release
)

func (k Kind) String() string {
	switch k {
	case Acquire:
		return "acquire"
	case Heartbeat:
		return "heartbeat"
	case Release:
		return "release"
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Result is what a call answered.
type Result uint8

// The answers a history records. Unknown is a call whose effect the client
// cannot know: a timeout, a broken connection, a 5xx. It may take effect at
// any time after its invocation, or never.
const (
	Granted  Result = iota + 1 // acquire: 201, a new session holds a seat
	Renewed                    // acquire: 200, the instance's existing session
	Refused                    // acquire: 409 seats_exhausted
	OK                         // heartbeat: 200
	Lost                       // heartbeat: 410, the lease is gone
	Released                   // release: 204
	Unknown
)

func (r Result) String() string {
	return [...]string{"?", "granted", "renewed", "refused", "ok", "lost", "released", "unknown"}[min(int(r), 7)]
}

// Never is the return time of an Unknown call.
const Never = math.MaxInt64

// Op is one recorded call. Times are nanoseconds on the history's clock,
// which is the wall clock (Unix nanoseconds), advanced monotonically.
type Op struct {
	Client  int
	License string
	Seats   int
	TTL     time.Duration
	// Instance identifies the client's copy of the product (fingerprint
	// and instance ID); it holds at most one session at a time.
	Instance string
	Kind     Kind
	// Session is the session the call names (heartbeat, release) or
	// received (a granted or renewed acquire).
	Session string
	Result  Result
	// ExpiresAt is the lease expiry the server reported (granted, renewed,
	// ok), in Unix nanoseconds.
	ExpiresAt int64
	Call      int64
	Return    int64
}

func (o Op) String() string {
	ret := "never"
	if o.Return != Never {
		ret = fmt.Sprintf("%+.3fs", float64(o.Return-o.Call)/1e9)
	}
	s := fmt.Sprintf("%s %s(%s", time.Unix(0, o.Call).UTC().Format("15:04:05.000"), o.Kind, o.Instance)
	if o.Kind != Acquire {
		s += " " + short(o.Session)
	}
	s += fmt.Sprintf(") -> %s", o.Result)
	if o.Kind == Acquire && o.Session != "" {
		s += " " + short(o.Session)
	}
	if o.ExpiresAt != 0 {
		s += " until " + time.Unix(0, o.ExpiresAt).UTC().Format("15:04:05.000")
	}
	return s + " [" + ret + "]"
}

func short(id string) string {
	if len(id) > 8 {
		return "…" + id[len(id)-8:]
	}
	return id
}

// History collects ops from many goroutines.
type History struct {
	start time.Time
	mu    sync.Mutex
	ops   []Op
}

// NewHistory returns an empty history whose clock starts now.
func NewHistory() *History {
	return &History{start: time.Now()}
}

// Now is the history's clock: Unix nanoseconds, measured monotonically
// from the history's start so that a wall-clock step cannot reorder calls.
func (h *History) Now() int64 {
	return h.start.UnixNano() + int64(time.Since(h.start))
}

// Add records a finished (or given up) call.
func (h *History) Add(op Op) {
	h.mu.Lock()
	h.ops = append(h.ops, op)
	h.mu.Unlock()
}

// Ops returns a copy of the recorded calls.
func (h *History) Ops() []Op {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]Op(nil), h.ops...)
}
