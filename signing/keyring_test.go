package signing_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/signing"
)

// keyStore is an in-memory SigningKeyStore for the keyring's tests; the
// real stores run the store conformance suite.
type keyStore struct {
	mu   sync.Mutex
	keys []*coditect.SigningKey
}

func (s *keyStore) CreateSigningKey(_ context.Context, k *coditect.SigningKey) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range s.keys {
		if x.ID == k.ID {
			return coditect.Errorf(coditect.CodeConflict, "exists")
		}
	}
	c := *k
	s.keys = append([]*coditect.SigningKey{&c}, s.keys...)
	return nil
}

func (s *keyStore) ListSigningKeys(context.Context) ([]*coditect.SigningKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*coditect.SigningKey, len(s.keys))
	for i, k := range s.keys {
		c := *k
		out[i] = &c
	}
	return out, nil
}

func (s *keyStore) RetireSigningKey(_ context.Context, id string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, k := range s.keys {
		if k.ID == id {
			if k.RetiredAt != nil {
				return false, nil
			}
			k.RetiredAt = &at
			return true, nil
		}
	}
	return false, coditect.Errorf(coditect.CodeNotFound, "no key")
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func sealer(t *testing.T, b byte) *signing.Sealer {
	t.Helper()
	s, err := signing.NewSealer(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func keyring(t *testing.T, store coditect.SigningKeyStore, clock *fakeClock, imported *signing.Key) *signing.Keyring {
	t.Helper()
	k, err := signing.NewKeyring(t.Context(), signing.KeyringConfig{
		Store: store, Sealer: sealer(t, 1), Import: imported, Published: 24 * time.Hour, Now: clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func claimsAt(now time.Time) coditect.LicenseClaims {
	return coditect.LicenseClaims{Issuer: "test", LicenseID: "l", TenantID: "t", SessionID: "s", Fingerprint: "f", Seats: 1, IssuedAt: now, ExpiresAt: now.Add(time.Hour)}
}

func verify(t *testing.T, k *signing.Keyring, token string, now time.Time) error {
	t.Helper()
	var set signing.JWKS
	if err := json.Unmarshal(k.JWKS(), &set); err != nil {
		t.Fatal(err)
	}
	keys, err := set.PublicKeys()
	if err != nil {
		t.Fatal(err)
	}
	_, err = signing.VerifyLicenseToken(token, keys, now)
	return err
}

func TestKeyring(t *testing.T) {
	t.Parallel()

	t.Run("the first start imports the existing key", func(t *testing.T) {
		t.Parallel()
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		old := signing.NewKey(priv)
		clock := &fakeClock{t: time.Now()}
		k := keyring(t, &keyStore{}, clock, old)
		if k.ActiveKeyID() != old.ID {
			t.Fatalf("got active key %s, want the imported %s", k.ActiveKeyID(), old.ID)
		}
	})

	t.Run("rotation keeps old tokens verifying and signs new ones with the new kid", func(t *testing.T) {
		t.Parallel()
		store, clock := &keyStore{}, &fakeClock{t: time.Now()}
		k := keyring(t, store, clock, nil)
		replica := keyring(t, store, clock, nil)
		before, err := k.SignLicenseToken(claimsAt(clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		oldKid := k.ActiveKeyID()
		created, err := k.Rotate(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if created.ID == oldKid || k.ActiveKeyID() != created.ID {
			t.Fatalf("got active %s after rotating from %s, want the new key %s", k.ActiveKeyID(), oldKid, created.ID)
		}
		if err := verify(t, k, before, clock.Now()); err != nil {
			t.Fatalf("a token signed before the rotation: %v", err)
		}
		after, _ := k.SignLicenseToken(claimsAt(clock.Now()))
		if !strings.Contains(headerOf(t, after), created.ID) {
			t.Fatalf("a token after the rotation has header %s, want kid %s", headerOf(t, after), created.ID)
		}
		// The other replica signs with the old key until it reloads.
		if replica.ActiveKeyID() != oldKid {
			t.Fatalf("replica before reload: got %s, want %s", replica.ActiveKeyID(), oldKid)
		}
		if err := replica.Reload(t.Context()); err != nil || replica.ActiveKeyID() != created.ID {
			t.Fatalf("replica after reload: got %s (%v), want %s", replica.ActiveKeyID(), err, created.ID)
		}
		// Once tokens of the retired key can no longer be valid, it leaves
		// the JWKS.
		clock.Add(25 * time.Hour)
		if err := k.Reload(t.Context()); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(k.JWKS()), oldKid) {
			t.Fatal("the retired key is still published after its tokens expired")
		}
		if len(k.Keys()) != 2 {
			t.Fatalf("got %d keys, want 2 (retired keys stay listed)", len(k.Keys()))
		}
	})

	t.Run("a wrong master key is refused", func(t *testing.T) {
		t.Parallel()
		store, clock := &keyStore{}, &fakeClock{t: time.Now()}
		keyring(t, store, clock, nil)
		_, err := signing.NewKeyring(t.Context(), signing.KeyringConfig{Store: store, Sealer: sealer(t, 2), Now: clock.Now})
		if err == nil || !strings.Contains(err.Error(), "master key") {
			t.Fatalf("got %v, want a master key error", err)
		}
	})

	t.Run("external keys need a resolver", func(t *testing.T) {
		t.Parallel()
		_, priv, _ := ed25519.GenerateKey(rand.Reader)
		ext := signing.NewKey(priv)
		store, clock := &keyStore{}, &fakeClock{t: time.Now()}
		_ = store.CreateSigningKey(t.Context(), &coditect.SigningKey{ID: ext.ID, Algorithm: "EdDSA", PublicKey: ext.Public(), ExternalRef: "kms://key/1", CreatedAt: clock.Now()})
		if _, err := signing.NewKeyring(t.Context(), signing.KeyringConfig{Store: store, Sealer: sealer(t, 1), Now: clock.Now}); err == nil {
			t.Fatal("got nil error for an external key without a resolver")
		}
		k, err := signing.NewKeyring(t.Context(), signing.KeyringConfig{
			Store: store, Sealer: sealer(t, 1), Now: clock.Now,
			External: func(_ context.Context, ref string) (crypto.Signer, error) {
				if ref != "kms://key/1" {
					t.Errorf("got ref %q", ref)
				}
				return priv, nil
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := k.SignLicenseToken(claimsAt(clock.Now()))
		if err != nil || verify(t, k, tok, clock.Now()) != nil {
			t.Fatalf("signing with the external key: %v", err)
		}
	})

	t.Run("missing dependencies are refused", func(t *testing.T) {
		t.Parallel()
		if _, err := signing.NewKeyring(t.Context(), signing.KeyringConfig{}); err == nil {
			t.Fatal("got nil error for an empty config")
		}
	})
}

func headerOf(t *testing.T, token string) string {
	t.Helper()
	h, _, _ := strings.Cut(token, ".")
	b, err := base64URL(h)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestSealer(t *testing.T) {
	t.Parallel()
	s := sealer(t, 9)
	sealed := s.Seal("kid-1", []byte("secret seed"))
	if got, err := s.Open("kid-1", sealed); err != nil || string(got) != "secret seed" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := s.Open("kid-2", sealed); err == nil {
		t.Fatal("a sealed key opened under another key ID")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open("kid-1", sealed); err == nil {
		t.Fatal("a tampered sealed key opened")
	}
	if _, err := s.Open("kid-1", []byte{1}); err == nil {
		t.Fatal("a truncated sealed key opened")
	}
	if _, err := signing.NewSealer([]byte("short")); err == nil {
		t.Fatal("a short master key was accepted")
	}
}

func base64URL(s string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(s)
}
