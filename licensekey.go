package coditect

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"strings"
)

// LicenseKeyPrefixLength is how many leading characters of a key are kept
// to identify it in lists.
const LicenseKeyPrefixLength = 12

var keyEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewLicenseKey returns a fresh license key with 160 bits of randomness, its
// display prefix and its digest. The key is shown once and never stored.
func NewLicenseKey() (key, prefix, digest string) {
	b := make([]byte, 20)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	key = "CDT-" + keyEncoding.EncodeToString(b)
	return key, key[:LicenseKeyPrefixLength], LicenseKeyDigest(key)
}

// LicenseKeyDigest returns the hex SHA-256 of a license key. Keys carry 160
// random bits, so a plain (unsalted, fast) digest cannot be brute-forced and
// lets the key be looked up by its digest.
func LicenseKeyDigest(key string) string {
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return hex.EncodeToString(sum[:])
}
