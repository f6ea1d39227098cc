// Package storetest is the conformance suite every coditect.Store
// implementation runs: the behaviour the rest of the platform relies on,
// written once.
//
// Every test creates its own tenants, so the suite also holds on one
// database shared by all tests. The cross-tenant methods (CountTenants,
// ListTenants, ListExpiredSessions, ListActiveSessions) and the
// deployment-wide ListSigningKeys see other tests' rows there, so their
// assertions only look at the tenants and keys the test made. The usage
// retention jobs (RollupUsage, DeleteUsage) change other tenants' rows, so
// their tests run one after another in eras long before any other test's.
package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	coditect "github.com/coditect/coditect-license"
)

// Run runs the whole suite. newStore is called once per test and returns a
// store that t.Cleanup closes; it may share one database between tests.
func Run(t *testing.T, newStore func(t *testing.T) coditect.Store) {
	t.Run("Tenants", func(t *testing.T) {
		t.Parallel()
		testTenants(t, newStore)
	})
	t.Run("Users", func(t *testing.T) {
		t.Parallel()
		testUsers(t, newStore)
	})
	t.Run("Licenses", func(t *testing.T) {
		t.Parallel()
		testLicenses(t, newStore)
	})
	t.Run("Sessions", func(t *testing.T) {
		t.Parallel()
		testSessions(t, newStore)
	})
	t.Run("OAuthClients", func(t *testing.T) {
		t.Parallel()
		testOAuthClients(t, newStore)
	})
	t.Run("RefreshTokens", func(t *testing.T) {
		t.Parallel()
		testRefreshTokens(t, newStore)
	})
	t.Run("Audit", func(t *testing.T) {
		t.Parallel()
		testAudit(t, newStore)
	})
	t.Run("SigningKeys", func(t *testing.T) {
		t.Parallel()
		testSigningKeys(t, newStore)
	})
	t.Run("Usage", func(t *testing.T) {
		t.Parallel()
		testUsage(t, newStore)
	})
	t.Run("Webhooks", func(t *testing.T) {
		t.Parallel()
		testWebhooks(t, newStore)
	})
}

// base is a time with a zone and sub-millisecond digits: stores return
// times in UTC truncated to the millisecond.
var base = time.Date(2030, 3, 4, 5, 6, 7, 891_234_567, time.FixedZone("UTC+2", 2*3600))

// stored is what a store gives back for a time it was given.
func stored(t time.Time) time.Time {
	return t.UTC().Truncate(time.Millisecond)
}

func storedPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	s := stored(*t)
	return &s
}

func newID() string {
	return uuid.Must(uuid.NewV7()).String()
}

func ptr[T any](v T) *T { return &v }

// show renders a value for a failure message.
func show(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := coditect.ErrorCode(err); got != code {
		t.Fatalf("got error code %q (%v), want %q", got, err, code)
	}
}

func noError(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("got error %v, want none", err)
	}
}

func createTenant(t *testing.T, s coditect.Store) *coditect.Tenant {
	t.Helper()
	tn := &coditect.Tenant{ID: newID(), Name: "Tenant " + t.Name(), CreatedAt: base}
	noError(t, s.CreateTenant(t.Context(), tn))
	return tn
}

func createLicense(t *testing.T, s coditect.Store, tenantID string, edit ...func(*coditect.License)) *coditect.License {
	t.Helper()
	id := newID()
	l := &coditect.License{
		ID:                       id,
		TenantID:                 tenantID,
		Name:                     "License " + id,
		Status:                   coditect.LicenseActive,
		Seats:                    5,
		Features:                 []string{},
		LeaseTTLSeconds:          360,
		HeartbeatIntervalSeconds: 120,
		OfflineGraceSeconds:      86_400,
		KeyDigest:                newID(),
		KeyPrefix:                "cl_" + id[len(id)-8:],
		Metadata:                 map[string]any{},
		CreatedAt:                base,
		UpdatedAt:                base,
	}
	for _, e := range edit {
		e(l)
	}
	noError(t, s.CreateLicense(t.Context(), l))
	return l
}

func createSession(t *testing.T, s coditect.Store, tenantID, licenseID string, edit ...func(*coditect.Session)) *coditect.Session {
	t.Helper()
	sess := newSession(tenantID, licenseID, edit...)
	noError(t, s.CreateSession(t.Context(), sess))
	return sess
}

func newSession(tenantID, licenseID string, edit ...func(*coditect.Session)) *coditect.Session {
	sess := &coditect.Session{
		ID:              newID(),
		TenantID:        tenantID,
		LicenseID:       licenseID,
		Fingerprint:     "fp-" + newID(),
		Metadata:        map[string]any{},
		Status:          coditect.SessionActive,
		StartedAt:       base,
		LastHeartbeatAt: base,
		ExpiresAt:       base.Add(6 * time.Minute),
	}
	for _, e := range edit {
		e(sess)
	}
	return sess
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, id(it))
	}
	return out
}

func licenseIDs(ls []*coditect.License) []string {
	return ids(ls, func(l *coditect.License) string { return l.ID })
}

func sessionIDs(ss []*coditect.Session) []string {
	return ids(ss, func(s *coditect.Session) string { return s.ID })
}
