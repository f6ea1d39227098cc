// Package signing keeps the Ed25519 keys the server signs with, issues the
// offline license tokens clients verify, and publishes the public keys as a
// JSON Web Key Set.
package signing

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	coditect "github.com/coditect/coditect-license"
)

// Key is an Ed25519 private key with its key ID.
type Key struct {
	ID      string
	Private ed25519.PrivateKey
}

// Public returns the public half of the key.
func (k *Key) Public() ed25519.PublicKey {
	return k.Private.Public().(ed25519.PublicKey)
}

// NewKey wraps an Ed25519 private key; its ID is the RFC 7638 thumbprint of
// the public key, so the same key always has the same ID.
func NewKey(priv ed25519.PrivateKey) *Key {
	pub := priv.Public().(ed25519.PublicKey)
	// RFC 7638: members in lexicographic order, no whitespace.
	canon := `{"crv":"Ed25519","kty":"OKP","x":"` + base64.RawURLEncoding.EncodeToString(pub) + `"}`
	sum := sha256.Sum256([]byte(canon))
	return &Key{ID: base64.RawURLEncoding.EncodeToString(sum[:]), Private: priv}
}

// LoadOrCreateKey reads a PKCS #8 PEM Ed25519 key from path, creating it
// with mode 0600 (and its directory with 0700) when it does not exist.
func LoadOrCreateKey(path string) (*Key, error) {
	k, err := loadKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(path)
	}
	return k, err
}

func loadKey(path string) (*Key, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s is readable by others (mode %v); run chmod 600 on it", path, fi.Mode().Perm())
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("key file %s holds no PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse key %s: %w", path, err)
	}
	priv, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key file %s holds a %T, want an Ed25519 key", path, k)
	}
	return NewKey(priv), nil
}

func createKey(path string) (*Key, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("marshal key: %w", err)
	}
	created, err := createFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	} else if !created {
		// Not LoadOrCreateKey: a dangling symlink would make it recurse forever.
		return loadKey(path)
	}
	return NewKey(priv), nil
}

// LoadOrCreateSecret reads a random secret of n bytes from path, creating it
// with mode 0600 (and its directory with 0700) when it does not exist. Like
// a key, a secret file others can read is refused.
func LoadOrCreateSecret(path string, n int) ([]byte, error) {
	b, err := loadSecret(path, n)
	if !errors.Is(err, fs.ErrNotExist) {
		return b, err
	}
	b = make([]byte, n)
	_, _ = rand.Read(b)
	created, err := createFile(path, b)
	if err != nil {
		return nil, fmt.Errorf("create secret file: %w", err)
	} else if !created {
		// Not LoadOrCreateSecret: a dangling symlink would make it recurse forever.
		return loadSecret(path, n)
	}
	return b, nil
}

func loadSecret(path string, n int) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read secret: %w", err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("secret file %s is readable by others (mode %v); run chmod 600 on it", path, fi.Mode().Perm())
	}
	if len(b) < n {
		return nil, fmt.Errorf("secret file %s holds %d bytes, want %d", path, len(b), n)
	}
	return b, nil
}

// createFile creates path holding data, with mode 0600 and its directory
// with 0700. It reports false, and writes nothing, when path already exists.
func createFile(path string, data []byte) (bool, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return false, err
	}
	// CreateTemp uses mode 0600.
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return false, err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return false, err
	}
	if err := f.Close(); err != nil {
		return false, err
	}
	// Link, unlike O_EXCL on path itself, publishes the file complete: two
	// processes starting at once neither overwrite each other nor read a
	// half-written file.
	if err := os.Link(f.Name(), path); errors.Is(err, fs.ErrExist) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return true, nil
}

// JWK is one public key of a JSON Web Key Set (RFC 8037 OKP key).
type JWK struct {
	KeyType   string `json:"kty"`
	Curve     string `json:"crv"`
	X         string `json:"x"`
	KeyID     string `json:"kid"`
	Use       string `json:"use"`
	Algorithm string `json:"alg"`
}

// JWKS is a JSON Web Key Set.
type JWKS struct {
	Keys []JWK `json:"keys"`
}

// NewJWKS returns the set publishing the public halves of keys.
func NewJWKS(keys ...*Key) JWKS {
	set := JWKS{Keys: make([]JWK, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, publicJWK(k.ID, k.Public()))
	}
	return set
}

func publicJWK(kid string, pub []byte) JWK {
	return JWK{KeyType: "OKP", Curve: "Ed25519", X: base64.RawURLEncoding.EncodeToString(pub), KeyID: kid, Use: "sig", Algorithm: "EdDSA"}
}

// PublicKeys returns the set's Ed25519 keys by key ID, skipping other kinds.
func (s JWKS) PublicKeys() (map[string]ed25519.PublicKey, error) {
	out := make(map[string]ed25519.PublicKey, len(s.Keys))
	for _, k := range s.Keys {
		if k.KeyType != "OKP" || k.Curve != "Ed25519" {
			continue
		}
		x, err := base64.RawURLEncoding.DecodeString(k.X)
		if err != nil || len(x) != ed25519.PublicKeySize {
			return nil, coditect.Errorf(coditect.CodeInvalidRequest, "JWK %q has a malformed x member.", k.KeyID)
		}
		out[k.KeyID] = ed25519.PublicKey(x)
	}
	return out, nil
}

// MarshalJSON keeps the empty set as {"keys":[]} rather than null.
func (s JWKS) MarshalJSON() ([]byte, error) {
	if s.Keys == nil {
		s.Keys = []JWK{}
	}
	type plain JWKS
	return json.Marshal(plain(s))
}
