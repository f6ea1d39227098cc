package chaos

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Overlap is an instant at which more clients were promised a seat of a
// license than it has.
type Overlap struct {
	License string
	Seats   int
	At      int64
	// Holders are the sessions promised a seat at that instant.
	Holders []string
}

func (o Overlap) String() string {
	return fmt.Sprintf("license %s: %d holders of %d seats at %s: %s", short(o.License), len(o.Holders), o.Seats,
		time.Unix(0, o.At).UTC().Format("15:04:05.000000"), strings.Join(o.Holders, ", "))
}

// promise is the interval during which a session was surely promised a
// seat.
type promise struct {
	license    string
	seats      int
	start, end int64
}

// Promises derives, per session, the interval [first grant's return, end)
// during which its client was promised a seat, where end is the earliest
// of the release's invocation, the return of a heartbeat that found the
// lease lost, and the latest expiry the server reported.
func promises(ops []Op) map[string]*promise {
	ps := map[string]*promise{}
	latest := map[string]int64{}
	for _, o := range ops {
		if o.Return == Never || o.Session == "" {
			continue
		}
		if o.Result == Granted || o.Result == Renewed || o.Result == OK {
			p := ps[o.Session]
			if p == nil {
				p = &promise{license: o.License, seats: o.Seats, start: Never, end: Never}
				ps[o.Session] = p
			}
			if o.Kind == Acquire {
				p.start = min(p.start, o.Return)
			}
			latest[o.Session] = max(latest[o.Session], o.ExpiresAt)
		}
	}
	for _, o := range ops {
		p := ps[o.Session]
		if p == nil {
			continue
		}
		switch {
		case o.Kind == Release:
			p.end = min(p.end, o.Call)
		case o.Kind == Heartbeat && o.Result == Lost:
			p.end = min(p.end, o.Return)
		}
	}
	for s, p := range ps {
		p.end = min(p.end, latest[s])
	}
	return ps
}

// Sweep returns, per license, the first instant at which more sessions
// were promised a seat than the license has; none means the invariant
// held. It costs O(n log n) and suits histories too long for Check.
func Sweep(ops []Op) []Overlap {
	type edge struct {
		at      int64
		delta   int
		session string
	}
	edges := map[string][]edge{}
	seats := map[string]int{}
	for s, p := range promises(ops) {
		if p.start == Never || p.end <= p.start {
			continue
		}
		seats[p.license] = p.seats
		edges[p.license] = append(edges[p.license], edge{p.start, +1, s}, edge{p.end, -1, s})
	}
	var out []Overlap
	for lic, es := range edges {
		// Ends sort before starts at the same instant: intervals are
		// half-open.
		slices.SortFunc(es, func(a, b edge) int {
			if a.at != b.at {
				return cmp64(a.at, b.at)
			}
			return a.delta - b.delta
		})
		live := map[string]bool{}
		for _, e := range es {
			if e.delta < 0 {
				delete(live, e.session)
				continue
			}
			live[e.session] = true
			if len(live) > seats[lic] {
				holders := make([]string, 0, len(live))
				for s := range live {
					holders = append(holders, s)
				}
				slices.Sort(holders)
				out = append(out, Overlap{License: lic, Seats: seats[lic], At: e.at, Holders: holders})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b Overlap) int { return strings.Compare(a.License, b.License) })
	return out
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
