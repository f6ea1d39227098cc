package signing_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/signing"
)

// The Ed25519 key of RFC 8037 Appendix A.1, and its RFC 7638 thumbprint
// from Appendix A.3.
const (
	rfc8037D          = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
	rfc8037X          = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
	rfc8037Thumbprint = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
)

func rfc8037Key(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	seed, err := base64.RawURLEncoding.DecodeString(rfc8037D)
	if err != nil {
		t.Fatal(err)
	}
	return ed25519.NewKeyFromSeed(seed)
}

// thumbprint computes the RFC 7638 thumbprint of an Ed25519 public key
// independently of the package: encoding/json sorts map keys and adds no
// whitespace, which is the canonical form RFC 7638 asks for.
func thumbprint(t *testing.T, pub ed25519.PublicKey) string {
	t.Helper()
	b, err := json.Marshal(map[string]string{"kty": "OKP", "crv": "Ed25519", "x": base64.RawURLEncoding.EncodeToString(pub)})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func mustLoadKey(t *testing.T, path string) *signing.Key {
	t.Helper()
	k, err := signing.LoadOrCreateKey(path)
	if err != nil {
		t.Fatalf("LoadOrCreateKey: got %v, want nil", err)
	}
	return k
}

func writeFile(t *testing.T, path string, b []byte, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, b, mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile's mode is filtered by the umask.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func wantMode(t *testing.T, path string, want fs.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Fatalf("%s: got mode %v, want %v", path, got, want)
	}
}

// wantOnlyFile checks that dir holds name and nothing else, such as a
// temporary file left behind.
func wantOnlyFile(t *testing.T, dir, name string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 1 || names[0] != name {
		t.Fatalf("got %v in %s, want only %s", names, dir, name)
	}
}

// danglingSymlink returns a path that is a symlink to nothing: reading it
// finds no file, yet nothing can be created there.
func danglingSymlink(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "missing", "target"), path); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	return path
}

func TestNewKey(t *testing.T) {
	t.Parallel()

	t.Run("the key ID is the RFC 8037 thumbprint of the RFC 8037 key", func(t *testing.T) {
		t.Parallel()
		k := signing.NewKey(rfc8037Key(t))
		if got := base64.RawURLEncoding.EncodeToString(k.Public()); got != rfc8037X {
			t.Fatalf("got x %q, want %q", got, rfc8037X)
		}
		if got := thumbprint(t, k.Public()); got != rfc8037Thumbprint {
			t.Fatalf("test thumbprint: got %q, want %q", got, rfc8037Thumbprint)
		}
		if k.ID != rfc8037Thumbprint {
			t.Fatalf("got ID %q, want %q", k.ID, rfc8037Thumbprint)
		}
	})

	t.Run("the key ID is the RFC 7638 thumbprint of any key", func(t *testing.T) {
		t.Parallel()
		for range 8 {
			pub, priv, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := signing.NewKey(priv).ID, thumbprint(t, pub); got != want {
				t.Fatalf("got ID %q, want %q", got, want)
			}
		}
	})

	t.Run("Public returns the public half", func(t *testing.T) {
		t.Parallel()
		pub, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if got := signing.NewKey(priv).Public(); !got.Equal(pub) {
			t.Fatalf("got %x, want %x", got, pub)
		}
	})
}

func TestLoadOrCreateKey(t *testing.T) {
	t.Parallel()

	t.Run("a missing key is created with mode 0600 in a 0700 directory", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "keys")
		path := filepath.Join(dir, "license.pem")
		k := mustLoadKey(t, path)
		wantMode(t, dir, 0o700)
		wantMode(t, path, 0o600)
		wantOnlyFile(t, dir, "license.pem")
		if k.ID != thumbprint(t, k.Public()) {
			t.Fatalf("got ID %q, want the thumbprint %q", k.ID, thumbprint(t, k.Public()))
		}
	})

	t.Run("the created file is a PKCS #8 PEM of the returned key", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "license.pem")
		k := mustLoadKey(t, path)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(b)
		if block == nil || block.Type != "PRIVATE KEY" {
			t.Fatalf("got block %v, want a PRIVATE KEY PEM block", block)
		}
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if priv, ok := parsed.(ed25519.PrivateKey); !ok || !priv.Equal(k.Private) {
			t.Fatalf("got %T, want the returned Ed25519 key", parsed)
		}
	})

	t.Run("loading again returns the same key", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "license.pem")
		first := mustLoadKey(t, path)
		again := mustLoadKey(t, path)
		if again.ID != first.ID || !again.Private.Equal(first.Private) {
			t.Fatalf("got key %q, want %q", again.ID, first.ID)
		}
	})

	t.Run("an existing key file is loaded", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "license.pem")
		der, err := x509.MarshalPKCS8PrivateKey(rfc8037Key(t))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600)
		if got := mustLoadKey(t, path).ID; got != rfc8037Thumbprint {
			t.Fatalf("got ID %q, want %q", got, rfc8037Thumbprint)
		}
	})

	t.Run("concurrent first loads agree on one key", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "keys", "license.pem")
		ids := make([]string, 16)
		errs := make([]error, len(ids))
		var wg sync.WaitGroup
		for i := range ids {
			wg.Go(func() {
				k, err := signing.LoadOrCreateKey(path)
				if err == nil {
					ids[i] = k.ID
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("load %d: got %q, %v, want %q, nil", i, ids[i], errs[i], ids[0])
			}
		}
	})

	t.Run("a key file readable by others is refused with a chmod hint", func(t *testing.T) {
		t.Parallel()
		for _, mode := range []fs.FileMode{0o644, 0o640, 0o604, 0o660} {
			path := filepath.Join(t.TempDir(), "license.pem")
			mustLoadKey(t, path)
			if err := os.Chmod(path, mode); err != nil {
				t.Fatal(err)
			}
			_, err := signing.LoadOrCreateKey(path)
			if err == nil || !strings.Contains(err.Error(), "chmod") {
				t.Errorf("mode %v: got %v, want an error mentioning chmod", mode, err)
			}
		}
	})

	t.Run("bad key files are refused", func(t *testing.T) {
		t.Parallel()
		der, err := x509.MarshalPKCS8PrivateKey(rfc8037Key(t))
		if err != nil {
			t.Fatal(err)
		}
		ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
		if err != nil {
			t.Fatal(err)
		}
		for name, tc := range map[string]struct {
			content []byte
			want    string
		}{
			"empty":        {nil, "no PEM private key"},
			"not PEM":      {[]byte("this is not a key\n"), "no PEM private key"},
			"raw DER":      {der, "no PEM private key"},
			"wrong type":   {pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), "no PEM private key"},
			"public key":   {pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), "no PEM private key"},
			"not PKCS #8":  {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte("garbage")}), "parse key"},
			"an ECDSA key": {pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}), "want an Ed25519 key"},
		} {
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				path := filepath.Join(t.TempDir(), "license.pem")
				writeFile(t, path, tc.content, 0o600)
				k, err := signing.LoadOrCreateKey(path)
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("got %v, %v, want an error containing %q", k, err, tc.want)
				}
				if b, _ := os.ReadFile(path); !bytes.Equal(b, tc.content) {
					t.Fatalf("got the file rewritten, want it left alone")
				}
			})
		}
	})

	t.Run("a dangling symlink at the path is an error", func(t *testing.T) {
		t.Parallel()
		path := danglingSymlink(t)
		if _, err := signing.LoadOrCreateKey(path); err == nil {
			t.Fatal("got nil, want an error")
		}
	})

	t.Run("a key whose directory cannot be made is an error", func(t *testing.T) {
		t.Parallel()
		if _, err := signing.LoadOrCreateKey(filepath.Join(danglingSymlink(t), "license.pem")); err == nil {
			t.Fatal("got nil, want an error")
		}
	})

	t.Run("a path that cannot be read is an error", func(t *testing.T) {
		t.Parallel()
		if _, err := signing.LoadOrCreateKey(t.TempDir()); err == nil {
			t.Fatal("got nil, want an error for a directory")
		}
	})

	t.Run("a key under a file is an error", func(t *testing.T) {
		t.Parallel()
		file := filepath.Join(t.TempDir(), "file")
		writeFile(t, file, []byte("x"), 0o600)
		if _, err := signing.LoadOrCreateKey(filepath.Join(file, "license.pem")); err == nil {
			t.Fatal("got nil, want an error")
		}
	})
}

func TestLoadOrCreateSecret(t *testing.T) {
	t.Parallel()

	t.Run("a missing secret is created as n random bytes with mode 0600", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "keys")
		path := filepath.Join(dir, "session.secret")
		b, err := signing.LoadOrCreateSecret(path, 32)
		if err != nil || len(b) != 32 {
			t.Fatalf("got %d bytes, %v, want 32, nil", len(b), err)
		}
		if bytes.Equal(b, make([]byte, 32)) {
			t.Fatal("got 32 zero bytes, want random bytes")
		}
		wantMode(t, dir, 0o700)
		wantMode(t, path, 0o600)
		wantOnlyFile(t, dir, "session.secret")
		if onDisk, _ := os.ReadFile(path); !bytes.Equal(onDisk, b) {
			t.Fatalf("got %x on disk, want %x", onDisk, b)
		}
	})

	t.Run("loading again returns the same bytes", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "session.secret")
		first, err := signing.LoadOrCreateSecret(path, 32)
		if err != nil {
			t.Fatal(err)
		}
		again, err := signing.LoadOrCreateSecret(path, 32)
		if err != nil || !bytes.Equal(again, first) {
			t.Fatalf("got %x, %v, want %x, nil", again, err, first)
		}
	})

	t.Run("a shorter existing secret is refused", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "session.secret")
		writeFile(t, path, bytes.Repeat([]byte{1}, 31), 0o600)
		b, err := signing.LoadOrCreateSecret(path, 32)
		if err == nil || b != nil {
			t.Fatalf("got %x, %v, want an error", b, err)
		}
	})

	t.Run("two paths give different secrets", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		a, errA := signing.LoadOrCreateSecret(filepath.Join(dir, "a.secret"), 32)
		b, errB := signing.LoadOrCreateSecret(filepath.Join(dir, "b.secret"), 32)
		if errA != nil || errB != nil || bytes.Equal(a, b) {
			t.Fatalf("got %x (%v) and %x (%v), want two different secrets", a, errA, b, errB)
		}
	})

	t.Run("concurrent first loads agree on one secret", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "keys", "session.secret")
		secrets := make([][]byte, 16)
		errs := make([]error, len(secrets))
		var wg sync.WaitGroup
		for i := range secrets {
			wg.Go(func() { secrets[i], errs[i] = signing.LoadOrCreateSecret(path, 32) })
		}
		wg.Wait()
		for i := range secrets {
			if errs[i] != nil || !bytes.Equal(secrets[i], secrets[0]) {
				t.Fatalf("load %d: got %x, %v, want %x, nil", i, secrets[i], errs[i], secrets[0])
			}
		}
	})

	t.Run("a secret file readable by others is refused with a chmod hint", func(t *testing.T) {
		t.Parallel()
		path := filepath.Join(t.TempDir(), "session.secret")
		writeFile(t, path, bytes.Repeat([]byte{1}, 32), 0o644)
		_, err := signing.LoadOrCreateSecret(path, 32)
		if err == nil || !strings.Contains(err.Error(), "chmod") {
			t.Fatalf("got %v, want an error mentioning chmod", err)
		}
	})

	t.Run("a dangling symlink at the path is an error", func(t *testing.T) {
		t.Parallel()
		if _, err := signing.LoadOrCreateSecret(danglingSymlink(t), 32); err == nil {
			t.Fatal("got nil, want an error")
		}
	})

	t.Run("a secret whose directory cannot be made is an error", func(t *testing.T) {
		t.Parallel()
		if _, err := signing.LoadOrCreateSecret(filepath.Join(danglingSymlink(t), "session.secret"), 32); err == nil {
			t.Fatal("got nil, want an error")
		}
	})

	t.Run("a path that cannot be read is an error", func(t *testing.T) {
		t.Parallel()
		if _, err := signing.LoadOrCreateSecret(t.TempDir(), 32); err == nil {
			t.Fatal("got nil, want an error for a directory")
		}
	})
}

func TestJWKS(t *testing.T) {
	t.Parallel()
	k := signing.NewKey(rfc8037Key(t))

	t.Run("an empty set marshals as an empty keys array", func(t *testing.T) {
		t.Parallel()
		for name, set := range map[string]signing.JWKS{"NewJWKS()": signing.NewJWKS(), "JWKS{}": {}} {
			b, err := json.Marshal(set)
			if err != nil || string(b) != `{"keys":[]}` {
				t.Errorf("%s: got %s, %v, want {\"keys\":[]}", name, b, err)
			}
		}
	})

	t.Run("a key is published as an Ed25519 OKP signing key", func(t *testing.T) {
		t.Parallel()
		b, err := json.Marshal(signing.NewJWKS(k))
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			Keys []map[string]any `json:"keys"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig", "kid": rfc8037Thumbprint, "x": rfc8037X}
		if len(got.Keys) != 1 || len(got.Keys[0]) != len(want) {
			t.Fatalf("got %s, want one key with %d members", b, len(want))
		}
		for name, v := range want {
			if got.Keys[0][name] != v {
				t.Errorf("got %s %v, want %v", name, got.Keys[0][name], v)
			}
		}
	})

	t.Run("PublicKeys round-trips the keys through JSON", func(t *testing.T) {
		t.Parallel()
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		other := signing.NewKey(priv)
		b, err := json.Marshal(signing.NewJWKS(k, other))
		if err != nil {
			t.Fatal(err)
		}
		var set signing.JWKS
		if err := json.Unmarshal(b, &set); err != nil {
			t.Fatal(err)
		}
		keys, err := set.PublicKeys()
		if err != nil || len(keys) != 2 {
			t.Fatalf("got %d keys, %v, want 2, nil", len(keys), err)
		}
		for _, want := range []*signing.Key{k, other} {
			if got := keys[want.ID]; !got.Equal(want.Public()) {
				t.Errorf("kid %s: got %x, want %x", want.ID, got, want.Public())
			}
		}
	})

	t.Run("PublicKeys skips keys that are not Ed25519", func(t *testing.T) {
		t.Parallel()
		set := signing.NewJWKS(k)
		set.Keys = append(set.Keys,
			signing.JWK{KeyType: "RSA", KeyID: "rsa", X: "not even base64!"},
			signing.JWK{KeyType: "OKP", Curve: "X25519", KeyID: "x25519", X: rfc8037X},
			signing.JWK{KeyType: "EC", Curve: "Ed25519", KeyID: "ec", X: rfc8037X},
		)
		keys, err := set.PublicKeys()
		if err != nil || len(keys) != 1 || !keys[k.ID].Equal(k.Public()) {
			t.Fatalf("got %v, %v, want only %s", keys, err, k.ID)
		}
	})

	t.Run("PublicKeys refuses a malformed x", func(t *testing.T) {
		t.Parallel()
		for name, x := range map[string]string{
			"not base64url": "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo",
			"padded":        rfc8037X + "=",
			"too short":     rfc8037X[:40],
			"too long":      rfc8037X + "AAAA",
			"empty":         "",
		} {
			set := signing.JWKS{Keys: []signing.JWK{{KeyType: "OKP", Curve: "Ed25519", KeyID: "bad", X: x}}}
			keys, err := set.PublicKeys()
			if got := coditect.ErrorCode(err); got != coditect.CodeInvalidRequest || keys != nil {
				t.Errorf("%s: got %v, code %q, want nil, %q", name, keys, got, coditect.CodeInvalidRequest)
			}
		}
	})
}
