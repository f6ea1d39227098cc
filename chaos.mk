# Fault-injection (chaos) tests: the real server binary under load while
# processes are killed, paused and restarted, every history checked for
# linearizability and for overselling. Needs redis-server and redis-cli on
# PATH and a PostgreSQL at CODITECT_TEST_POSTGRES_URL (default
# postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); without
# them the scale-out tests skip, or fail under CI=true. About 2–3 minutes
# on 2 cores. See docs/reliability.md.
GO ?= go

.PHONY: test-chaos

test-chaos: ## run the fault-injection tests and the linearizability checker (docs/reliability.md)
	$(GO) test -tags chaos -race -count=1 -timeout 15m ./chaos/...
