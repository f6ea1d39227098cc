package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/coditect/coditect-license/storetest"
)

// BenchmarkHotPath measures the store calls of an acquire and a release.
// The writes go through the group committer: alone in Cycle (every
// transaction holds one write), shared in CycleParallel, where 64
// goroutines run cycles at once as a loaded server does.
func BenchmarkHotPath(b *testing.B) {
	storetest.HotPath(b, open(b, filepath.Join(b.TempDir(), "coditect.db")), 32)
}
