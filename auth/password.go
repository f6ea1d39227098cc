// Package auth hashes passwords with argon2id and issues and verifies the
// short-lived JWT access tokens of the admin API, and verifies the tokens of
// an external OpenID Connect issuer for single sign-on.
package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
	// MaxPasswordLength bounds the work an attacker can ask for.
	MaxPasswordLength = 1024
	// MinPasswordLength is the shortest password accepted for new users.
	MinPasswordLength = 12
)

// HashPassword returns the argon2id hash of pw in the PHC string format.
func HashPassword(pw string) (string, error) {
	if len(pw) > MaxPasswordLength {
		return "", fmt.Errorf("password longer than %d bytes", MaxPasswordLength)
	}
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// VerifyPassword reports whether pw matches a hash made by HashPassword
// (with any parameters). A malformed hash is an error.
func VerifyPassword(hash, pw string) (bool, error) {
	if len(pw) > MaxPasswordLength {
		return false, nil
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errors.New("not an argon2id hash")
	}
	if parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false, errors.New("unsupported argon2 version")
	}
	var mem, iter uint32
	var threads uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &iter, &threads); err != nil {
		return false, fmt.Errorf("parse argon2 parameters: %w", err)
	}
	// Sscanf ignores trailing input: only the canonical form is a PHC string.
	if parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", mem, iter, threads) {
		return false, errors.New("malformed argon2 parameters")
	}
	if mem == 0 || mem > 1<<22 || iter == 0 || iter > 16 || threads == 0 {
		return false, errors.New("argon2 parameters out of range")
	}
	salt, err := base64.RawStdEncoding.DecodeString(parts[4])
	if err != nil {
		return false, fmt.Errorf("decode salt: %w", err)
	}
	want, err := base64.RawStdEncoding.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errors.New("decode argon2 key")
	}
	got := argon2.IDKey([]byte(pw), salt, iter, mem, threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
