package signing_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	"github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/signing"
)

func benchClaims(now time.Time) coditect.LicenseClaims {
	return coditect.LicenseClaims{
		Issuer: "coditect-license-server", LicenseID: "00000000-0000-4000-8000-000000000001",
		TenantID: "00000000-0000-4000-8000-000000000002", SessionID: "00000000-0000-4000-8000-000000000003",
		Fingerprint: "machine-1", Seats: 50, Features: []string{"export", "render"},
		IssuedAt: now, ExpiresAt: now.Add(72 * time.Hour),
	}
}

func benchSigner(b *testing.B) *signing.LicenseSigner {
	b.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	return &signing.LicenseSigner{Key: signing.NewKey(priv)}
}

// BenchmarkSignLicenseToken measures signing the Ed25519 license token that
// every acquire returns.
func BenchmarkSignLicenseToken(b *testing.B) {
	s := benchSigner(b)
	c := benchClaims(time.Now())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.SignLicenseToken(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyLicenseToken measures the offline check a client runs on a
// cached license token.
func BenchmarkVerifyLicenseToken(b *testing.B) {
	s := benchSigner(b)
	now := time.Now()
	tok, err := s.SignLicenseToken(benchClaims(now))
	if err != nil {
		b.Fatal(err)
	}
	keys := map[string]ed25519.PublicKey{s.Key.ID: s.Key.Public()}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := signing.VerifyLicenseToken(tok, keys, now); err != nil {
			b.Fatal(err)
		}
	}
}
