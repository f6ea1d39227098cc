# The Makefile is the interface: CI calls these targets and nothing else.
GO        ?= go
BIN       := bin
SERVER    := $(BIN)/coditect-license-server
CLI       := $(BIN)/coditect-license
GOFLAGS   ?=
STATICCHECK_VERSION := v0.8.2
COVER_MIN := 85
SQLC_VERSION        := v1.31.1
# The Go packages of the project (web/node_modules can hold stray Go code).
PKGS      := $(shell $(GO) list ./... | grep -v /node_modules/)
# Packages whose statements count towards coverage: generated code, the
# conformance suites (test code that other tests import) and the example
# programs are left out.
COVERPKG  := $(shell echo "$(PKGS)" | tr ' ' '\n' | grep -v -e /internal/sqlcdb -e 'test$$' -e /examples/ | paste -sd, -)
COVERDIR  := $(CURDIR)/coverage

.PHONY: help build run test test-go test-short cover lint fmt generate bench bench-go clean

include web/web.mk
include chaos.mk
include bench.mk

help: ## list the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: web-build ## build the web UI, bin/coditect-license-server (UI embedded) and bin/coditect-license
	$(GO) build -o $(SERVER) ./cmd/coditect-license-server
	$(GO) build -o $(CLI) ./cmd/coditect-license

run: build ## start the server on the embedded default (SQLite + in-memory ledger in ./data)
	./$(SERVER)

test: ## run every test: Go (with the race detector), then the web UI's unit and browser tests
	$(GO) test -race -count=1 $(PKGS)
	$(MAKE) web-test

test-go: ## run the Go tests only (with the race detector)
	$(GO) test -race -count=1 $(PKGS)

test-short: ## run the Go tests without the race detector
	$(GO) test -count=1 $(PKGS)

cover: ## run the tests and print total statement coverage (end-to-end runs of the binary included)
	rm -rf $(COVERDIR) && mkdir -p $(COVERDIR)
	CODITECT_E2E_COVERDIR=$(COVERDIR) $(GO) test -count=1 -coverpkg=$(COVERPKG) -coverprofile=cover.out $(PKGS) > /dev/null
	$(GO) tool covdata textfmt -i=$(COVERDIR) -o cover-e2e.out -pkg=$(COVERPKG)
	tail -n +2 cover-e2e.out >> cover.out
	@$(GO) tool cover -func=cover.out | tail -1
	@$(GO) tool cover -func=cover.out | awk -v min=$(COVER_MIN) '/^total:/ { sub("%","",$$3); if ($$3+0 < min) { printf "coverage %s%% is below %s%%\n", $$3, min; exit 1 } }'

lint: ## gofmt, go vet and staticcheck
	@out="$$(gofmt -l $$(git ls-files '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) $(PKGS)

fmt: ## format the Go code
	gofmt -w .

generate: ## regenerate code from SQL (sqlc)
	$(GO) run github.com/sqlc-dev/sqlc/cmd/sqlc@$(SQLC_VERSION) generate

bench: bench-load ## run the load tool against a freshly started server and print the tables

bench-go: ## run every package's Go benchmarks (ledgers, stores, tokens, HTTP middleware)
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

clean: ## remove build outputs
	rm -rf $(BIN) cover.out cover-e2e.out $(COVERDIR)
