package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/coditect/coditect-license/client"
	"github.com/coditect/coditect-license/client/clienttest"
)

// A product takes a seat when it starts, checks a feature, and releases the
// seat when it exits; the lease heartbeats in between.
func ExampleClient_Acquire() {
	srv := clienttest.Start(clienttest.Options{Seats: 1, Features: []string{"export"}})
	defer srv.Close()

	c, err := client.New(client.Config{
		BaseURL:     srv.URL,
		LicenseKey:  srv.LicenseKey,
		Fingerprint: "machine-1", // usually left empty: client.Fingerprint(Product)
		PublicKeys:  srv.PublicKeys(),
	})
	if err != nil {
		log.Fatal(err)
	}
	lease, err := c.Acquire(context.Background())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("online:", !lease.Offline())
	fmt.Println("export licensed:", lease.Claims().HasFeature("export"))
	if err := lease.Release(context.Background()); err != nil {
		log.Fatal(err)
	}
	fmt.Println("seats in use after release:", srv.SeatsInUse())
	// Output:
	// online: true
	// export licensed: true
	// seats in use after release: 0
}

// A refusal of the server is an *Error that matches a sentinel; a full
// license says when a seat frees at the latest.
func ExampleError() {
	srv := clienttest.Start(clienttest.Options{Seats: 1})
	defer srv.Close()
	newClient := func(fingerprint string) *client.Client {
		c, err := client.New(client.Config{BaseURL: srv.URL, LicenseKey: srv.LicenseKey, Fingerprint: fingerprint})
		if err != nil {
			log.Fatal(err)
		}
		return c
	}
	ctx := context.Background()
	first, err := newClient("machine-1").Acquire(ctx)
	if err != nil {
		log.Fatal(err)
	}
	defer first.Release(ctx)

	_, err = newClient("machine-2").Acquire(ctx)
	var refusal *client.Error
	if errors.Is(err, client.ErrSeatsExhausted) && errors.As(err, &refusal) {
		fmt.Printf("%d of %d seats in use; one frees within %s\n", refusal.InUse, refusal.Seats, refusal.RetryAfter)
	}
	// Output: 1 of 1 seats in use; one frees within 6m0s
}

// The fingerprint is an HMAC of the machine ID keyed by the product: the
// same machine has unrelated fingerprints in two products.
func ExampleFingerprintOf() {
	machine := func() (string, error) { return "0123456789abcdef0123456789abcdef", nil }
	a, _ := client.FingerprintOf("acme-cad", machine)
	b, _ := client.FingerprintOf("acme-render", machine)
	fmt.Println(len(a), a != b)
	// Output: 64 true
}
