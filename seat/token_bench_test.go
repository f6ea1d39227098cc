package seat_test

import (
	"bytes"
	"testing"

	"github.com/coditect/coditect-license/seat"
)

func benchTokens(b *testing.B) (*seat.SessionTokens, seat.SessionClaims) {
	b.Helper()
	tokens, err := seat.NewSessionTokens(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		b.Fatal(err)
	}
	return tokens, seat.SessionClaims{
		TenantID: "00000000-0000-4000-8000-000000000002", LicenseID: "00000000-0000-4000-8000-000000000001",
		SessionID: "00000000-0000-4000-8000-000000000003", LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120,
	}
}

// BenchmarkSessionTokenSign measures minting the session token of an acquire.
func BenchmarkSessionTokenSign(b *testing.B) {
	tokens, c := benchTokens(b)
	b.ReportAllocs()
	for b.Loop() {
		if tokens.Sign(c) == "" {
			b.Fatal("Sign: got an empty token")
		}
	}
}

// BenchmarkSessionTokenVerify measures the check every heartbeat and release
// runs instead of a store read.
func BenchmarkSessionTokenVerify(b *testing.B) {
	tokens, c := benchTokens(b)
	tok := tokens.Sign(c)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tokens.Verify(tok); err != nil {
			b.Fatal(err)
		}
	}
}
