package postgres_test

import (
	"testing"

	"github.com/coditect/coditect-license/postgres"
	"github.com/coditect/coditect-license/storetest"
)

// BenchmarkHotPath measures the store calls of an acquire and a release
// (storetest.HotPath), one call at a time but for CycleParallel: their cost is mostly round trips to the database and, for
// writes, the commit's WAL flush. With ?synchronous_commit=off on
// CODITECT_TEST_POSTGRES_URL the flush leaves the picture.
func BenchmarkHotPath(b *testing.B) {
	s, err := postgres.Open(b.Context(), postgres.Config{URL: postgres.TestURL(b), MaxConns: 8})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	storetest.HotPath(b, s, 4) // eight goroutines on eight connections
}
