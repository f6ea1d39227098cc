# Load benchmark of the real binaries (issue 8). Included from the Makefile.
BENCH_TOOL = $(BIN)/coditect-bench

.PHONY: bench-load

bench-load: ## run the load tool against a fresh server (SQLite + in-memory ledger) and print the tables
	$(GO) build -o $(SERVER) ./cmd/coditect-license-server
	$(GO) build -o $(BENCH_TOOL) ./cmd/coditect-bench
	./cmd/coditect-bench/bench-load.sh $(SERVER) $(BENCH_TOOL)
