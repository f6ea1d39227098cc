# Web UI (web/: React + TypeScript + Vite). Included from the Makefile.
# `npm ci` runs when web/node_modules is missing or older than the lock file.
NPM           ?= npm
WEB           := web
WEB_STAMP     := $(WEB)/node_modules/.package-lock.json
# Debian's Chromium, for the browser tests (never a downloaded browser).
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH

.PHONY: web-deps web-generate web-build web-test web-test-unit web-test-e2e

$(WEB_STAMP): $(WEB)/package.json $(WEB)/package-lock.json
	cd $(WEB) && $(NPM) ci --no-audit --no-fund
	@touch $@

web-deps: $(WEB_STAMP) ## install the web UI's npm packages (npm ci) if missing or stale

web-generate: web-deps ## regenerate web/src/types/api.d.ts from docs/api/openapi.yaml
	cd $(WEB) && $(NPM) run gen:api

web-build: web-deps ## build the web UI into web/dist, embedded by the next go build
	cd $(WEB) && $(NPM) run build

web-test-unit: web-deps ## web UI: API types up to date, type check, lint, Vitest
	cd $(WEB) && $(NPM) run check:api && $(NPM) run typecheck && $(NPM) run lint && $(NPM) test

web-test-e2e: web-deps ## web UI in Chromium against the real server binary; writes docs/screenshots/
	cd $(WEB) && $(NPM) run test:e2e

web-test: web-test-unit web-test-e2e ## every web UI check and test
