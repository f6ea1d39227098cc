//go:build !linux

package memory_test

import "time"

// threadCPU returns -1: only Linux reports a thread's CPU time.
func threadCPU() time.Duration {
	return -1
}
