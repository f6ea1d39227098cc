package auth_test

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/coditect/coditect-license/auth"
	"golang.org/x/crypto/argon2"
)

const password = "correct horse battery staple"

func mustHash(t *testing.T, pw string) string {
	t.Helper()
	h, err := auth.HashPassword(pw)
	if err != nil {
		t.Fatalf("HashPassword: got %v, want nil", err)
	}
	return h
}

// cheapHash builds a PHC argon2id string with the given parameters, as
// another implementation (or an older version of ours) would store it.
func cheapHash(t *testing.T, pw string, mem, iter uint32, threads uint8) string {
	t.Helper()
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte(pw), salt, iter, mem, threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, mem, iter, threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

func TestPassword(t *testing.T) {
	t.Parallel()
	hash := mustHash(t, password)

	t.Run("the right password verifies", func(t *testing.T) {
		t.Parallel()
		if ok, err := auth.VerifyPassword(hash, password); !ok || err != nil {
			t.Fatalf("got %v, %v, want true, nil", ok, err)
		}
	})

	t.Run("a wrong password does not verify", func(t *testing.T) {
		t.Parallel()
		for _, pw := range []string{"", "correct horse battery stapl", password + " ", strings.ToUpper(password)} {
			if ok, err := auth.VerifyPassword(hash, pw); ok || err != nil {
				t.Errorf("VerifyPassword(%q): got %v, %v, want false, nil", pw, ok, err)
			}
		}
	})

	t.Run("two hashes of one password differ by their salt", func(t *testing.T) {
		t.Parallel()
		other := mustHash(t, password)
		if other == hash {
			t.Fatalf("got the same hash twice %q, want different salts", hash)
		}
		if salt, otherSalt := strings.Split(hash, "$")[4], strings.Split(other, "$")[4]; salt == otherSalt {
			t.Fatalf("got salt %q twice, want different salts", salt)
		}
		if ok, err := auth.VerifyPassword(other, password); !ok || err != nil {
			t.Fatalf("got %v, %v, want true, nil", ok, err)
		}
	})

	t.Run("the hash is a PHC string with the OWASP parameters", func(t *testing.T) {
		t.Parallel()
		const want = "$argon2id$v=19$m=19456,t=2,p=1$"
		if !strings.HasPrefix(hash, want) {
			t.Fatalf("got %q, want prefix %q", hash, want)
		}
		parts := strings.Split(hash, "$")
		if len(parts) != 6 {
			t.Fatalf("got %d $-separated parts, want 6", len(parts))
		}
		salt, err := base64.RawStdEncoding.DecodeString(parts[4])
		if err != nil || len(salt) != 16 {
			t.Fatalf("got salt of %d bytes (%v), want 16", len(salt), err)
		}
		key, err := base64.RawStdEncoding.DecodeString(parts[5])
		if err != nil || len(key) != 32 {
			t.Fatalf("got key of %d bytes (%v), want 32", len(key), err)
		}
	})

	t.Run("a hash made with other parameters verifies", func(t *testing.T) {
		t.Parallel()
		h := cheapHash(t, password, 64, 1, 2)
		if ok, err := auth.VerifyPassword(h, password); !ok || err != nil {
			t.Fatalf("got %v, %v, want true, nil", ok, err)
		}
		if ok, err := auth.VerifyPassword(h, "wrong"); ok || err != nil {
			t.Fatalf("wrong password: got %v, %v, want false, nil", ok, err)
		}
	})

	t.Run("a password of the maximum length is hashed", func(t *testing.T) {
		t.Parallel()
		pw := strings.Repeat("a", auth.MaxPasswordLength)
		if ok, err := auth.VerifyPassword(mustHash(t, pw), pw); !ok || err != nil {
			t.Fatalf("got %v, %v, want true, nil", ok, err)
		}
	})

	t.Run("HashPassword refuses a too-long password", func(t *testing.T) {
		t.Parallel()
		h, err := auth.HashPassword(strings.Repeat("a", auth.MaxPasswordLength+1))
		if err == nil || h != "" {
			t.Fatalf("got %q, %v, want an error", h, err)
		}
	})

	t.Run("VerifyPassword returns false for a too-long password", func(t *testing.T) {
		t.Parallel()
		pw := strings.Repeat("a", auth.MaxPasswordLength+1)
		// The hash matches pw: only the length bound can refuse it.
		if ok, err := auth.VerifyPassword(cheapHash(t, pw, 64, 1, 1), pw); ok || err != nil {
			t.Fatalf("got %v, %v, want false, nil", ok, err)
		}
	})

	t.Run("malformed hashes are errors", func(t *testing.T) {
		t.Parallel()
		parts := strings.Split(hash, "$")
		with := func(i int, v string) string {
			p := append([]string(nil), parts...)
			p[i] = v
			return strings.Join(p, "$")
		}
		for name, bad := range map[string]string{
			"empty":                    "",
			"bcrypt":                   "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
			"argon2i":                  with(1, "argon2i"),
			"too few parts":            strings.Join(parts[:5], "$"),
			"too many parts":           hash + "$extra",
			"no version":               with(2, "19"),
			"old version":              with(2, "v=16"),
			"version with a suffix":    with(2, "v=19x"),
			"no parameters":            with(3, ""),
			"parameters misordered":    with(3, "t=2,m=19456,p=1"),
			"parameter not a number":   with(3, "m=lots,t=2,p=1"),
			"parameters with a suffix": with(3, "m=19456,t=2,p=1,x=3"),
			"zero memory":              with(3, "m=0,t=2,p=1"),
			"huge memory":              with(3, "m=4194305,t=2,p=1"),
			"zero passes":              with(3, "m=19456,t=0,p=1"),
			"too many passes":          with(3, "m=19456,t=17,p=1"),
			"zero lanes":               with(3, "m=19456,t=2,p=0"),
			"lanes overflow":           with(3, "m=19456,t=2,p=256"),
			"negative memory":          with(3, "m=-1,t=2,p=1"),
			"salt not base64":          with(4, "!!!!"),
			"salt padded":              with(4, parts[4]+"=="),
			"key not base64":           with(5, "!!!!"),
			"empty key":                with(5, ""),
		} {
			if ok, err := auth.VerifyPassword(bad, password); ok || err == nil {
				t.Errorf("%s (%q): got %v, %v, want false and an error", name, bad, ok, err)
			}
		}
	})
}
