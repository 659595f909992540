# Mandate's build. `make run` starts a demo server; `make test` runs every
# test (Go on SQLite, and on PostgreSQL when MANDATE_TEST_POSTGRES_URL is
# set; the dashboard's unit tests; the browser test).

GO        ?= go
NPM       ?= npm
BIN       := bin/mandate
CHROMIUM  ?= /usr/bin/chromium
GOTESTFLAGS ?=

.PHONY: all build frontend frontend-deps run test test-go test-frontend test-e2e \
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

test-go:
	$(GO) test $(GOTESTFLAGS) ./...

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

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...
	./scripts/load.sh

clean:
	rm -rf bin frontend/dist/assets frontend/dist/index.html
