package redis

// ScriptHashes returns the SHA-1 digests of the ledger's scripts, as
// EVALSHA and SCRIPT EXISTS name them.
func ScriptHashes() []string {
	return []string{acquireScript.Hash(), heartbeatScript.Hash(), lookupScript.Hash(), countScript.Hash(), restoreScript.Hash()}
}

// Keys returns the leases and state keys of a license.
func (l *Ledger) Keys(licenseID string) []string {
	return l.keys(licenseID)
}
