package client_test

import (
	"crypto/ed25519"
	"errors"
	"strings"
	"testing"

	"github.com/coditect/coditect-license/client"
)

// FuzzVerifyLicenseToken feeds untrusted strings to the token verifier. It
// must never panic, must classify every failure as ErrTokenInvalid or
// ErrTokenExpired, and must accept only the tokens the test key signed: a
// fuzzer cannot forge Ed25519, so any other accepted string would be a
// second spelling of a token (or a hole). The seed corpus is in
// testdata/fuzz/FuzzVerifyLicenseToken.
func FuzzVerifyLicenseToken(f *testing.F) {
	valid := signToken(tokenKey, testHeader(), testPayload())
	fractional := signToken(tokenKey, testHeader(), with(testPayload(), "exp", float64(tokenNow.Unix())+3600.25))
	signed := map[string]bool{valid: true, fractional: true}
	parts := strings.Split(valid, ".")

	f.Add(valid)
	f.Add(fractional)
	f.Add(parts[0] + "." + encodeSegment(with(testPayload(), "seats", 500)) + "." + parts[2])
	f.Add(signToken(tokenKey, with(testHeader(), "alg", "none"), testPayload()))
	f.Add(signToken(tokenKey, testHeader(), with(testPayload(), "exp", tokenNow.Unix())))
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add("a.b.c")
	f.Add("..")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := client.VerifyLicenseToken(token, tokenKeys, tokenNow)
		if err != nil {
			if c != nil {
				t.Fatalf("got claims %+v with error %v", c, err)
			}
			invalid, expired := errors.Is(err, client.ErrTokenInvalid), errors.Is(err, client.ErrTokenExpired)
			if invalid == expired {
				t.Fatalf("got %v, want exactly one of ErrTokenInvalid and ErrTokenExpired", err)
			}
			return
		}
		if !signed[token] {
			t.Fatalf("a token the key never signed verified: %q", token)
		}
		if c.KeyID != "k1" || !c.ExpiresAt.After(tokenNow) {
			t.Fatalf("got kid %q exp %v, want k1 and after %v", c.KeyID, c.ExpiresAt, tokenNow)
		}
	})
}

// FuzzParseJWKS feeds untrusted key sets to the JWKS reader: no panics, and
// every key it returns is a 32-byte Ed25519 key with an ID.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"OKP","crv":"Ed25519","kid":"k1","use":"sig","alg":"EdDSA","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}]}`))
	f.Add([]byte(`{"keys":[{"kty":"RSA","kid":"r1"}]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := client.ParseJWKS(b)
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatal("got no keys and no error")
		}
		for kid, k := range keys {
			if kid == "" || len(k) != ed25519.PublicKeySize {
				t.Fatalf("got key %q of %d bytes", kid, len(k))
			}
		}
	})
}
