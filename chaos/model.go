package chaos

import (
	"fmt"
	"hash/fnv"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/anishathalye/porcupine"
)

// tolerance absorbs the millisecond rounding of server times and the
// distance between the server's clock read and the client's.
const tolerance = int64(5 * time.Millisecond)

// holder is one instance's claim in the model. A ghost (empty session) is
// an acquire whose answer was lost: it may hold a seat or not. A holder
// that is not sure may have been released already. Expiry is known only
// within [expMin, expMax].
type holder struct {
	instance string
	session  string
	sure     bool
	// alt: an acquire with an unknown outcome may have replaced the
	// session by another one.
	alt            bool
	expMin, expMax int64
}

// pool is the model's state for one license: holders sorted by instance.
// Steps never modify a pool; they return a new one.
type pool []holder

func (p pool) find(instance string) int {
	i, ok := slices.BinarySearchFunc(p, instance, func(h holder, s string) int { return strings.Compare(h.instance, s) })
	if !ok {
		return -1
	}
	return i
}

func (p pool) put(h holder) pool {
	q := slices.Clone(p)
	i, ok := slices.BinarySearchFunc(q, h.instance, func(h holder, s string) int { return strings.Compare(h.instance, s) })
	if ok {
		q[i] = h
		return q
	}
	return slices.Insert(q, i, h)
}

func (p pool) remove(i int) pool {
	return slices.Delete(slices.Clone(p), i, i+1)
}

// surelyLive counts the holders other than instance that surely hold a
// lease live through time t.
func (p pool) surelyLive(instance string, t int64) int {
	n := 0
	for _, h := range p {
		if h.instance != instance && h.sure && h.session != "" && h.expMin > t {
			n++
		}
	}
	return n
}

// maybeLive counts the holders that may hold a lease live at time t.
func (p pool) maybeLive(t int64) int {
	n := 0
	for _, h := range p {
		if h.expMax > t {
			n++
		}
	}
	return n
}

// step applies one call to the pool. strict also demands that every
// refusal is justified by holders that may be live.
func step(p pool, op Op, strict bool) (bool, pool) {
	i := p.find(op.Instance)
	var cur *holder
	if i >= 0 {
		cur = &p[i]
	}
	liveThrough := op.Return + tolerance
	switch op.Kind {
	case Acquire:
		switch op.Result {
		case Granted:
			// A second seat for an instance whose session surely lives is a
			// seat counted twice.
			if cur != nil && cur.sure && cur.session != "" && cur.session != op.Session && cur.expMin > liveThrough {
				return false, p
			}
			if p.surelyLive(op.Instance, liveThrough) >= op.Seats {
				return false, p
			}
			return true, p.put(holder{instance: op.Instance, session: op.Session, sure: true, expMin: op.ExpiresAt, expMax: op.ExpiresAt})
		case Renewed:
			if cur != nil && cur.session == op.Session {
				if cur.expMax <= op.Call-tolerance {
					return false, p // a lapsed lease came back
				}
				h := *cur
				h.expMin, h.expMax = op.ExpiresAt, op.ExpiresAt
				return true, p.put(h)
			}
			// The instance's session was created by an acquire whose answer
			// was lost: it held a seat all along, so it must fit.
			if cur == nil || !(cur.session == "" || cur.alt || !cur.sure || cur.expMin <= liveThrough) {
				return false, p
			}
			if p.surelyLive(op.Instance, liveThrough) >= op.Seats {
				return false, p
			}
			return true, p.put(holder{instance: op.Instance, session: op.Session, sure: true, expMin: op.ExpiresAt, expMax: op.ExpiresAt})
		case Refused:
			if strict && p.maybeLive(op.Call-tolerance) < op.Seats {
				return false, p
			}
			return true, p
		default: // Unknown
			if cur == nil {
				return true, p.put(holder{instance: op.Instance, expMin: op.Call + int64(op.TTL) - tolerance, expMax: Never})
			}
			h := *cur
			h.expMax, h.alt = Never, true
			return true, p.put(h)
		}
	case Heartbeat:
		mine := cur != nil && cur.session == op.Session
		switch op.Result {
		case OK:
			if !mine || cur.expMax <= op.Call-tolerance {
				return false, p // a heartbeat kept a lease that was not live
			}
			h := *cur
			h.expMin, h.expMax = op.ExpiresAt, op.ExpiresAt
			return true, p.put(h)
		case Lost:
			if !mine {
				return true, p
			}
			if cur.sure && cur.expMin > liveThrough {
				return false, p // a lease the server promised was dropped early
			}
			return true, p.remove(i)
		default:
			if mine {
				h := *cur
				h.expMax = Never
				return true, p.put(h)
			}
			return true, p
		}
	case Release:
		if cur == nil || cur.session != op.Session {
			return true, p
		}
		if op.Result == Released {
			return true, p.remove(i)
		}
		h := *cur
		h.sure = false
		return true, p.put(h)
	}
	return false, p
}

// Model returns the seat-pool model, partitioned by license. With strict,
// a refusal must be justified by holders that may be live; without it,
// only grants and heartbeats are checked (the safety property: no
// oversell, no resurrected lease), which is what fault runs assert, since
// several documented behaviours under faults refuse while a seat is free.
func Model(strict bool) porcupine.Model {
	return porcupine.Model{
		Partition: partition,
		Init:      func() any { return pool(nil) },
		Step: func(state, input, _ any) (bool, any) {
			return step(state.(pool), input.(Op), strict)
		},
		Equal: func(a, b any) bool { return slices.Equal(a.(pool), b.(pool)) },
		Hash: func(s any) uint64 {
			f := fnv.New64a()
			for _, h := range s.(pool) {
				fmt.Fprintf(f, "%s|%s|%t|%t|%d|%d;", h.instance, h.session, h.sure, h.alt, h.expMin, h.expMax)
			}
			return f.Sum64()
		},
		DescribeOperation: func(input, _ any) string { return input.(Op).String() },
		DescribeState: func(s any) string {
			var b strings.Builder
			for _, h := range s.(pool) {
				fmt.Fprintf(&b, "%s:%s sure=%t until %s..%s; ", h.instance, short(h.session), h.sure, clock(h.expMin), clock(h.expMax))
			}
			return b.String()
		},
	}
}

func partition(ops []porcupine.Operation) [][]porcupine.Operation {
	byLicense := map[string][]porcupine.Operation{}
	var order []string
	for _, o := range ops {
		l := o.Input.(Op).License
		if _, ok := byLicense[l]; !ok {
			order = append(order, l)
		}
		byLicense[l] = append(byLicense[l], o)
	}
	out := make([][]porcupine.Operation, 0, len(order))
	for _, l := range order {
		out = append(out, byLicense[l])
	}
	return out
}

// Verdict is the outcome of Check.
type Verdict struct {
	// Result is porcupine's answer: Ok, Illegal (a violation) or Unknown
	// (the timeout ran out first).
	Result porcupine.CheckResult
	Ops    int
	info   porcupine.LinearizationInfo
	model  porcupine.Model
	hist   []porcupine.Operation
	strict bool
}

// Check checks a history for linearizability against the seat-pool model
// within timeout.
func Check(ops []Op, strict bool, timeout time.Duration) Verdict {
	hist := make([]porcupine.Operation, len(ops))
	for i, o := range ops {
		hist[i] = porcupine.Operation{ClientId: o.Client, Input: o, Output: o.Result, Call: o.Call, Return: o.Return}
	}
	m := Model(strict)
	res, info := porcupine.CheckOperationsVerbose(m, hist, timeout)
	return Verdict{Result: res, Ops: len(ops), info: info, model: m, hist: hist, strict: strict}
}

// Explain describes, for each license whose history is not linearizable,
// the model's state after the longest linearizable prefix and the first
// calls (by invocation) that could not follow it.
func (v Verdict) Explain(calls int) []string {
	var out []string
	parts := partition(v.hist)
	for i, partial := range v.info.PartialLinearizationsOperations() {
		longest := []porcupine.Operation(nil)
		for _, l := range partial {
			if len(l) > len(longest) {
				longest = l
			}
		}
		if i >= len(parts) || len(longest) == len(parts[i]) {
			continue
		}
		state := pool(nil)
		done := map[int64]map[string]bool{}
		for _, o := range longest {
			op := o.Input.(Op)
			_, state = step(state, op, v.strict)
			if done[op.Call] == nil {
				done[op.Call] = map[string]bool{}
			}
			done[op.Call][op.Instance] = true
		}
		var rest []Op
		for _, o := range parts[i] {
			op := o.Input.(Op)
			if !done[op.Call][op.Instance] && op.Result != Unknown {
				rest = append(rest, op)
			}
		}
		slices.SortFunc(rest, func(a, b Op) int { return cmp64(a.Call, b.Call) })
		desc := fmt.Sprintf("license %s: after %d of %d calls, holders: %s; next:", short(parts[i][0].Input.(Op).License),
			len(longest), len(parts[i]), v.model.DescribeState(state))
		for _, op := range rest[:min(calls, len(rest))] {
			desc += "\n    " + op.String()
		}
		out = append(out, desc)
	}
	return out
}

// Visualize writes porcupine's HTML view of the checked history, which
// shows the longest linearizable prefix of a failing partition.
func (v Verdict) Visualize(w io.Writer) error {
	return porcupine.Visualize(v.model, v.info, w)
}

func clock(ns int64) string {
	if ns == Never {
		return "never"
	}
	return time.Unix(0, ns).UTC().Format("15:04:05.000")
}
