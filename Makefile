# Sluice — developer targets. `make run` and `make test` are the two a new
# user needs; the rest are for working on Sluice.
GO       ?= go
BIN      := bin/sluice
PKG      ?= ./...
BENCH    ?= .
# An execution count, not a duration: Go 1.26's fuzz coordinator can fail a
# duration-bounded run with "context deadline exceeded" at the deadline
# under CPU contention (go.dev/issue/75804, fixed in Go 1.27); a count has
# no deadline to race.
FUZZTIME ?= 100000x
STATICCHECK_VERSION := v0.8.2

.PHONY: build run test testrace lint fuzz bench bench-quick bench-tumble bench-nexmark bench-nexmark-quick bench-micro bench-persist bench-latency bench-load profile rewrite tidy-check clean

build:
	$(GO) build -o $(BIN) ./cmd/sluice

# The demo: embedded Kafka broker, live Nexmark-style data, PG wire on 5433.
run: build
	./$(BIN) --demo --data-dir ./data

# Every test: unit, golden SQL, end-to-end with psql and pgx. The invariants
# tag turns on the extra ownership checks.
test:
	$(GO) test -tags invariants -timeout 15m ./...

testrace:
	$(GO) test -tags invariants -race -timeout 20m ./...

lint:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt: files above need formatting"; exit 1)
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

# Short runs of every fuzz target (crashers land in testdata/fuzz/).
fuzz:
	$(GO) test ./sql -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME)
	$(GO) test ./server -run '^$$' -fuzz FuzzDecodeMessage -fuzztime $(FUZZTIME)
	$(GO) test ./server -run '^$$' -fuzz FuzzServeConn -fuzztime $(FUZZTIME)
	$(GO) test ./ingest -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./ingest -run '^$$' -fuzz FuzzRecordBatches -fuzztime $(FUZZTIME)
	$(GO) test ./state -run '^$$' -fuzz FuzzKeyCodec -fuzztime $(FUZZTIME)
	$(GO) test ./exec -run '^$$' -fuzz FuzzRestore -fuzztime $(FUZZTIME)

# Micro-benchmarks: make bench-micro PKG=./exec BENCH=WindowAgg; compare with benchstat.
bench-micro:
	$(GO) test $(PKG) -run '^$$' -bench '$(BENCH)' -benchmem -count 10

# Persistent queries: checkpoint and restore of 1 M open groups, pull
# queries on a 100k-row view, view vs push throughput (docs/benchmarks.md).
bench-persist:
	$(GO) test ./exec -run '^$$' -bench 'Snapshot1M|Restore1M|Checkpoint1M|Recover1M' -benchtime 5x
	$(GO) test ./cmd/sluice -run '^$$' -bench 'PullQuery100k|ViewVsPush' -benchtime 3x

# The Nexmark suite of issue 6 (q0, q1, q2, q5-agg, q7-agg, q11, q12, and
# DuckDB on q7-agg): each query against a fresh server, results checked
# against a reference. make bench: 10 M events per query, medians of 3
# runs (the issue's default); make bench-quick (run by CI): 1 M events,
# one run, about a minute on 2 cores. The Kafka broker (kfake) runs in the
# benchmark process, on the same cores, so that the server's CPU, RSS and
# GC figures are the server's own, as with a real Kafka;
# NEXMARK_BROKER= measures with the broker embedded in the server.
NEXMARK_EVENTS ?= 10000000
NEXMARK_RUNS   ?= 3
NEXMARK_BROKER ?= -external-broker
bench: bench-nexmark
bench-nexmark: build
	$(GO) run ./cmd/sluice-bench -queries all -events $(NEXMARK_EVENTS) -runs $(NEXMARK_RUNS) $(NEXMARK_BROKER) -bin ./$(BIN)

bench-quick: bench-nexmark-quick
bench-nexmark-quick: build
	$(GO) run ./cmd/sluice-bench -queries all -events 1000000 -runs 1 $(NEXMARK_BROKER) -bin ./$(BIN)

# The single TUMBLE query over preloaded records (the first end-to-end
# benchmark; docs/benchmarks.md "End to end").
bench-tumble: build
	$(GO) run ./cmd/sluice-bench -events 1000000 -bin ./$(BIN)

# Window latency of issue 6: q7-agg over TUMBLE 250 ms with a live producer
# at half the probed q7-agg throughput, at batch intervals of 1 s, 100 ms
# and 10 ms (about 45 s each); see docs/benchmarks.md. 120 windows per run
# give a p99 that is not just the maximum.
LATENCY_DURATION ?= 30s
LATENCY_WINDOW ?= 250ms
bench-latency: build
	$(GO) run ./cmd/sluice-bench -latency -batch-interval 1s -duration $(LATENCY_DURATION) -window $(LATENCY_WINDOW) -bin ./$(BIN)
	$(GO) run ./cmd/sluice-bench -latency -batch-interval 100ms -duration $(LATENCY_DURATION) -window $(LATENCY_WINDOW) -bin ./$(BIN)
	$(GO) run ./cmd/sluice-bench -latency -batch-interval 10ms -duration $(LATENCY_DURATION) -window $(LATENCY_WINDOW) -bin ./$(BIN)

# Many sessions (issue 5): LOAD_SESSIONS sessions, each with a continuous
# TUMBLE 1 s query and a second connection running pull queries on a view
# and sluice.queries every 200 ms, for LOAD_DURATION; fails on any error or
# a query that missed a closed window (docs/benchmarks.md, "Many sessions").
LOAD_SESSIONS ?= 500
LOAD_DURATION ?= 30s
bench-load: build
	$(GO) run ./cmd/sluice-bench -load -sessions $(LOAD_SESSIONS) -duration $(LOAD_DURATION) -bin ./$(BIN)

# q7-agg over 3 M bids with CPU and allocation profiles of the server:
# go tool pprof bin/sluice cpu.pprof; go tool pprof -sample_index=alloc_space bin/sluice alloc.pprof
profile: build
	$(GO) run ./cmd/sluice-bench -queries q7-agg -events 3000000 -duckdb=false $(NEXMARK_BROKER) -bin ./$(BIN) -cpuprofile-server cpu.pprof -allocprofile-server alloc.pprof
	$(GO) tool pprof -top -nodecount=25 $(BIN) cpu.pprof
	$(GO) tool pprof -sample_index=alloc_space -top -nodecount=10 $(BIN) alloc.pprof

rewrite:
	$(GO) test $(PKG) -rewrite

tidy-check:
	$(GO) mod tidy
	git diff --exit-code go.mod go.sum

clean:
	rm -rf bin data
