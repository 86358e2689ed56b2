# TalentChain developer commands. `make test` is what CI runs (.ci/run).

GO       ?= go
FUZZTIME ?= 10s
# CI_FUZZTIME is how long `make test` fuzzes each target; FUZZJOBS how many
# targets run at once (each with FUZZWORKERS workers).
CI_FUZZTIME ?= 2s
FUZZJOBS    ?= 2
FUZZWORKERS ?= 1
# FUZZMINIMIZE bounds the minimising of each new input (go test's default,
# 60s, can take a short run's whole budget); a crasher is still written.
FUZZMINIMIZE ?= 1000x
# FUZZ selects targets: an extended regexp over "<package dir> <Target>"
# (write $$ for an end anchor).
FUZZ        ?= .
BIN      ?= bin/talentchain

# Our Go files: not .git, testdata or the patched copies in third_party.
GOFILES = $(shell find . -name '*.go' -not -path './.git/*' -not -path '*/testdata/*' -not -path './third_party/*')

.PHONY: test test-deps fmt-check vet run build bench fuzz fmt

## test: gofmt check, go vet, then every test with the race detector, then
## every fuzz target for CI_FUZZTIME (seed corpus plus new inputs; see fuzz).
## The Redis tests start their own redis-server when it is on PATH (or use
## TALENTCHAIN_REDIS_ADDR); they are skipped without one, and fail with CI=true.
test: test-deps fmt-check vet
	$(GO) test -race -count=1 -timeout 40m ./...
	$(MAKE) --no-print-directory fuzz FUZZTIME=$(CI_FUZZTIME)

## test-deps: a fresh Debian machine lacks redis-server (the Redis store
## tests), chromium (the browser tests) and poppler-utils (the PDF tests);
## install what is missing when we can (root with apt-get), otherwise say
## which tests will be skipped.
test-deps:
	@missing=""; \
	if ! command -v redis-server >/dev/null && [ -z "$$TALENTCHAIN_REDIS_ADDR" ]; then missing="$$missing redis-server"; fi; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v pdftotext >/dev/null || missing="$$missing poppler-utils"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "make test: installing$$missing"; \
			DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
		else \
			echo "make test: missing$$missing: the tests that need them will be skipped (apt-get install$$missing)" >&2; \
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

## fuzz: every fuzz target of every package for FUZZTIME each (default 10s),
## FUZZJOBS at a time: make fuzz FUZZTIME=1m FUZZ='chain|wallet FuzzOpen'. Each package's instrumented test
## binary is built once (go test -c -fuzz), then run per target with go test's
## own corpus cache, so the inputs found add up across runs. Each line reports
## the inputs tried; a failing target prints its output (the crasher is written
## under the package's testdata/fuzz/<Target>/, for `go test -run` to replay)
## and fails the run. A target whose only failure is the fuzzer's own
## "context deadline exceeded" (its time ran out while a loaded machine was
## still reading the corpus; no input failed) is run once more.
fuzz:
	@out=$$(mktemp -d); trap 'rm -rf "$$out"' EXIT; start=$$(date +%s); cache=$$($(GO) env GOCACHE)/fuzz; \
	grep -rH --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git --exclude-dir=third_party '^func Fuzz[A-Za-z0-9_]*(' . | \
		sed -n 's|^\(.*\)/[^/]*_test.go:func \(Fuzz[A-Za-z0-9_]*\)(.*|\1 \2|p' | sort -u | grep -E '$(FUZZ)' > "$$out/targets"; \
	cut -d' ' -f1 "$$out/targets" | sort -u > "$$out/dirs"; \
	echo "make fuzz: $$(wc -l < "$$out/targets") targets in $$(wc -l < "$$out/dirs") packages, $(FUZZTIME) each, $(FUZZJOBS) at a time"; \
	export FUZZ_GO='$(GO)' FUZZ_TIME='$(FUZZTIME)' FUZZ_MIN='$(FUZZMINIMIZE)' FUZZ_WORKERS='$(FUZZWORKERS)' FUZZ_OUT="$$out" FUZZ_CACHE="$$cache"; \
	xargs -P $(FUZZJOBS) -I{} sh -c ' \
		bin="$$FUZZ_OUT/$$(echo "$$0" | tr "/." "__").test"; \
		$$FUZZ_GO test -c -fuzz=. -o "$$bin" "$$0" > "$$bin.log" 2>&1 || { echo "FAIL build $$0"; cat "$$bin.log"; exit 1; }' {} < "$$out/dirs" || exit 1; \
	echo "make fuzz: built in $$(( $$(date +%s) - start ))s"; \
	xargs -P $(FUZZJOBS) -L 1 sh -c ' \
		bin="$$FUZZ_OUT/$$(echo "$$0" | tr "/." "__").test"; log="$$bin.$$1.log"; \
		pkg=$$(cd "$$0" && $$FUZZ_GO list -f "{{.ImportPath}}" .); \
		run() { (cd "$$0" && "$$bin" -test.run "^$$" -test.fuzz "^$$1$$" -test.fuzztime "$$FUZZ_TIME" -test.parallel "$$FUZZ_WORKERS" -test.fuzzminimizetime "$$FUZZ_MIN" \
				-test.timeout 10m -test.fuzzcachedir "$$FUZZ_CACHE/$$pkg") > "$$log" 2>&1; }; \
		if run "$$1"; then \
			echo "ok   $$0 $$1 $$(grep -o "execs: [0-9]*\|baseline coverage: [0-9]*/[0-9]*" "$$log" | tail -1)"; \
		elif grep -q "context deadline exceeded" "$$log" && ! grep -q "Failing input written" "$$log" && run "$$1"; then \
			echo "ok   $$0 $$1 $$(grep -o "execs: [0-9]*\|baseline coverage: [0-9]*/[0-9]*" "$$log" | tail -1) (second try: the fuzzer ran out of its own time on a loaded machine, no input failed)"; \
		else \
			echo "FAIL $$0 $$1"; cat "$$log"; exit 1; \
		fi' < "$$out/targets"; \
	status=$$?; echo "make fuzz: $$(( $$(date +%s) - start ))s"; exit $$status

fmt:
	gofmt -w $(GOFILES)
