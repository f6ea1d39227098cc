package memory_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/memory"
)

// reportCPU starts measuring the CPU time of the benchmark's thread; the
// function it returns reports it per op as cpu-ns/op. On a shared machine
// ns/op also counts the time other processes held the CPU, so cpu-ns/op
// compares runs better; it still counts the misses that other processes
// cause in shared caches. Call it just before the b.Loop loop:
//
//	defer reportCPU(b)()
func reportCPU(b *testing.B) func() {
	runtime.LockOSThread()
	start := threadCPU()
	return func() {
		if end := threadCPU(); start >= 0 && end >= 0 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(b.N), "cpu-ns/op")
		}
		runtime.UnlockOSThread()
	}
}

// scalingSizes are the numbers of live leases the scaling benchmarks hold.
var scalingSizes = []struct {
	name string
	n    int
}{{"1k", 1_000}, {"100k", 100_000}, {"1M", 1_000_000}}

// perLicense is the number of leases per license in the many-licenses layout.
const perLicense = 10

// licenseLayout returns the license of the i-th lease: one license for all,
// or n / perLicense licenses, lease i on license i mod n/perLicense.
func licenseLayout(layout string, n int) func(i int) string {
	if layout == "one-license" {
		return func(int) string { return "lic" }
	}
	lics := make([]string, n/perLicense)
	for j := range lics {
		lics[j] = fmt.Sprintf("lic-%d", j)
	}
	return func(i int) string { return lics[i%len(lics)] }
}

// coldIDs are session IDs that no lease of the benchmarks uses, enough that
// acquiring them in turn never finds the last ones still in a CPU cache.
var coldIDs = sync.OnceValue(func() []string {
	ids := make([]string, 1<<20)
	for i := range ids {
		ids[i] = fmt.Sprintf("00000000-0000-4000-9000-%012x", i)
	}
	return ids
})

// BenchmarkScaling measures the cost of one acquire (paired with the release
// that keeps the number of live leases constant) and one heartbeat with n
// live leases, all on one license or spread over many licenses of 10 leases
// each. docs/benchmarks.md holds its scaling table: the 1M figure should stay
// within 2x of the 1k figure.
//
// "acquire+release" cycles through 1024 new session IDs that are not UUIDs;
// "acquire+release-cold" acquires UUIDs never used before, each once, so
// the lease's table slot is never in a cache. "heartbeat" goes round robin
// over the n leases, "heartbeat-random" in a random order.
func BenchmarkScaling(b *testing.B) {
	for _, layout := range []string{"one-license", "many-licenses"} {
		for _, size := range scalingSizes {
			b.Run(layout+"/"+size.name, func(b *testing.B) {
				n := size.n
				ctx := b.Context()
				now := time.Now()
				licenseOf := licenseLayout(layout, n)
				ids := sessionIDs(n)
				l := memory.NewLedger()
				for i, id := range ids {
					if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: licenseOf(i), SessionID: id, TTL: time.Hour, Limit: math.MaxInt, Now: now}); err != nil {
						b.Fatal(err)
					}
				}
				// tick is the time of the next call: it only moves forward,
				// across sub-benchmarks too, as a server's clock does.
				tick := now
				acquireRelease := func(b *testing.B, fresh []string, prefix string) {
					b.ReportAllocs()
					defer reportCPU(b)()
					i := 0
					for b.Loop() {
						tick = tick.Add(1)
						lic, id := licenseOf(i), prefix+fresh[i%len(fresh)]
						res, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: lic, SessionID: id, TTL: time.Hour, Limit: math.MaxInt, Now: tick})
						if err != nil || !res.Granted {
							b.Fatalf("Acquire: got %+v, error %v, want a grant", res, err)
						}
						if err := l.Release(ctx, lic, id); err != nil {
							b.Fatal(err)
						}
						i++
					}
				}
				b.Run("acquire+release", func(b *testing.B) {
					acquireRelease(b, sessionIDs(1024), "new-")
				})
				b.Run("acquire+release-cold", func(b *testing.B) {
					acquireRelease(b, coldIDs(), "")
				})
				heartbeat := func(b *testing.B, lics, sessions []string) {
					b.ReportAllocs()
					defer reportCPU(b)()
					i := 0
					for b.Loop() {
						tick = tick.Add(1)
						_, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: lics[i%n], SessionID: sessions[i%n], TTL: time.Hour, Now: tick})
						if err != nil || !live {
							b.Fatalf("Heartbeat: got live=%t, error %v, want true, nil", live, err)
						}
						i++
					}
				}
				b.Run("heartbeat", func(b *testing.B) {
					lics := make([]string, n)
					for i := range lics {
						lics[i] = licenseOf(i)
					}
					heartbeat(b, lics, ids)
				})
				b.Run("heartbeat-random", func(b *testing.B) {
					// Copies of the IDs, laid out in the order they are used:
					// reading them costs the benchmark no cache misses of its
					// own, as a request's IDs are in cache when it calls the
					// ledger, so the ledger's misses are the ones measured.
					lics, sessions := make([]string, n), make([]string, n)
					for i, j := range rand.New(rand.NewPCG(1, 2)).Perm(n) {
						lics[i], sessions[i] = strings.Clone(licenseOf(j)), strings.Clone(ids[j])
					}
					heartbeat(b, lics, sessions)
				})
			})
		}
	}
}

// BenchmarkExpiring measures a heartbeat followed by a Count of its license
// in the steady state of a server: every lease is heartbeated three times
// per TTL, round robin, so the expiry it was queued under comes due once per
// TTL and the Count moves it to its real expiry. Unlike BenchmarkScaling,
// where no key ever comes due, this charges that work to the calls.
func BenchmarkExpiring(b *testing.B) {
	for _, layout := range []string{"one-license", "many-licenses"} {
		for _, size := range scalingSizes {
			b.Run(layout+"/"+size.name, func(b *testing.B) {
				n := size.n
				ctx := b.Context()
				licenseOf := licenseLayout(layout, n)
				ids := sessionIDs(n)
				// Call k happens at k*step; lease i is heartbeated at every k
				// = i mod n, and TTL is three rounds.
				const step = time.Microsecond
				start, lease := time.Unix(1_700_000_000, 0), 3*time.Duration(n)*step
				at := func(k int) time.Time { return start.Add(time.Duration(k) * step) }
				l := memory.NewLedger()
				// Start in the steady state: lease i was acquired one to
				// three rounds ago (by i mod 3, so that a third of the
				// queued expiries come due in each round) and heartbeated in
				// every round since.
				for round := -3; round < 0; round++ {
					for i, id := range ids {
						k := round*n + i
						switch first := -3 + i%3; {
						case round == first:
							if _, err := l.Acquire(ctx, coditect.AcquireParams{LicenseID: licenseOf(i), SessionID: id, TTL: lease, Limit: math.MaxInt, Now: at(k)}); err != nil {
								b.Fatal(err)
							}
						case round > first:
							if _, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: licenseOf(i), SessionID: id, TTL: lease, Now: at(k)}); err != nil || !live {
								b.Fatalf("Heartbeat: got live=%t, error %v, want true, nil", live, err)
							}
						}
					}
				}
				want := n
				if layout == "many-licenses" {
					want = perLicense
				}
				b.ReportAllocs()
				defer reportCPU(b)()
				k := 0
				for b.Loop() {
					i := k % n
					if _, live, err := l.Heartbeat(ctx, coditect.HeartbeatParams{LicenseID: licenseOf(i), SessionID: ids[i], TTL: lease, Now: at(k)}); err != nil || !live {
						b.Fatalf("Heartbeat: got live=%t, error %v, want true, nil", live, err)
					}
					if got, err := l.Count(ctx, licenseOf(i), at(k)); err != nil || got != want {
						b.Fatalf("Count: got %d, error %v, want %d", got, err, want)
					}
					k++
				}
			})
		}
	}
}
