# The Makefile is the interface: CI calls these targets and nothing else.
GO        ?= go
BIN       := bin
SERVER    := $(BIN)/coditect-license-server
CLI       := $(BIN)/coditect-license
GOFLAGS   ?=
STATICCHECK_VERSION := v0.8.2
COVER_MIN := 85
SQLC_VERSION        := v1.31.1
# Packages whose statements count towards coverage: generated code and the
# conformance suites (test code that other tests import) are left out.
COVERPKG  := $(shell $(GO) list ./... | grep -v -e /internal/sqlcdb -e 'test$$' | paste -sd, -)
COVERDIR  := $(CURDIR)/coverage

.PHONY: help build run test test-short cover lint fmt generate bench clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build bin/coditect-license-server and bin/coditect-license
	$(GO) build -o $(SERVER) ./cmd/coditect-license-server
	$(GO) build -o $(CLI) ./cmd/coditect-license

run: build ## start the server on the embedded default (SQLite + in-memory ledger in ./data)
	./$(SERVER)

test: ## run every test (with the race detector)
	$(GO) test -race -count=1 ./...

test-short: ## run the tests without the race detector
	$(GO) test -count=1 ./...

cover: ## run the tests and print total statement coverage (end-to-end runs of the binary included)
	rm -rf $(COVERDIR) && mkdir -p $(COVERDIR)
	CODITECT_E2E_COVERDIR=$(COVERDIR) $(GO) test -count=1 -coverpkg=$(COVERPKG) -coverprofile=cover.out ./... > /dev/null
	$(GO) tool covdata textfmt -i=$(COVERDIR) -o cover-e2e.out -pkg=$(COVERPKG)
	tail -n +2 cover-e2e.out >> cover.out
	@$(GO) tool cover -func=cover.out | tail -1
	@$(GO) tool cover -func=cover.out | awk -v min=$(COVER_MIN) '/^total:/ { sub("%","",$$3); if ($$3+0 < min) { printf "coverage %s%% is below %s%%\n", $$3, min; exit 1 } }'

lint: ## gofmt, go vet and staticcheck
	@out="$$(gofmt -l .)"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

fmt: ## format the Go code
	gofmt -w .

generate: ## regenerate code from SQL (sqlc)
	$(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION) generate

bench: ## run the Go benchmarks
	$(GO) test -run '^$$' -bench . -benchmem ./...

clean: ## remove build outputs
	rm -rf $(BIN) cover.out cover-e2e.out $(COVERDIR)
