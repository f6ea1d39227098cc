// Package coditect is the vocabulary of the CODITECT License Platform: the
// domain types (tenants, users, licenses, sessions, leases), the small
// interfaces that adapters implement (Store, Ledger) and the one error type
// whose codes travel unchanged from a ledger to an HTTP response to the SDK.
//
// It imports only the standard library. Adapters (sqlite, memory, ...) import
// it; only cmd/ wires concrete adapters together.
package coditect
