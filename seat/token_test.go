package seat_test

import (
	"bytes"
	"strings"
	"testing"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/seat"
)

var testSecret = bytes.Repeat([]byte{7}, 32)

func newTokens(t testing.TB, secret []byte) *seat.SessionTokens {
	t.Helper()
	tk, err := seat.NewSessionTokens(secret)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

var sampleClaims = seat.SessionClaims{TenantID: "t1", LicenseID: "l1", SessionID: "s1", LeaseTTLSeconds: 360, HeartbeatIntervalSeconds: 120}

func TestSessionTokens(t *testing.T) {
	t.Parallel()
	tk := newTokens(t, testSecret)
	token := tk.Sign(sampleClaims)

	t.Run("round trip", func(t *testing.T) {
		got, err := tk.Verify(token)
		if err != nil || got != sampleClaims {
			t.Fatalf("got %+v, %v, want %+v", got, err, sampleClaims)
		}
	})

	t.Run("another secret refuses it", func(t *testing.T) {
		other := newTokens(t, bytes.Repeat([]byte{8}, 32))
		if _, err := other.Verify(token); coditect.ErrorCode(err) != coditect.CodeInvalidToken {
			t.Fatalf("got %v, want invalid_token", err)
		}
	})

	t.Run("any changed character breaks it", func(t *testing.T) {
		for i := range len(token) {
			b := []byte(token)
			b[i] ^= 1
			if _, err := tk.Verify(string(b)); err == nil {
				t.Fatalf("token changed at byte %d verified", i)
			}
		}
	})

	t.Run("malformed tokens are refused", func(t *testing.T) {
		for _, bad := range []string{
			"", "st1", "st1.", "st1..", "st2." + strings.TrimPrefix(token, "st1."), "st1.!!!.AAAA",
			strings.Repeat("a", 2000), tk.Sign(seat.SessionClaims{TenantID: "t"}),
		} {
			if _, err := tk.Verify(bad); coditect.ErrorCode(err) != coditect.CodeInvalidToken {
				t.Errorf("Verify(%.40q): got %v, want invalid_token", bad, err)
			}
		}
	})
}

// FuzzSessionTokenVerify feeds untrusted tokens to the verifier: it must
// never panic, and whatever it accepts must be what was signed.
func FuzzSessionTokenVerify(f *testing.F) {
	tk := newTokens(f, testSecret)
	f.Add(tk.Sign(sampleClaims))
	f.Add("st1.e30.AAAA")
	f.Add("st1..")
	f.Add("garbage")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := tk.Verify(token)
		if err != nil {
			if coditect.ErrorCode(err) != coditect.CodeInvalidToken {
				t.Fatalf("got %v, want invalid_token", err)
			}
			return
		}
		if again := tk.Sign(c); again == "" {
			t.Fatal("accepted claims do not sign")
		}
		if c.TenantID == "" || c.SessionID == "" || c.LicenseID == "" {
			t.Fatalf("accepted incomplete claims %+v", c)
		}
	})
}
