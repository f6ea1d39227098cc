//go:build chaos

package chaos_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/chaos"
	"github.com/coditect/coditect-license/httpapi"
	"github.com/coditect/coditect-license/memory"
	"github.com/coditect/coditect-license/seat"
	"github.com/coditect/coditect-license/signing"
	"github.com/coditect/coditect-license/sqlite"
	"github.com/google/uuid"
)

// overselling is the deliberately broken ledger: it grants every acquire,
// putting the lease in with Restore (which skips the limit) when the real
// ledger refuses. It exists only in this test package.
type overselling struct{ *memory.Ledger }

func (o overselling) Acquire(ctx context.Context, p coditect.AcquireParams) (coditect.AcquireResult, error) {
	res, err := o.Ledger.Acquire(ctx, p)
	if err != nil || res.Granted {
		return res, err
	}
	exp := p.Now.Add(p.TTL)
	if err := o.Ledger.Restore(ctx, p.LicenseID, []coditect.Lease{{SessionID: p.SessionID, ExpiresAt: exp}}, p.Now); err != nil {
		return res, err
	}
	return coditect.AcquireResult{Granted: true, ExpiresAt: exp, InUse: res.InUse + 1}, nil
}

func newID() string { return uuid.Must(uuid.NewV7()).String() }

// inProcess serves the client API over HTTP from this process: the seat
// service on a SQLite store and the given ledger. It returns the base URL
// and licenses of 2 seats each.
func inProcess(t *testing.T, ledger coditect.Ledger, licenses int) (string, []lic) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "chaos.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	tokens, err := seat.NewSessionTokens(secret)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := seat.New(seat.Config{
		Store: st, Ledger: ledger, Signer: &signing.LicenseSigner{Key: signing.NewKey(priv)},
		SessionTokens: tokens, Issuer: "chaos", Now: time.Now, NewID: newID,
	})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tenant := &coditect.Tenant{ID: newID(), Name: "Chaos", CreatedAt: now}
	if err := st.CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	var out []lic
	for i := range licenses {
		key, prefix, digest := coditect.NewLicenseKey()
		l := &coditect.License{
			ID: newID(), TenantID: tenant.ID, Name: fmt.Sprint("license ", i), Status: coditect.LicenseActive, Seats: 2,
			LeaseTTLSeconds: 300, HeartbeatIntervalSeconds: 100, KeyDigest: digest, KeyPrefix: prefix,
			Metadata: map[string]any{}, CreatedAt: now, UpdatedAt: now,
		}
		if err := st.CreateLicense(ctx, l); err != nil {
			t.Fatal(err)
		}
		out = append(out, lic{ID: l.ID, Key: key, Seats: l.Seats, TTL: l.LeaseTTL()})
	}
	srv := &httpapi.Server{Seats: svc, Store: st, Now: time.Now, NewID: newID}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts.URL, out
}

func runInProcess(t *testing.T, ledger coditect.Ledger) *workload {
	t.Helper()
	base, lics := inProcess(t, ledger, 3)
	w := &workload{bases: []string{base}, licenses: lics, perLicense: 6, beats: 2, think: 2 * time.Millisecond, timeout: 10 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	w.run(ctx)
	return w
}

// TestCheckerPassesOnCorrectLedger is the control: the workload against
// the real seat service and in-memory ledger passes every check, the
// strict model included.
func TestCheckerPassesOnCorrectLedger(t *testing.T) {
	w := runInProcess(t, memory.NewLedger())
	w.verify(t, true)
}

// TestCheckerCatchesOverselling proves the checker can fail: the same
// workload against a ledger that skips the limit must be reported by both
// the linearizability check and the invariant sweep.
func TestCheckerCatchesOverselling(t *testing.T) {
	w := runInProcess(t, overselling{memory.NewLedger()})
	ops := w.hist.Ops()
	overlaps := chaos.Sweep(ops)
	if len(overlaps) == 0 {
		t.Errorf("invariant sweep found no overlap in %d operations on an overselling ledger", len(ops))
	} else {
		t.Logf("invariant sweep, as expected: %s", overlaps[0])
	}
	start := time.Now()
	if v := chaos.Check(ops, false, 90*time.Second); v.Result != porcupine.Illegal {
		t.Errorf("linearizability check: got %v, want %v on an overselling ledger", v.Result, porcupine.Illegal)
	} else {
		t.Logf("linearizability check, as expected: %v (%d operations, %v)", v.Result, v.Ops, time.Since(start).Round(time.Millisecond))
	}
}
