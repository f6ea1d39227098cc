package signing

import (
	"context"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	coditect "github.com/coditect/coditect-license"
)

// Sealer encrypts private keys at rest with AES-256-GCM under a master key
// the store never sees. The key ID is the additional data, so a sealed key
// cannot be passed off as another.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer returns a Sealer for a 32-byte master key.
func NewSealer(masterKey []byte) (*Sealer, error) {
	if len(masterKey) != 32 {
		return nil, fmt.Errorf("master key: got %d bytes, want 32", len(masterKey))
	}
	block, err := aes.NewCipher(masterKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext for key kid: nonce || ciphertext.
func (s *Sealer) Seal(kid string, plaintext []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(kid))
}

// Open decrypts what Seal produced for kid.
func (s *Sealer) Open(kid string, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n {
		return nil, errors.New("sealed key too short")
	}
	out, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(kid))
	if err != nil {
		return nil, fmt.Errorf("decrypt key %s: wrong master key or damaged data", kid)
	}
	return out, nil
}

// ExternalSigner resolves a key held outside the store (a KMS or HSM) by
// its reference to an Ed25519 crypto.Signer.
type ExternalSigner func(ctx context.Context, ref string) (crypto.Signer, error)

// KeyringConfig configures a Keyring.
type KeyringConfig struct {
	Store  coditect.SigningKeyStore
	Sealer *Sealer
	// Import, when the store holds no key yet, becomes the first key (the
	// key the server used before keys moved into the store), so tokens it
	// signed keep verifying. Nil generates a fresh key.
	Import *Key
	// External resolves keys with an ExternalRef; nil refuses them.
	External ExternalSigner
	// Published is how long a retired key stays in the JWKS: at least the
	// longest offline validity of a token it signed.
	Published time.Duration
	Now       func() time.Time
	Logger    *slog.Logger
}

// Keyring signs license tokens with the deployment's newest active key and
// publishes every key whose tokens may still be valid. Every replica reads
// the same keys from the store; Reload picks up a rotation done elsewhere.
type Keyring struct {
	cfg KeyringConfig

	mu     sync.RWMutex
	kid    string
	signer crypto.Signer
	jwks   []byte
	keys   []*coditect.SigningKey
}

// NewKeyring loads the keys, creating the first one when the store has none.
func NewKeyring(ctx context.Context, cfg KeyringConfig) (*Keyring, error) {
	if cfg.Store == nil || cfg.Sealer == nil || cfg.Now == nil {
		return nil, errors.New("signing: Store, Sealer and Now are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	k := &Keyring{cfg: cfg}
	keys, err := cfg.Store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	if len(keys) == 0 {
		first := cfg.Import
		if first == nil {
			_, priv, _ := ed25519.GenerateKey(rand.Reader)
			first = NewKey(priv)
		}
		if err := k.add(ctx, first); err != nil && !coditect.IsCode(err, coditect.CodeConflict) {
			return nil, err
		}
	}
	return k, k.Reload(ctx)
}

func (k *Keyring) add(ctx context.Context, key *Key) error {
	return k.cfg.Store.CreateSigningKey(ctx, &coditect.SigningKey{
		ID: key.ID, Algorithm: "EdDSA", PublicKey: key.Public(),
		EncryptedPrivateKey: k.cfg.Sealer.Seal(key.ID, key.Private.Seed()),
		CreatedAt:           k.cfg.Now(),
	})
}

// Reload reads the keys from the store again.
func (k *Keyring) Reload(ctx context.Context) error {
	keys, err := k.cfg.Store.ListSigningKeys(ctx)
	if err != nil {
		return fmt.Errorf("list signing keys: %w", err)
	}
	now := k.cfg.Now()
	var (
		active    *coditect.SigningKey
		published []JWK
	)
	for _, sk := range keys {
		if sk.RetiredAt == nil && active == nil {
			active = sk
		}
		if sk.RetiredAt == nil || now.Before(sk.RetiredAt.Add(k.cfg.Published)) {
			published = append(published, publicJWK(sk.ID, sk.PublicKey))
		}
	}
	if active == nil {
		return errors.New("no active signing key: rotate to create one")
	}
	signer, err := k.signerOf(ctx, active)
	if err != nil {
		return err
	}
	jwks, err := json.Marshal(JWKS{Keys: published})
	if err != nil {
		return err
	}
	k.mu.Lock()
	k.kid, k.signer, k.jwks, k.keys = active.ID, signer, jwks, keys
	k.mu.Unlock()
	return nil
}

func (k *Keyring) signerOf(ctx context.Context, sk *coditect.SigningKey) (crypto.Signer, error) {
	if sk.ExternalRef != "" {
		if k.cfg.External == nil {
			return nil, fmt.Errorf("signing key %s lives in %q, but no external signer is configured", sk.ID, sk.ExternalRef)
		}
		return k.cfg.External(ctx, sk.ExternalRef)
	}
	seed, err := k.cfg.Sealer.Open(sk.ID, sk.EncryptedPrivateKey)
	if err != nil {
		return nil, err
	}
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("signing key %s: damaged private key", sk.ID)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Rotate creates a new key, makes it the one that signs, and retires the
// others; they stay published for KeyringConfig.Published.
func (k *Keyring) Rotate(ctx context.Context) (*coditect.SigningKey, error) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	key := NewKey(priv)
	if err := k.add(ctx, key); err != nil {
		return nil, fmt.Errorf("store new signing key: %w", err)
	}
	keys, err := k.cfg.Store.ListSigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("list signing keys: %w", err)
	}
	var created *coditect.SigningKey
	for _, sk := range keys {
		if sk.ID == key.ID {
			created = sk
			continue
		}
		if sk.RetiredAt == nil {
			if _, err := k.cfg.Store.RetireSigningKey(ctx, sk.ID, k.cfg.Now()); err != nil {
				return nil, fmt.Errorf("retire signing key %s: %w", sk.ID, err)
			}
		}
	}
	k.cfg.Logger.Info("rotated the license signing key", "kid", key.ID)
	return created, k.Reload(ctx)
}

// Run reloads the keys every interval until ctx ends, so a rotation on
// another replica reaches this one.
func (k *Keyring) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := k.Reload(ctx); err != nil && ctx.Err() == nil {
				k.cfg.Logger.Warn("reload signing keys", "err", err)
			}
		}
	}
}

// SignLicenseToken signs c with the active key.
func (k *Keyring) SignLicenseToken(c coditect.LicenseClaims) (string, error) {
	k.mu.RLock()
	kid, signer := k.kid, k.signer
	k.mu.RUnlock()
	return signLicense(kid, signer, c)
}

// JWKS returns the JSON Web Key Set of the published keys.
func (k *Keyring) JWKS() []byte {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.jwks
}

// ActiveKeyID returns the ID of the key that signs now.
func (k *Keyring) ActiveKeyID() string {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.kid
}

// Keys returns every key as last loaded, newest first.
func (k *Keyring) Keys() []*coditect.SigningKey {
	k.mu.RLock()
	defer k.mu.RUnlock()
	return k.keys
}
