package memory_test

import (
	"testing"

	coditect "github.com/coditect/coditect-license"
	"github.com/coditect/coditect-license/eventstest"
	"github.com/coditect/coditect-license/memory"
)

func TestEventBus(t *testing.T) {
	t.Parallel()
	eventstest.Run(t, func(*testing.T) (coditect.EventBus, coditect.EventBus) {
		b := memory.NewEventBus()
		return b, b
	})
}
