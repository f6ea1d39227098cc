package client_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coditect/coditect-license/client"
)

// The token tests sign with a fixed key, so that the fuzz corpus in
// testdata/fuzz holds tokens that verify.
var (
	tokenNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tokenKey = func() ed25519.PrivateKey {
		seed := sha256.Sum256([]byte("coditect-license client test key"))
		return ed25519.NewKeyFromSeed(seed[:])
	}()
	tokenKeys = map[string]ed25519.PublicKey{"k1": tokenKey.Public().(ed25519.PublicKey)}
)

func testHeader() map[string]any {
	return map[string]any{"alg": "EdDSA", "kid": "k1", "typ": client.TokenType}
}

func testPayload() map[string]any {
	return map[string]any{
		"iss": "https://license.example", "sub": "lic-1", "tid": "ten-1", "sid": "ses-1", "fpr": "fp-laptop",
		"seats": 5, "features": []string{"export", "render"},
		"iat": tokenNow.Add(-time.Hour).Unix(), "nbf": tokenNow.Add(-time.Hour).Unix(), "exp": tokenNow.Add(23 * time.Hour).Unix(),
	}
}

func encodeSegment(v any) string {
	if s, ok := v.(string); ok {
		return base64.RawURLEncoding.EncodeToString([]byte(s))
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// signToken signs a header and payload (maps, or raw JSON strings) with key.
func signToken(key ed25519.PrivateKey, header, payload any) string {
	input := encodeSegment(header) + "." + encodeSegment(payload)
	return input + "." + base64.RawURLEncoding.EncodeToString(ed25519.Sign(key, []byte(input)))
}

func with(m map[string]any, k string, v any) map[string]any {
	out := map[string]any{}
	for kk, vv := range m {
		out[kk] = vv
	}
	if v == nil {
		delete(out, k)
	} else {
		out[k] = v
	}
	return out
}

func TestVerifyLicenseToken(t *testing.T) {
	t.Parallel()
	valid := signToken(tokenKey, testHeader(), testPayload())

	t.Run("a valid token yields its claims", func(t *testing.T) {
		t.Parallel()
		c, err := client.VerifyLicenseToken(valid, tokenKeys, tokenNow)
		if err != nil {
			t.Fatal(err)
		}
		want := client.Claims{
			KeyID: "k1", Issuer: "https://license.example", LicenseID: "lic-1", TenantID: "ten-1", SessionID: "ses-1",
			Fingerprint: "fp-laptop", Seats: 5, Features: []string{"export", "render"},
			IssuedAt: tokenNow.Add(-time.Hour), NotBefore: tokenNow.Add(-time.Hour), ExpiresAt: tokenNow.Add(23 * time.Hour),
		}
		if got, _ := json.Marshal(c); string(got) != string(must(json.Marshal(want))) {
			t.Fatalf("got %s, want %s", got, must(json.Marshal(want)))
		}
		if !c.HasFeature("render") || c.HasFeature("admin") {
			t.Fatalf("got HasFeature render=%v admin=%v, want true and false", c.HasFeature("render"), c.HasFeature("admin"))
		}
	})

	t.Run("a fractional NumericDate is accepted", func(t *testing.T) {
		t.Parallel()
		tok := signToken(tokenKey, testHeader(), with(testPayload(), "exp", float64(tokenNow.Unix())+0.5))
		c, err := client.VerifyLicenseToken(tok, tokenKeys, tokenNow)
		if err != nil || c.ExpiresAt != tokenNow.Add(500*time.Millisecond) {
			t.Fatalf("got %v (%v), want exp half a second after now", c, err)
		}
	})

	t.Run("changing any claim breaks the signature", func(t *testing.T) {
		t.Parallel()
		parts := strings.Split(valid, ".")
		for claim, v := range testPayload() {
			var changed any
			switch v := v.(type) {
			case string:
				changed = v + "x"
			case int:
				changed = v + 1
			case int64:
				changed = v + 1
			default:
				changed = []string{"export", "render", "everything"}
			}
			forged := parts[0] + "." + encodeSegment(with(testPayload(), claim, changed)) + "." + parts[2]
			if _, err := client.VerifyLicenseToken(forged, tokenKeys, tokenNow); !errors.Is(err, client.ErrTokenInvalid) {
				t.Errorf("%s changed: got %v, want ErrTokenInvalid", claim, err)
			}
		}
	})

	_, otherKey, _ := ed25519.GenerateKey(nil)
	cases := []struct {
		name  string
		token string
		want  error
	}{
		{"expired at exactly now", signToken(tokenKey, testHeader(), with(testPayload(), "exp", tokenNow.Unix())), client.ErrTokenExpired},
		{"signed by another key", signToken(otherKey, testHeader(), testPayload()), client.ErrTokenInvalid},
		{"unknown kid", signToken(tokenKey, with(testHeader(), "kid", "k2"), testPayload()), client.ErrTokenInvalid},
		{"missing kid", signToken(tokenKey, with(testHeader(), "kid", nil), testPayload()), client.ErrTokenInvalid},
		{"alg none", signToken(tokenKey, with(testHeader(), "alg", "none"), testPayload()), client.ErrTokenInvalid},
		{"alg HS256", signToken(tokenKey, with(testHeader(), "alg", "HS256"), testPayload()), client.ErrTokenInvalid},
		{"typ JWT", signToken(tokenKey, with(testHeader(), "typ", "JWT"), testPayload()), client.ErrTokenInvalid},
		{"missing typ", signToken(tokenKey, with(testHeader(), "typ", nil), testPayload()), client.ErrTokenInvalid},
		{"critical header", signToken(tokenKey, with(testHeader(), "crit", []string{"exp"}), testPayload()), client.ErrTokenInvalid},
		{"header in other case", signToken(tokenKey, `{"ALG":"EdDSA","KID":"k1","TYP":"coditect-license+jwt"}`, testPayload()), client.ErrTokenInvalid},
		{"header not an object", signToken(tokenKey, `["EdDSA"]`, testPayload()), client.ErrTokenInvalid},
		{"payload not an object", signToken(tokenKey, testHeader(), `null`), client.ErrTokenInvalid},
		{"payload not JSON", signToken(tokenKey, testHeader(), `{"sub":`), client.ErrTokenInvalid},
		{"not valid before a minute from now", signToken(tokenKey, testHeader(), with(testPayload(), "nbf", tokenNow.Add(2*time.Minute).Unix())), client.ErrTokenInvalid},
		{"issued in the future", signToken(tokenKey, testHeader(), with(testPayload(), "iat", tokenNow.Add(2*time.Minute).Unix())), client.ErrTokenInvalid},
		{"seats as a string", signToken(tokenKey, testHeader(), with(testPayload(), "seats", "5")), client.ErrTokenInvalid},
		{"fractional seats", signToken(tokenKey, testHeader(), with(testPayload(), "seats", 1.5)), client.ErrTokenInvalid},
		{"negative seats", signToken(tokenKey, testHeader(), with(testPayload(), "seats", -1)), client.ErrTokenInvalid},
		{"features null", signToken(tokenKey, testHeader(), strings.Replace(string(must(json.Marshal(testPayload()))), `["export","render"]`, "null", 1)), client.ErrTokenInvalid},
		{"exp as a string", signToken(tokenKey, testHeader(), with(testPayload(), "exp", "tomorrow")), client.ErrTokenInvalid},
		{"exp negative", signToken(tokenKey, testHeader(), with(testPayload(), "exp", -1)), client.ErrTokenInvalid},
		{"exp past year 5000", signToken(tokenKey, testHeader(), with(testPayload(), "exp", 1e12)), client.ErrTokenInvalid},
		{"empty fpr", signToken(tokenKey, testHeader(), with(testPayload(), "fpr", "")), client.ErrTokenInvalid},
		{"two segments", strings.Join(strings.Split(valid, ".")[:2], "."), client.ErrTokenInvalid},
		{"four segments", valid + ".x", client.ErrTokenInvalid},
		{"an empty segment", strings.Split(valid, ".")[0] + ".." + strings.Split(valid, ".")[2], client.ErrTokenInvalid},
		{"padding", valid + "==", client.ErrTokenInvalid},
		{"a newline in the signature", valid[:len(valid)-10] + "\n" + valid[len(valid)-10:], client.ErrTokenInvalid},
		{"standard base64", strings.NewReplacer("-", "+", "_", "/").Replace(valid) + "+", client.ErrTokenInvalid},
		{"short signature", valid[:len(valid)-4], client.ErrTokenInvalid},
		{"empty", "", client.ErrTokenInvalid},
		{"oversized", valid + strings.Repeat("A", 20<<10), client.ErrTokenInvalid},
	}
	for _, claim := range []string{"iss", "sub", "tid", "sid", "fpr", "seats", "features", "iat", "nbf", "exp"} {
		cases = append(cases, struct {
			name  string
			token string
			want  error
		}{"missing " + claim, signToken(tokenKey, testHeader(), with(testPayload(), claim, nil)), client.ErrTokenInvalid})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, err := client.VerifyLicenseToken(tc.token, tokenKeys, tokenNow)
			if !errors.Is(err, tc.want) || c != nil {
				t.Fatalf("got %v, %v, want nil and %v", c, err, tc.want)
			}
			other := client.ErrTokenInvalid
			if tc.want == client.ErrTokenInvalid {
				other = client.ErrTokenExpired
			}
			if errors.Is(err, other) {
				t.Fatalf("got %v, which also matches %v", err, other)
			}
		})
	}

	t.Run("a minute of clock skew on nbf and iat is tolerated", func(t *testing.T) {
		t.Parallel()
		p := with(with(testPayload(), "nbf", tokenNow.Add(50*time.Second).Unix()), "iat", tokenNow.Add(50*time.Second).Unix())
		if _, err := client.VerifyLicenseToken(signToken(tokenKey, testHeader(), p), tokenKeys, tokenNow); err != nil {
			t.Fatalf("got %v, want a valid token", err)
		}
	})

	t.Run("a malformed pinned key is refused", func(t *testing.T) {
		t.Parallel()
		if _, err := client.VerifyLicenseToken(valid, map[string]ed25519.PublicKey{"k1": {1, 2, 3}}, tokenNow); !errors.Is(err, client.ErrTokenInvalid) {
			t.Fatalf("got %v, want ErrTokenInvalid", err)
		}
	})
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestParseJWKS(t *testing.T) {
	t.Parallel()
	x := base64.RawURLEncoding.EncodeToString(tokenKey.Public().(ed25519.PublicKey))

	t.Run("reads Ed25519 keys and skips others", func(t *testing.T) {
		t.Parallel()
		set := `{"keys":[
			{"kty":"RSA","kid":"r1","n":"AQAB","e":"AQAB"},
			{"kty":"OKP","crv":"X25519","kid":"x1","x":"` + x + `"},
			{"kty":"OKP","crv":"Ed25519","kid":"enc","use":"enc","x":"` + x + `"},
			{"kty":"OKP","crv":"Ed25519","kid":"k1","use":"sig","alg":"EdDSA","x":"` + x + `"}]}`
		keys, err := client.ParseJWKS([]byte(set))
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || !keys["k1"].Equal(tokenKey.Public()) {
			t.Fatalf("got %v, want only k1", keys)
		}
	})

	for name, set := range map[string]string{
		"not JSON":            `{"keys":`,
		"no keys":             `{"keys":[]}`,
		"only other keys":     `{"keys":[{"kty":"RSA","kid":"r1"}]}`,
		"short x":             `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"AAAA"}]}`,
		"x not base64url":     `{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","x":"!!"}]}`,
		"Ed25519 without kid": `{"keys":[{"kty":"OKP","crv":"Ed25519","x":"` + x + `"}]}`,
	} {
		t.Run("refuses "+name, func(t *testing.T) {
			t.Parallel()
			if keys, err := client.ParseJWKS([]byte(set)); err == nil {
				t.Fatalf("got %v, want an error", keys)
			}
		})
	}
}
