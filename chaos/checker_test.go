package chaos_test

import (
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"github.com/coditect/coditect-license/chaos"
)

const (
	sec = int64(time.Second)
	ttl = 300 * time.Second
)

func acquire(client int, inst string, call, ret int64, res chaos.Result, session string) chaos.Op {
	op := chaos.Op{Client: client, License: "L", Seats: 2, TTL: ttl, Instance: inst, Kind: chaos.Acquire, Result: res, Session: session, Call: call, Return: ret}
	if res == chaos.Granted || res == chaos.Renewed {
		op.ExpiresAt = call + int64(ttl)
	}
	return op
}

func heartbeat(client int, inst, session string, call, ret int64, res chaos.Result, exp int64) chaos.Op {
	return chaos.Op{Client: client, License: "L", Seats: 2, TTL: ttl, Instance: inst, Kind: chaos.Heartbeat, Result: res, Session: session, ExpiresAt: exp, Call: call, Return: ret}
}

func release(client int, inst, session string, call, ret int64, res chaos.Result) chaos.Op {
	return chaos.Op{Client: client, License: "L", Seats: 2, TTL: ttl, Instance: inst, Kind: chaos.Release, Result: res, Session: session, Call: call, Return: ret}
}

func check(t *testing.T, ops []chaos.Op, strict bool) porcupine.CheckResult {
	t.Helper()
	return chaos.Check(ops, strict, 10*time.Second).Result
}

func TestChecker(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixNano()
	at := func(s float64) int64 { return base + int64(s*float64(sec)) }

	cases := []struct {
		name   string
		ops    []chaos.Op
		strict bool
		want   porcupine.CheckResult
		sweep  int // overlaps Sweep must find
	}{
		{"two grants for two seats", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			acquire(1, "b", at(0), at(1), chaos.Granted, "s2"),
			acquire(2, "c", at(2), at(3), chaos.Refused, ""),
		}, true, porcupine.Ok, 0},
		{"a third grant oversells", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			acquire(1, "b", at(0), at(1), chaos.Granted, "s2"),
			acquire(2, "c", at(2), at(3), chaos.Granted, "s3"),
		}, false, porcupine.Illegal, 1},
		{"a grant after a release fits", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			acquire(1, "b", at(0), at(1), chaos.Granted, "s2"),
			release(0, "a", "s1", at(2), at(3), chaos.Released),
			acquire(2, "c", at(2.5), at(4), chaos.Granted, "s3"),
		}, true, porcupine.Ok, 0},
		{"a grant before the release returned fits if concurrent", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			acquire(1, "b", at(0), at(1), chaos.Granted, "s2"),
			release(0, "a", "s1", at(2), at(5), chaos.Released),
			acquire(2, "c", at(3), at(4), chaos.Granted, "s3"),
		}, true, porcupine.Ok, 0},
		{"a grant that ends before the release starts oversells", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			acquire(1, "b", at(0), at(1), chaos.Granted, "s2"),
			acquire(2, "c", at(2), at(3), chaos.Granted, "s3"),
			release(0, "a", "s1", at(4), at(5), chaos.Released),
		}, false, porcupine.Illegal, 1},
		{"a heartbeat after the release is a resurrection", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			release(0, "a", "s1", at(2), at(3), chaos.Released),
			heartbeat(0, "a", "s1", at(4), at(5), chaos.OK, at(305)),
		}, false, porcupine.Illegal, 0},
		{"a live lease reported lost", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			heartbeat(0, "a", "s1", at(4), at(5), chaos.Lost, 0),
		}, false, porcupine.Illegal, 0},
		{"an expired lease frees its seat", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			acquire(1, "b", at(0), at(1), chaos.Granted, "s2"),
			acquire(2, "c", at(301), at(302), chaos.Granted, "s3"),
			heartbeat(0, "a", "s1", at(303), at(304), chaos.Lost, 0),
		}, true, porcupine.Ok, 0},
		{"a refusal with a free seat breaks the strict model only", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			acquire(2, "c", at(2), at(3), chaos.Refused, ""),
		}, true, porcupine.Illegal, 0},
		{"the same refusal passes the safety model", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			acquire(2, "c", at(2), at(3), chaos.Refused, ""),
		}, false, porcupine.Ok, 0},
		{"a lost answer retried returns the same session", []chaos.Op{
			acquire(0, "a", at(0), chaos.Never, chaos.Unknown, ""),
			acquire(0, "a", at(2), at(3), chaos.Renewed, "s1"),
			acquire(1, "b", at(4), at(5), chaos.Granted, "s2"),
			acquire(2, "c", at(6), at(7), chaos.Refused, ""),
		}, true, porcupine.Ok, 0},
		{"a lost answer justifies a refusal", []chaos.Op{
			acquire(0, "a", at(0), chaos.Never, chaos.Unknown, ""),
			acquire(1, "b", at(0), at(1), chaos.Granted, "s2"),
			acquire(2, "c", at(2), at(3), chaos.Refused, ""),
		}, true, porcupine.Ok, 0},
		{"a retried acquire must still fit", []chaos.Op{
			acquire(0, "a", at(0), chaos.Never, chaos.Unknown, ""),
			acquire(1, "b", at(1), at(2), chaos.Granted, "s2"),
			acquire(2, "c", at(1), at(2), chaos.Granted, "s3"),
			acquire(0, "a", at(3), at(4), chaos.Renewed, "s1"),
			heartbeat(1, "b", "s2", at(5), at(6), chaos.OK, at(306)),
			heartbeat(2, "c", "s3", at(5), at(6), chaos.OK, at(306)),
		}, false, porcupine.Illegal, 1},
		{"an unknown release may have freed the seat", []chaos.Op{
			acquire(0, "a", at(0), at(1), chaos.Granted, "s1"),
			acquire(1, "b", at(0), at(1), chaos.Granted, "s2"),
			release(0, "a", "s1", at(2), chaos.Never, chaos.Unknown),
			acquire(2, "c", at(3), at(4), chaos.Granted, "s3"),
		}, true, porcupine.Ok, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := check(t, tc.ops, tc.strict); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
			if got := chaos.Sweep(tc.ops); len(got) != tc.sweep {
				t.Errorf("got %d overlaps %v, want %d", len(got), got, tc.sweep)
			}
		})
	}
}

func TestHistoryClockIsWallTime(t *testing.T) {
	t.Parallel()
	h := chaos.NewHistory()
	now := time.Now().UnixNano()
	if d := h.Now() - now; d < -int64(time.Second) || d > int64(time.Second) {
		t.Fatalf("got history time %d ns off the wall clock, want within 1s", d)
	}
	h.Add(chaos.Op{Kind: chaos.Acquire})
	if got := len(h.Ops()); got != 1 {
		t.Fatalf("got %d ops, want 1", got)
	}
}

func TestViolationIsExplained(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixNano()
	ops := []chaos.Op{
		acquire(0, "a", base, base+sec, chaos.Granted, "session-1"),
		acquire(1, "b", base, base+sec, chaos.Granted, "session-2"),
		acquire(2, "c", base+2*sec, base+3*sec, chaos.Granted, "session-3"),
		heartbeat(0, "a", "session-1", base+4*sec, chaos.Never, chaos.Unknown, 0),
		release(1, "b", "session-2", base+4*sec, base+5*sec, chaos.Released),
	}
	v := chaos.Check(ops, false, 10*time.Second)
	if v.Result != porcupine.Illegal {
		t.Fatalf("got %v, want %v", v.Result, porcupine.Illegal)
	}
	got := v.Explain(3)
	if len(got) != 1 || !strings.Contains(got[0], "after 2 of 5 calls") || !strings.Contains(got[0], "acquire(c) -> granted") {
		t.Errorf("got explanation %q, want the third grant named after 2 of 5 calls", got)
	}
	var html strings.Builder
	if err := v.Visualize(&html); err != nil || !strings.Contains(html.String(), "<html") {
		t.Errorf("got visualization error %v, want an HTML page", err)
	}
	overlaps := chaos.Sweep(ops)
	if len(overlaps) != 1 || !strings.Contains(overlaps[0].String(), "3 holders of 2 seats") {
		t.Errorf("got overlaps %v, want one with 3 holders of 2 seats", overlaps)
	}
	for _, o := range ops {
		if s := o.String(); !strings.Contains(s, o.Kind.String()) || !strings.Contains(s, o.Result.String()) {
			t.Errorf("got %q, want kind and result named", s)
		}
	}
}
