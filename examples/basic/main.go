// Command basic is the smallest integration of the CODITECT license SDK: take
// a seat, work while the SDK heartbeats in the background, give the seat back.
//
//	CODITECT_SERVER=https://license.example.com CODITECT_LICENSE_KEY=CDT-... go run ./examples/basic
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/coditect/coditect-license/client"
)

func main() {
	work := flag.Duration("work", 3*time.Second, "how long to work while holding the seat")
	flag.Parse()
	if err := run(context.Background(), os.Getenv("CODITECT_SERVER"), os.Getenv("CODITECT_LICENSE_KEY"), *work); err != nil {
		fmt.Fprintln(os.Stderr, "basic:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, server, key string, work time.Duration) error {
	c, err := client.New(client.Config{
		BaseURL:       server,
		LicenseKey:    key,
		Product:       "acme-cad", // keys this machine's fingerprint
		ClientVersion: "2.4.1",
	})
	if err != nil {
		return err
	}

	lease, err := c.Acquire(ctx)
	var refusal *client.Error
	switch {
	case errors.Is(err, client.ErrSeatsExhausted) && errors.As(err, &refusal):
		return fmt.Errorf("all %d seats are in use; try again in %s", refusal.Seats, refusal.RetryAfter)
	case errors.Is(err, client.ErrInvalidKey), errors.Is(err, client.ErrLicenseExpired), errors.Is(err, client.ErrLicenseSuspended):
		return fmt.Errorf("this license cannot be used: %w", err)
	case err != nil:
		return err
	}
	defer lease.Release(context.Background())
	fmt.Println("seat acquired; the SDK heartbeats in the background")

	// The product's real work goes here. Stop when the lease is lost.
	select {
	case <-time.After(work):
	case err := <-lease.Lost():
		return fmt.Errorf("the license seat was lost: %w", err)
	}
	fmt.Println("work done; releasing the seat")
	return nil
}
