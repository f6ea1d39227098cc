package memory

// LicenseCount returns how many licenses hold state, so tests can check that
// empty licenses are forgotten.
func (l *Ledger) LicenseCount() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.licenses)
		s.mu.Unlock()
	}
	return n
}
