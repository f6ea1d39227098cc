// Package client is the Go SDK of the CODITECT License Platform: what a
// vendor embeds in its product to hold a floating-license seat.
//
// A [Client] acquires a seat and returns a [Lease] that heartbeats itself in
// the background, at the server's interval with jitter, until
// [Lease.Release]. When the server cannot be reached, [Client.Acquire] grants
// an offline lease from the license token cached on disk, but only if the
// token verifies against the pinned public keys, is bound to this machine's
// [Fingerprint], has not expired, and the clock has not been set back. An
// offline lease goes back online by itself when the server returns.
//
// Errors from the server arrive as [*Error], which matches the sentinel
// errors ([ErrSeatsExhausted], [ErrLicenseExpired], ...) with [errors.Is].
// Requests are retried with exponential backoff and full jitter on network
// errors, 5xx and 429, honouring Retry-After; never on other 4xx.
//
// The package imports only the standard library and the platform's root
// package (for the shared error codes), so embedding it pulls in no
// third-party code.
package client
