package memory_test

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/memory"
)

// BenchmarkScaling measures the cost of one acquire (paired with the release
// that keeps the number of live leases constant) and one heartbeat with n
// live leases, all on one license or spread over many licenses of 10 leases
// each. docs/benchmarks.md holds its scaling table: the 1M figure should stay
// within 2x of the 1k figure (costs are O(log n) in the leases of a license).
func BenchmarkScaling(b *testing.B) {
	const perLicense = 10
	for _, layout := range []string{"one-license", "many-licenses"} {
		for _, size := range []struct {
			name string
			n    int
		}{{"1k", 1_000}, {"100k", 100_000}, {"1M", 1_000_000}} {
			b.Run(layout+"/"+size.name, func(b *testing.B) {
				n := size.n
				ctx := b.Context()
				now := time.Now()
				licenseOf := func(i int) string { return "lic" }
				if layout == "many-licenses" {
					lics := make([]string, n/perLicense)
					for j := range lics {
						lics[j] = fmt.Sprintf("lic-%d", j)
					}
					licenseOf = func(i int) string { return lics[i%len(lics)] }
				}
				ids := sessionIDs(n)
				l := memory.NewLedger()
				for i, id := range ids {
					if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: licenseOf(i), SessionID: id, TTL: time.Hour, Limit: math.MaxInt, Now: now}); err != nil {
						b.Fatal(err)
					}
				}
				b.Run("acquire+release", func(b *testing.B) {
					fresh := sessionIDs(1024)
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						lic, id := licenseOf(i), "new-"+fresh[i%len(fresh)]
						res, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: lic, SessionID: id, TTL: time.Hour, Limit: math.MaxInt, Now: now.Add(time.Duration(i))})
						if err != nil || !res.Granted {
							b.Fatalf("Acquire: got %+v, error %v, want a grant", res, err)
						}
						if err := l.Release(ctx, lic, id); err != nil {
							b.Fatal(err)
						}
						i++
					}
				})
				b.Run("heartbeat", func(b *testing.B) {
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						_, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: licenseOf(i % n), SessionID: ids[i%n], TTL: time.Hour, Now: now.Add(time.Duration(i + 1))})
						if err != nil || !live {
							b.Fatalf("Heartbeat: got live=%t, error %v, want true, nil", live, err)
						}
						i++
					}
				})
			})
		}
	}
}
