package memory

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// parseUUIDByDigit is the obvious parser that parseUUID must agree with.
func parseUUIDByDigit(s string) (u [16]byte, ok bool) {
	if len(s) != 36 {
		return u, false
	}
	j := 0
	for i := 0; i < 36; i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if s[i] != '-' {
				return u, false
			}
			continue
		}
		d := strings.IndexByte("0123456789abcdef", s[i])
		if d < 0 {
			return u, false
		}
		u[j/2] |= byte(d) << (4 * (1 - j%2))
		j++
	}
	return u, true
}

func TestParseUUID(t *testing.T) {
	t.Parallel()
	// Bytes around the edges of the ranges the parser accepts.
	const alphabet = "0123456789abcdef-/:@AFG`gz\x00\x7f\x80\xb0\xe1\xff"
	r := rand.New(rand.NewPCG(1, 2))
	valid := func() []byte {
		b := []byte("00000000-0000-0000-0000-000000000000")
		for i := range b {
			if b[i] != '-' {
				b[i] = "0123456789abcdef"[r.IntN(16)]
			}
		}
		return b
	}
	inputs := []string{"", "0190a8c4-7b3e-7d1a-9f00-00000000abcd", "ffffffff-ffff-ffff-ffff-ffffffffffff", "00000000-0000-0000-0000-000000000000"}
	for range 100_000 {
		b := valid()
		// Spoil up to two bytes, so that most inputs are one mistake away.
		for range r.IntN(3) {
			b[r.IntN(len(b))] = alphabet[r.IntN(len(alphabet))]
		}
		inputs = append(inputs, string(b))
	}
	parsed := 0
	for _, s := range inputs {
		got, gotOK := parseUUID(s)
		want, wantOK := parseUUIDByDigit(s)
		if gotOK != wantOK || gotOK && got != want {
			t.Fatalf("parseUUID(%q): got %x, %t, want %x, %t", s, got, gotOK, want, wantOK)
		}
		if gotOK {
			parsed++
		}
	}
	if parsed < len(inputs)/4 || parsed == len(inputs) {
		t.Errorf("%d of %d inputs parsed: the test needs both kinds", parsed, len(inputs))
	}
}

func BenchmarkParseUUID(b *testing.B) {
	for b.Loop() {
		parseUUID("0190a8c4-7b3e-7d1a-9f00-00000000abcd")
	}
}
