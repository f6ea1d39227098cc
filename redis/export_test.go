package redis

import (
	"context"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// ScriptHashes returns the SHA-1 digests of the ledger's scripts, as
// EVALSHA and SCRIPT EXISTS name them.
func ScriptHashes() []string {
	return []string{acquireScript.Hash(), heartbeatScript.Hash(), lookupScript.Hash(), countScript.Hash(), restoreScript.Hash()}
}

// Keys returns the leases and state keys of a license.
func (l *Ledger) Keys(licenseID string) []string {
	return l.keys(licenseID)
}

// Pipeliner is the pipeliner of the ledger's calls, for its own tests.
type Pipeliner = pipeliner

// NewPipeliner returns a pipeliner on client.
func NewPipeliner(client goredis.UniversalClient) *Pipeliner { return &pipeliner{client: client} }

// Do sends one command through p.
func (p *Pipeliner) Do(ctx context.Context, add func(goredis.Pipeliner) goredis.Cmder) (goredis.Cmder, error) {
	return p.do(ctx, add)
}

// SetQuietFor sets how long a channel without subscribers gets no
// heartbeat events.
func (b *EventBus) SetQuietFor(d time.Duration) { b.quietFor = d }
