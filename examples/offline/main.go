// Command offline is an integration that keeps working through network
// outages: it pins the server's public keys, keeps an offline cache, takes a
// new session by itself after a long outage, and reports whether it runs on
// the server's lease or on the cached license token.
//
//	CODITECT_SERVER=https://license.example.com CODITECT_LICENSE_KEY=CDT-... \
//	  go run ./examples/offline -jwks jwks.json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/coditect/coditect-license/client"
)

func main() {
	jwks := flag.String("jwks", "jwks.json", "the server's /.well-known/jwks.json, shipped with the product")
	cacheDir := flag.String("cache-dir", "", "offline cache directory (default: the user cache dir)")
	work := flag.Duration("work", 3*time.Second, "how long to work while holding the seat")
	flag.Parse()
	if err := run(context.Background(), *jwks, *cacheDir, *work); err != nil {
		fmt.Fprintln(os.Stderr, "offline:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, jwksFile, cacheDir string, work time.Duration) error {
	// Pin the keys: a product that trusts whatever key the network offers
	// would trust a forged offline license too.
	jwks, err := os.ReadFile(jwksFile)
	if err != nil {
		return err
	}
	if cacheDir == "" {
		if cacheDir, err = client.DefaultCacheDir("acme-cad"); err != nil {
			return err
		}
	}
	c, err := client.New(client.Config{
		BaseURL:    os.Getenv("CODITECT_SERVER"),
		LicenseKey: os.Getenv("CODITECT_LICENSE_KEY"),
		Product:    "acme-cad",
		JWKS:       jwks,
		CacheDir:   cacheDir,
		Reacquire:  true, // after a long outage, take a new session by itself
		OnLeaseLost: func(err error) {
			fmt.Fprintln(os.Stderr, "license lost:", err)
		},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	})
	if err != nil {
		return err
	}

	lease, err := c.Acquire(ctx)
	switch {
	case errors.Is(err, client.ErrClockRollback):
		return errors.New("the system clock was set back; correct it, or connect to the license server")
	case errors.Is(err, client.ErrOfflineUnavailable):
		return fmt.Errorf("the license server cannot be reached and there is no valid offline license: %w", err)
	case err != nil:
		return err
	}
	defer lease.Release(context.Background())

	if lease.Offline() {
		fmt.Printf("offline: licensed until %s\n", lease.ExpiresAt().Format(time.RFC3339))
	} else {
		fmt.Println("online: seat acquired")
	}
	if claims := lease.Claims(); claims.HasFeature("export") {
		fmt.Println("the export feature is licensed")
	}

	select {
	case <-time.After(work):
	case err := <-lease.Lost():
		return err
	}
	return nil
}
