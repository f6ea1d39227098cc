package signing_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/signing"
	"github.com/golang-jwt/jwt/v5"
)

var (
	issued = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	sample = coditect.LicenseClaims{
		Issuer: "https://license.example", LicenseID: "lic-1", TenantID: "tenant-1", SessionID: "sess-1",
		Fingerprint: "fp-laptop", Seats: 5, Features: []string{"export", "render"},
		IssuedAt: issued, ExpiresAt: issued.Add(72 * time.Hour),
	}
	// fuzzNow is when the fuzz target verifies: inside sample's validity.
	fuzzNow = issued.Add(time.Hour)
)

func mustSign(t testing.TB, k *signing.Key, c coditect.LicenseClaims) string {
	t.Helper()
	s, err := (&signing.LicenseSigner{Key: k}).SignLicenseToken(c)
	if err != nil {
		t.Fatalf("SignLicenseToken: got %v, want nil", err)
	}
	return s
}

// sampleMap is sample as the JSON members of a token payload.
func sampleMap() jwt.MapClaims {
	return jwt.MapClaims{
		"iss": sample.Issuer, "sub": sample.LicenseID, "tid": sample.TenantID, "sid": sample.SessionID,
		"fpr": sample.Fingerprint, "seats": sample.Seats, "features": sample.Features,
		"iat": sample.IssuedAt.Unix(), "nbf": sample.IssuedAt.Unix(), "exp": sample.ExpiresAt.Unix(),
	}
}

// signLicenseBy signs claims by hand with the given method, key and header.
func signLicenseBy(t testing.TB, m jwt.SigningMethod, key any, header map[string]any, claims jwt.Claims) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	for k, v := range header {
		tok.Header[k] = v
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign: got %v, want nil", err)
	}
	return s
}

func encodeSegment(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeSegment(t testing.TB, seg string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// tamper raises the seats of a token's payload and keeps its signature.
func tamper(t testing.TB, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload := decodeSegment(t, parts[1])
	payload["seats"] = 1000
	return parts[0] + "." + encodeSegment(t, payload) + "." + parts[2]
}

func wantInvalidLicense(t *testing.T, token string, keys map[string]ed25519.PublicKey, now time.Time) {
	t.Helper()
	c, err := signing.VerifyLicenseToken(token, keys, now)
	if got := coditect.ErrorCode(err); got != coditect.CodeInvalidToken {
		t.Fatalf("got code %q (%v), want %q", got, err, coditect.CodeInvalidToken)
	}
	if c != nil {
		t.Fatalf("got claims %+v, want nil", c)
	}
}

func TestLicenseToken(t *testing.T) {
	t.Parallel()
	key := signing.NewKey(rfc8037Key(t))
	keys := map[string]ed25519.PublicKey{key.ID: key.Public()}
	token := mustSign(t, key, sample)
	header := map[string]any{"kid": key.ID, "typ": signing.LicenseTokenType}

	t.Run("a token round-trips its claims", func(t *testing.T) {
		t.Parallel()
		c, err := signing.VerifyLicenseToken(token, keys, fuzzNow)
		if err != nil {
			t.Fatalf("got %v, want nil", err)
		}
		got := coditect.LicenseClaims{
			Issuer: c.Issuer, LicenseID: c.Subject, TenantID: c.TenantID, SessionID: c.SessionID,
			Fingerprint: c.Fingerprint, Seats: c.Seats, Features: c.Features,
			IssuedAt: c.IssuedAt.Time.UTC(), ExpiresAt: c.ExpiresAt.Time.UTC(),
		}
		if !reflect.DeepEqual(got, sample) {
			t.Fatalf("got %+v, want %+v", got, sample)
		}
		if !c.NotBefore.Equal(sample.IssuedAt) {
			t.Fatalf("got nbf %v, want %v", c.NotBefore, sample.IssuedAt)
		}
	})

	t.Run("the header carries the license type and the key ID", func(t *testing.T) {
		t.Parallel()
		h := decodeSegment(t, strings.Split(token, ".")[0])
		want := map[string]any{"alg": "EdDSA", "typ": "coditect-license+jwt", "kid": rfc8037Thumbprint}
		if len(h) != len(want) {
			t.Fatalf("got header %v, want %v", h, want)
		}
		for name, v := range want {
			if h[name] != v {
				t.Errorf("got %s %v, want %v", name, h[name], v)
			}
		}
	})

	t.Run("the payload uses the documented claim names", func(t *testing.T) {
		t.Parallel()
		got := decodeSegment(t, strings.Split(token, ".")[1])
		want := map[string]any{
			"iss": sample.Issuer, "sub": sample.LicenseID, "tid": sample.TenantID, "sid": sample.SessionID,
			"fpr": sample.Fingerprint, "seats": float64(sample.Seats), "features": []any{"export", "render"},
			"iat": float64(issued.Unix()), "nbf": float64(issued.Unix()), "exp": float64(sample.ExpiresAt.Unix()),
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got payload %v, want %v", got, want)
		}
	})

	t.Run("nil features are an empty array in the token", func(t *testing.T) {
		t.Parallel()
		c := sample
		c.Features = nil
		tok := mustSign(t, key, c)
		raw, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), `"features":[]`) {
			t.Fatalf("got payload %s, want \"features\":[]", raw)
		}
		got, err := signing.VerifyLicenseToken(tok, keys, fuzzNow)
		if err != nil || got.Features == nil || len(got.Features) != 0 {
			t.Fatalf("got features %#v (%v), want []string{}", got, err)
		}
	})

	t.Run("a token is valid until just before it expires", func(t *testing.T) {
		t.Parallel()
		if _, err := signing.VerifyLicenseToken(token, keys, sample.ExpiresAt.Add(-time.Second)); err != nil {
			t.Fatalf("got %v, want nil", err)
		}
	})

	t.Run("an expired token is refused", func(t *testing.T) {
		t.Parallel()
		wantInvalidLicense(t, token, keys, sample.ExpiresAt)
		wantInvalidLicense(t, token, keys, sample.ExpiresAt.Add(24*time.Hour))
	})

	t.Run("a token is refused before it is issued", func(t *testing.T) {
		t.Parallel()
		wantInvalidLicense(t, token, keys, issued.Add(-time.Minute))
	})

	t.Run("a token with an unknown kid is refused", func(t *testing.T) {
		t.Parallel()
		wantInvalidLicense(t, token, map[string]ed25519.PublicKey{"other": key.Public()}, fuzzNow)
		wantInvalidLicense(t, token, nil, fuzzNow)
	})

	t.Run("a token signed by another key with the same kid is refused", func(t *testing.T) {
		t.Parallel()
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		wantInvalidLicense(t, mustSign(t, &signing.Key{ID: key.ID, Private: priv}, sample), keys, fuzzNow)
	})

	t.Run("a token signed by hand with the right key and claims verifies", func(t *testing.T) {
		t.Parallel()
		// The control for the hand-made tokens below: each differs from
		// this one in the one thing its test names.
		c, err := signing.VerifyLicenseToken(signLicenseBy(t, jwt.SigningMethodEdDSA, key.Private, header, sampleMap()), keys, fuzzNow)
		if err != nil || c.Subject != sample.LicenseID {
			t.Fatalf("got %+v, %v, want subject %q", c, err, sample.LicenseID)
		}
	})

	t.Run("a token of another type is refused", func(t *testing.T) {
		t.Parallel()
		for _, typ := range []any{"JWT", "at+jwt", nil} {
			h := map[string]any{"kid": key.ID, "typ": typ}
			wantInvalidLicense(t, signLicenseBy(t, jwt.SigningMethodEdDSA, key.Private, h, sampleMap()), keys, fuzzNow)
		}
	})

	t.Run("an alg none token is refused", func(t *testing.T) {
		t.Parallel()
		unsigned := encodeSegment(t, map[string]any{"alg": "none", "typ": signing.LicenseTokenType, "kid": key.ID}) + "." +
			encodeSegment(t, sampleMap()) + "."
		wantInvalidLicense(t, unsigned, keys, fuzzNow)
	})

	t.Run("an HS256 token keyed with the public key is refused", func(t *testing.T) {
		t.Parallel()
		wantInvalidLicense(t, signLicenseBy(t, jwt.SigningMethodHS256, []byte(key.Public()), header, sampleMap()), keys, fuzzNow)
	})

	t.Run("a tampered payload is refused", func(t *testing.T) {
		t.Parallel()
		wantInvalidLicense(t, tamper(t, token), keys, fuzzNow)
	})

	t.Run("a token without an expiry is refused", func(t *testing.T) {
		t.Parallel()
		c := sampleMap()
		delete(c, "exp")
		wantInvalidLicense(t, signLicenseBy(t, jwt.SigningMethodEdDSA, key.Private, header, c), keys, fuzzNow)
	})

	t.Run("a token issued in the future is refused", func(t *testing.T) {
		t.Parallel()
		c := sampleMap()
		c["iat"] = fuzzNow.Add(time.Minute).Unix()
		wantInvalidLicense(t, signLicenseBy(t, jwt.SigningMethodEdDSA, key.Private, header, c), keys, fuzzNow)
	})

	t.Run("garbage is refused", func(t *testing.T) {
		t.Parallel()
		for _, bad := range []string{"", "garbage", "a.b.c", "..", token + ".x", strings.Repeat("A", 4096)} {
			wantInvalidLicense(t, bad, keys, fuzzNow)
		}
	})
}

// readSeed returns the string of a checked-in fuzz corpus file.
func readSeed(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fuzz", "FuzzVerifyLicenseToken", name))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "string(") {
		t.Fatalf("got %q, want a go test fuzz v1 file with one string", b)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFuzzCorpus(t *testing.T) {
	t.Parallel()
	key := signing.NewKey(rfc8037Key(t))
	keys := map[string]ed25519.PublicKey{key.ID: key.Public()}

	t.Run("the checked-in valid seed verifies", func(t *testing.T) {
		t.Parallel()
		c, err := signing.VerifyLicenseToken(readSeed(t, "valid"), keys, fuzzNow)
		if err != nil || c.Subject != sample.LicenseID {
			t.Fatalf("got %+v, %v, want subject %q", c, err, sample.LicenseID)
		}
	})

	t.Run("the checked-in tampered seed is the valid one with a changed payload", func(t *testing.T) {
		t.Parallel()
		valid, tampered := strings.Split(readSeed(t, "valid"), "."), strings.Split(readSeed(t, "tampered"), ".")
		if len(tampered) != 3 || tampered[0] != valid[0] || tampered[2] != valid[2] || tampered[1] == valid[1] {
			t.Fatalf("got %q, want the valid seed with only its payload changed", tampered)
		}
		wantInvalidLicense(t, strings.Join(tampered, "."), keys, fuzzNow)
	})
}

// FuzzVerifyLicenseToken feeds untrusted tokens to the verifier: it must
// never panic, and whatever it accepts must be what was signed.
func FuzzVerifyLicenseToken(f *testing.F) {
	key := signing.NewKey(rfc8037Key(f))
	keys := map[string]ed25519.PublicKey{key.ID: key.Public()}
	valid := mustSign(f, key, sample)
	f.Add(valid)
	f.Add(tamper(f, valid))
	f.Add("garbage")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, token string) {
		c, err := signing.VerifyLicenseToken(token, keys, fuzzNow)
		if err != nil {
			if code := coditect.ErrorCode(err); code != coditect.CodeInvalidToken || c != nil {
				t.Fatalf("got %+v, code %q (%v), want nil, %q", c, code, err, coditect.CodeInvalidToken)
			}
			return
		}
		tok, _, err := jwt.NewParser().ParseUnverified(token, jwt.MapClaims{})
		if err != nil {
			t.Fatalf("accepted a token that does not parse: %v", err)
		}
		if kid, _ := tok.Header["kid"].(string); keys[kid] == nil {
			t.Fatalf("accepted kid %q, want one of the known keys", kid)
		}
		if c.Subject == "" {
			t.Fatal("accepted a token with an empty sub")
		}
		if c.Subject != sample.LicenseID || c.TenantID != sample.TenantID || c.Seats != sample.Seats || !slices.Equal(c.Features, sample.Features) {
			t.Fatalf("got claims %+v, want only what was signed", c)
		}
	})
}
