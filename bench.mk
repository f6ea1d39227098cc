# Load benchmark of the real binaries (issue 8). Included from the Makefile.
# bench-scaleout and bench-cluster set up and remove their own backend (see
# cmd/coditect-bench/bench-backend.sh): a fresh database in the PostgreSQL at
# CODITECT_TEST_POSTGRES_URL and redis-servers on free loopback ports. Knobs:
# BENCH_MATRIX, BENCH_DURATION, BENCH_ARGS, BENCH_SERVER_EXTRA (docs/benchmarks.md).
BENCH_TOOL = $(BIN)/coditect-bench

.PHONY: bench-load bench-scaleout bench-cluster bench-binaries

bench-load: bench-binaries ## run the load tool against a fresh server (SQLite + in-memory ledger) and print the tables
	./cmd/coditect-bench/bench-load.sh $(SERVER) $(BENCH_TOOL)

bench-scaleout: bench-binaries ## the same on PostgreSQL + Redis (fresh database and redis-server, removed after)
	./cmd/coditect-bench/bench-backend.sh redis $(SERVER) $(BENCH_TOOL)

bench-cluster: bench-binaries ## the same on PostgreSQL + a 3-master Redis Cluster (started and removed by the target)
	./cmd/coditect-bench/bench-backend.sh cluster $(SERVER) $(BENCH_TOOL)

bench-binaries:
	$(GO) build -o $(SERVER) ./cmd/coditect-license-server
	$(GO) build -o $(BENCH_TOOL) ./cmd/coditect-bench
