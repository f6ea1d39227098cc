package main

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/signing"
)

// publishedFor is how long a retired signing key stays in the JWKS: the
// longest offline validity a license token can have.
const publishedFor = coditect.MaxOfflineGraceSeconds * time.Second

// masterKey returns the key that seals signing keys at rest: the
// CODITECT_MASTER_KEY variable (32 bytes, base64), or a 0600 file in the
// data dir, created on first start. Replicas must share it.
func masterKey(c Config) ([]byte, error) {
	if c.MasterKey != "" {
		k, err := base64.StdEncoding.DecodeString(c.MasterKey)
		if err != nil || len(k) != 32 {
			return nil, errors.New("CODITECT_MASTER_KEY must be 32 bytes in base64 (e.g. openssl rand -base64 32)")
		}
		return k, nil
	}
	return signing.LoadOrCreateSecret(filepath.Join(c.DataDir, "keys", "master.key"), 32)
}

// openKeyring loads the license signing keys from the store. On the first
// start after keys moved into the store, the key file the server used
// before is imported so the tokens it signed keep verifying.
func openKeyring(ctx context.Context, c Config, store coditect.SigningKeyStore, now func() time.Time, logger *slog.Logger) (*signing.Keyring, error) {
	mk, err := masterKey(c)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	sealer, err := signing.NewSealer(mk)
	if err != nil {
		return nil, err
	}
	var legacy *signing.Key
	path := filepath.Join(c.DataDir, "keys", "license-signing.pem")
	if _, err := os.Stat(path); err == nil {
		if legacy, err = signing.LoadOrCreateKey(path); err != nil {
			return nil, fmt.Errorf("license signing key: %w", err)
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	k, err := signing.NewKeyring(ctx, signing.KeyringConfig{
		Store: store, Sealer: sealer, Import: legacy, Published: publishedFor, Now: now, Logger: logger,
	})
	if err != nil {
		return nil, fmt.Errorf("license signing keys: %w", err)
	}
	return k, nil
}

// runKeys is `coditect-license-server keys list|rotate [flags]`.
func runKeys(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "list" && args[0] != "rotate") {
		fmt.Fprintln(stderr, "usage: coditect-license-server keys list|rotate [--data-dir DIR] [--database URL]")
		return 2
	}
	cfg, err := ParseConfig(args[1:], getenv, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "coditect-license-server:", err)
		return 2
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "coditect-license-server: open store:", err)
		return 1
	}
	defer store.Close()
	k, err := openKeyring(ctx, cfg, store, time.Now, logger)
	if err != nil {
		fmt.Fprintln(stderr, "coditect-license-server:", err)
		return 1
	}
	if args[0] == "rotate" {
		created, err := k.Rotate(ctx)
		if err != nil {
			fmt.Fprintln(stderr, "coditect-license-server: rotate:", err)
			return 1
		}
		fmt.Fprintf(stdout, "rotated: new license signing key %s; running servers pick it up within 30 s\n", created.ID)
	}
	for _, sk := range k.Keys() {
		state := "retired " + fmt.Sprint(sk.RetiredAt)
		if sk.RetiredAt == nil {
			state = "active"
		}
		fmt.Fprintf(stdout, "%s  %s  created %s  %s\n", sk.ID, sk.Algorithm, sk.CreatedAt.Format(time.RFC3339), state)
	}
	return 0
}
