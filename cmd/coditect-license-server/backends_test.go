package main_test

import (
	"testing"

	"github.com/coditect/coditect-license/internal/testservice"
)

func postgresURL(t *testing.T) string { return testservice.PostgresURL(t, "coditect_e2e_") }

func startRedis(t *testing.T) *testservice.Redis { return testservice.StartRedis(t) }

// backend is a choice of store and ledger for the server under test.
type backend struct {
	name string
	args func(t *testing.T) []string
}

var backends = []backend{
	{"embedded", func(*testing.T) []string { return nil }},
	{"postgres+redis", func(t *testing.T) []string {
		return []string{"--database", postgresURL(t), "--redis", startRedis(t).URL()}
	}},
}
