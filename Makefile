# Mandate's build. `make run` starts a demo server; `make test` runs every
# test (Go on SQLite, and on PostgreSQL when MANDATE_TEST_POSTGRES_URL is
# set, including the Node relying-party interop test; the dashboard's unit
# tests; the browser test).

GO        ?= go
NPM       ?= npm
BIN       := bin/mandate
CHROMIUM  ?= /usr/bin/chromium
GOTESTFLAGS ?=

.PHONY: all build frontend frontend-deps interop-deps run test test-go test-frontend test-e2e \
        generate lint bench clean chromium

all: build

frontend-deps:
	@if [ ! -d frontend/node_modules ] || [ frontend/package-lock.json -nt frontend/node_modules/.package-lock.json ]; then \
		$(NPM) --prefix frontend ci --no-audit --no-fund; \
	fi

frontend: frontend-deps
	$(NPM) --prefix frontend run build

build: frontend
	$(GO) build -o $(BIN) ./cmd/mandate

run: build
	./$(BIN) serve --demo

test: test-go test-frontend test-e2e

# The issuer's interop test runs a certified relying party from npm
# (interop/node); here it must run, never skip for want of its packages.
interop-deps:
	@if [ ! -d interop/node/node_modules ] || [ interop/node/package-lock.json -nt interop/node/node_modules/.package-lock.json ]; then \
		$(NPM) --prefix interop/node ci --no-audit --no-fund; \
	fi

test-go: interop-deps
	MANDATE_REQUIRE_NODE_INTEROP=1 $(GO) test $(GOTESTFLAGS) ./...

test-frontend: frontend-deps
	$(NPM) --prefix frontend test

# The browser test needs Debian's chromium; as root it is installed when missing.
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "The browser test needs chromium at $(CHROMIUM) (apt-get install chromium)"; exit 1; \
		fi; \
	fi

test-e2e: build chromium
	MANDATE_BIN=$(CURDIR)/$(BIN) CHROMIUM=$(CHROMIUM) $(NPM) --prefix frontend run e2e

# Regenerate everything generated: ent (and graph/ent.graphqls), gqlgen, a
# migration per dialect when the schema changed (needs a PostgreSQL dev
# server: MANDATE_DEV_POSTGRES_URL), and the dashboard's GraphQL types.
generate: frontend-deps
	$(GO) mod tidy
	cd ent && $(GO) generate .
	$(GO) tool gqlgen generate
	$(GO) run ./migrations/gen -name $(or $(NAME),changes)
	$(NPM) --prefix frontend run generate

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# Go benchmarks (BenchmarkIssuer among them), then the loopback load run:
# GraphQL, and the issuer per core (server on CPU 0 with GOMAXPROCS=1, load
# generator on CPU 1). Figures and method: docs/benchmarks.md. PostgreSQL
# too when MANDATE_TEST_POSTGRES_URL is set.
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	./scripts/load.sh

clean:
	rm -rf bin frontend/dist/assets frontend/dist/index.html
