// Package chaos checks that the seat service never oversells, from the
// outside: it records histories of concurrent acquire, heartbeat and
// release calls (when each was invoked, when it returned, what it
// answered) and checks them two ways.
//
//   - Check runs the porcupine linearizability checker against a seat-pool
//     model: per license a set of holders with expiries and a limit. An
//     acquire may grant only while fewer than the limit hold a live lease,
//     a heartbeat may succeed only on a live lease, a release always
//     succeeds.
//   - Sweep is the cheap invariant for long runs: from the intervals during
//     which a client was promised a seat (from the grant's return to the
//     release's invocation or the last promised expiry), at no instant do
//     more intervals overlap than the license has seats.
//
// Time: the model judges expiry by the expires_at the server reported,
// compared with the client's call and return times (one clock on one
// machine). It is permissive at the edges (a lease is counted as blocking
// a grant only if it was live through the grant's return), so it never
// reports a violation a correct server could produce, at the price of
// missing oversells that last less than one call's duration. Runs that do
// not test expiry use long TTLs so no lease expires at all.
//
// The fault-injection tests that drive the real server binary live in this
// package's test files behind the build tag "chaos"; see
// docs/reliability.md.
package chaos
