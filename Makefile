# TalentChain developer commands. `make test` is what CI runs (.ci/run).

GO       ?= go
FUZZTIME ?= 10s
BIN      ?= bin/talentchain

# Our Go files: not .git, testdata or the patched copies in third_party.
GOFILES = $(shell find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -not -path './third_party/*')

.PHONY: test test-deps fmt-check vet run build bench fuzz fmt

## test: gofmt check, go vet, then every test with the race detector. The Redis
## tests start their own redis-server when it is on PATH (or use
## TALENTCHAIN_REDIS_ADDR); they are skipped without one, and fail with CI=true.
test: test-deps fmt-check vet
	$(GO) test -race -count=1 -timeout 40m ./...

## test-deps: a fresh Debian machine lacks redis-server; install it when we can
## (root with apt-get), otherwise say that the Redis tests will be skipped.
test-deps:
	@if ! command -v redis-server >/dev/null && [ -z "$$TALENTCHAIN_REDIS_ADDR" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "make test: installing redis-server for the Redis store tests"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >/dev/null; \
		else \
			echo "make test: no redis-server on PATH: the Redis store tests will be skipped (apt-get install redis-server)" >&2; \
		fi; \
	fi

fmt-check:
	@out="$$(gofmt -l $(GOFILES))"; \
	if [ -n "$$out" ]; then echo "gofmt would change these files (run make fmt):"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## run: the all-in-one node on http://127.0.0.1:8080, data in ./talentchain-data.
run:
	$(GO) run ./cmd/talentchain serve

build:
	$(GO) build -o $(BIN) ./cmd/talentchain

## bench: every benchmark of the performance report and the load test (tcload
## against serve --demo), then docs/performance.md with its plots; takes a few
## minutes. BENCHFLAGS=-quick for a smoke run, e.g. -skip consortium,batch.
bench:
	$(GO) run ./cmd/benchreport -out docs/performance.md $(BENCHFLAGS)

## fuzz: every fuzz target for FUZZTIME each (default 10s): make fuzz FUZZTIME=1m
fuzz:
	@set -e; for file in $$(grep -rl --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git --exclude-dir=third_party '^func Fuzz' .); do \
		dir=$$(dirname "$$file"); \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' "$$file"); do \
			echo "== fuzz $$dir $$target ($(FUZZTIME))"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) "$$dir"; \
		done; \
	done

fmt:
	gofmt -w $(GOFILES)
