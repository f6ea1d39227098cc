package storetest

import (
	"slices"
	"testing"
)

// walkAscending pages through a list ordered by ascending ID, starting
// after from, n at a time, and returns every ID it saw. It fails the test
// unless IDs strictly ascend and pages hold at most n. It stops at the
// first short page or, when stop is not empty, at the first page that
// reaches stop: on a shared database, other tests may keep adding rows
// after it.
func walkAscending(t *testing.T, from string, n int, stop string, list func(after string, n int) ([]string, error)) []string {
	t.Helper()
	var got []string
	after := from
	for page := 0; ; page++ {
		if page > 10_000 {
			t.Fatal("pagination does not end")
		}
		ids, err := list(after, n)
		noError(t, err)
		if len(ids) > n {
			t.Fatalf("got page of %d, want at most %d", len(ids), n)
		}
		for _, id := range ids {
			if id <= after {
				t.Fatalf("got ID %s after %s, want ascending IDs", id, after)
			}
			after = id
		}
		got = append(got, ids...)
		if len(ids) < n || (stop != "" && slices.Contains(ids, stop)) {
			return got
		}
	}
}

// keep returns the members of ids that are in want, in their order.
func keep(ids, want []string) []string {
	out := []string{}
	for _, id := range ids {
		if slices.Contains(want, id) {
			out = append(out, id)
		}
	}
	return out
}

// wantLimits checks the page-size rule shared by the lists: 50 when
// unset, at least 1, at most 500. list returns how many rows a page of
// the given size holds; total is how many rows there are, more than 50.
func wantLimits(t *testing.T, total int, list func(limit int) (int, error)) {
	t.Helper()
	for _, tc := range []struct{ limit, want int }{{0, 50}, {-3, 1}, {1, 1}, {10, 10}, {1000, min(total, 500)}} {
		got, err := list(tc.limit)
		noError(t, err)
		if got != tc.want {
			t.Errorf("limit %d: got %d rows, want %d", tc.limit, got, tc.want)
		}
	}
}
