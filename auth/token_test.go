package auth_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/auth"
	"github.com/golang-jwt/jwt/v5"
)

var issuedAt = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)

func newKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return priv
}

func newTokens(t *testing.T) *auth.Tokens {
	t.Helper()
	return &auth.Tokens{
		KeyID: "access-1", Key: newKey(t), Issuer: "https://license.example", Audience: "coditect-admin",
		TTL: 15 * time.Minute, Now: func() time.Time { return issuedAt }, NewID: func() string { return "jti-1" },
	}
}

// at returns a copy of tk whose clock reads now.
func at(tk *auth.Tokens, now time.Time) *auth.Tokens {
	c := *tk
	c.Now = func() time.Time { return now }
	return &c
}

func mustIssue(t *testing.T, tk *auth.Tokens, p auth.Principal) string {
	t.Helper()
	s, _, err := tk.Issue(p)
	if err != nil {
		t.Fatalf("Issue: got %v, want nil", err)
	}
	return s
}

// goodClaims are the claims Issue would write for admin, at issuedAt.
func goodClaims(tk *auth.Tokens) jwt.MapClaims {
	return jwt.MapClaims{
		"iss": tk.Issuer, "aud": []string{tk.Audience}, "sub": "user-1", "tid": "tenant-1", "role": "admin",
		"iat": issuedAt.Unix(), "nbf": issuedAt.Unix(), "exp": issuedAt.Add(tk.TTL).Unix(), "jti": "jti-x",
	}
}

// signBy signs claims by hand with the given method, key and header.
func signBy(t *testing.T, m jwt.SigningMethod, key any, header map[string]any, claims jwt.Claims) string {
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

func b64JSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func wantInvalidToken(t *testing.T, tk *auth.Tokens, token string) {
	t.Helper()
	p, err := tk.Verify(token)
	if got := coditect.ErrorCode(err); got != coditect.CodeInvalidToken {
		t.Fatalf("got code %q (%v), want %q", got, err, coditect.CodeInvalidToken)
	}
	if p != (auth.Principal{}) {
		t.Fatalf("got principal %+v, want the zero Principal", p)
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	tk := newTokens(t)
	admin := auth.Principal{TenantID: "tenant-1", UserID: "user-1", Role: coditect.RoleAdmin}
	token := mustIssue(t, tk, admin)
	header := map[string]any{"kid": tk.KeyID, "typ": auth.AccessTokenType}

	t.Run("a token round-trips the principal", func(t *testing.T) {
		t.Parallel()
		for _, p := range []auth.Principal{
			admin,
			{TenantID: "tenant-2", UserID: "user-2", Role: coditect.RoleOwner, PlatformAdmin: true},
			{TenantID: "tenant-3", UserID: "user-3", Role: coditect.RoleViewer},
		} {
			got, err := tk.Verify(mustIssue(t, tk, p))
			if err != nil || got != p {
				t.Errorf("got %+v, %v, want %+v, nil", got, err, p)
			}
		}
	})

	t.Run("Issue returns the TTL as the lifetime", func(t *testing.T) {
		t.Parallel()
		_, ttl, err := tk.Issue(admin)
		if err != nil || ttl != tk.TTL {
			t.Fatalf("got %v, %v, want %v, nil", ttl, err, tk.TTL)
		}
	})

	t.Run("the token carries kid, typ and the registered claims", func(t *testing.T) {
		t.Parallel()
		var claims auth.AccessClaims
		parsed, _, err := jwt.NewParser().ParseUnverified(token, &claims)
		if err != nil {
			t.Fatal(err)
		}
		if got := parsed.Header["kid"]; got != tk.KeyID {
			t.Errorf("got kid %v, want %q", got, tk.KeyID)
		}
		if got := parsed.Header["typ"]; got != auth.AccessTokenType {
			t.Errorf("got typ %v, want %q", got, auth.AccessTokenType)
		}
		if got := parsed.Header["alg"]; got != "EdDSA" {
			t.Errorf("got alg %v, want EdDSA", got)
		}
		if claims.Issuer != tk.Issuer || len(claims.Audience) != 1 || claims.Audience[0] != tk.Audience || claims.ID != "jti-1" {
			t.Errorf("got iss %q aud %v jti %q, want %q [%s] jti-1", claims.Issuer, claims.Audience, claims.ID, tk.Issuer, tk.Audience)
		}
		if !claims.IssuedAt.Equal(issuedAt) || !claims.NotBefore.Equal(issuedAt) || !claims.ExpiresAt.Equal(issuedAt.Add(tk.TTL)) {
			t.Errorf("got iat %v nbf %v exp %v, want %v, %v, %v", claims.IssuedAt, claims.NotBefore, claims.ExpiresAt, issuedAt, issuedAt, issuedAt.Add(tk.TTL))
		}
	})

	t.Run("a token is valid until just before its TTL ends", func(t *testing.T) {
		t.Parallel()
		if got, err := at(tk, issuedAt.Add(tk.TTL-time.Second)).Verify(token); err != nil || got != admin {
			t.Fatalf("got %+v, %v, want %+v, nil", got, err, admin)
		}
	})

	t.Run("an expired token is refused", func(t *testing.T) {
		t.Parallel()
		wantInvalidToken(t, at(tk, issuedAt.Add(tk.TTL)), token)
		wantInvalidToken(t, at(tk, issuedAt.Add(tk.TTL+time.Hour)), token)
	})

	t.Run("a token is refused before its not-before time", func(t *testing.T) {
		t.Parallel()
		wantInvalidToken(t, at(tk, issuedAt.Add(-time.Minute)), token)
	})

	t.Run("a token for another audience is refused", func(t *testing.T) {
		t.Parallel()
		other := *tk
		other.Audience = "coditect-portal"
		wantInvalidToken(t, tk, mustIssue(t, &other, admin))
	})

	t.Run("a token from another issuer is refused", func(t *testing.T) {
		t.Parallel()
		other := *tk
		other.Issuer = "https://evil.example"
		wantInvalidToken(t, tk, mustIssue(t, &other, admin))
	})

	t.Run("a token with an unknown kid is refused", func(t *testing.T) {
		t.Parallel()
		other := *tk
		other.KeyID = "access-2"
		wantInvalidToken(t, tk, mustIssue(t, &other, admin))
	})

	t.Run("a token signed by another key with the same kid is refused", func(t *testing.T) {
		t.Parallel()
		other := *tk
		other.Key = newKey(t)
		wantInvalidToken(t, tk, mustIssue(t, &other, admin))
	})

	t.Run("a token signed by hand with the right key and claims verifies", func(t *testing.T) {
		t.Parallel()
		// The control for the hand-made tokens below: each differs from
		// this one in the one thing its test names.
		got, err := tk.Verify(signBy(t, jwt.SigningMethodEdDSA, tk.Key, header, goodClaims(tk)))
		if err != nil || got != admin {
			t.Fatalf("got %+v, %v, want %+v, nil", got, err, admin)
		}
	})

	t.Run("an alg none token is refused", func(t *testing.T) {
		t.Parallel()
		unsigned := b64JSON(t, map[string]any{"alg": "none", "typ": auth.AccessTokenType, "kid": tk.KeyID}) + "." +
			b64JSON(t, goodClaims(tk)) + "."
		wantInvalidToken(t, tk, unsigned)
	})

	t.Run("an HS256 token keyed with the public key is refused", func(t *testing.T) {
		t.Parallel()
		pub := []byte(tk.Key.Public().(ed25519.PublicKey))
		wantInvalidToken(t, tk, signBy(t, jwt.SigningMethodHS256, pub, header, goodClaims(tk)))
	})

	t.Run("a tampered payload is refused", func(t *testing.T) {
		t.Parallel()
		parts := strings.Split(token, ".")
		claims := goodClaims(tk)
		claims["role"] = "owner"
		claims["jti"] = "jti-1"
		wantInvalidToken(t, tk, parts[0]+"."+b64JSON(t, claims)+"."+parts[2])
	})

	t.Run("a token of another type is refused", func(t *testing.T) {
		t.Parallel()
		for _, typ := range []any{"JWT", "coditect-license+jwt", nil} {
			h := map[string]any{"kid": tk.KeyID, "typ": typ}
			wantInvalidToken(t, tk, signBy(t, jwt.SigningMethodEdDSA, tk.Key, h, goodClaims(tk)))
		}
	})

	t.Run("the media type form of the access token type is accepted", func(t *testing.T) {
		t.Parallel()
		h := map[string]any{"kid": tk.KeyID, "typ": "application/" + auth.AccessTokenType}
		if got, err := tk.Verify(signBy(t, jwt.SigningMethodEdDSA, tk.Key, h, goodClaims(tk))); err != nil || got != admin {
			t.Fatalf("got %+v, %v, want %+v, nil", got, err, admin)
		}
	})

	t.Run("a token with missing or bad claims is refused", func(t *testing.T) {
		t.Parallel()
		for name, change := range map[string]func(jwt.MapClaims){
			"no tenant":      func(c jwt.MapClaims) { delete(c, "tid") },
			"empty tenant":   func(c jwt.MapClaims) { c["tid"] = "" },
			"no subject":     func(c jwt.MapClaims) { delete(c, "sub") },
			"no role":        func(c jwt.MapClaims) { delete(c, "role") },
			"unknown role":   func(c jwt.MapClaims) { c["role"] = "root" },
			"no expiry":      func(c jwt.MapClaims) { delete(c, "exp") },
			"no audience":    func(c jwt.MapClaims) { delete(c, "aud") },
			"no issuer":      func(c jwt.MapClaims) { delete(c, "iss") },
			"tenant not str": func(c jwt.MapClaims) { c["tid"] = 7 },
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				c := goodClaims(tk)
				change(c)
				wantInvalidToken(t, tk, signBy(t, jwt.SigningMethodEdDSA, tk.Key, header, c))
			})
		}
	})

	t.Run("garbage is refused", func(t *testing.T) {
		t.Parallel()
		for _, bad := range []string{"", "garbage", "a.b.c", "..", token + ".x", strings.Repeat("A", 4096)} {
			wantInvalidToken(t, tk, bad)
		}
	})
}
