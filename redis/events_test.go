package redis_test

import (
	"testing"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/eventstest"
	"github.com/coditect/coditect-license/redis"
)

func TestEventBus(t *testing.T) {
	t.Parallel()
	client := sharedClient(t)
	eventstest.Run(t, func(t *testing.T) (coditect.EventBus, coditect.EventBus) {
		prefix := newPrefix(t, client)
		// Two buses on one Redis stand for two replicas.
		return redis.NewEventBus(client, redis.Options{Prefix: prefix}), redis.NewEventBus(client, redis.Options{Prefix: prefix})
	})
}
