// Command sluice-bench is the end-to-end benchmark behind the make targets
// bench, bench-quick (the Nexmark suite, -queries all) and bench-tumble
// (the single TUMBLE query below). It measures how fast a real sluice server turns
// Nexmark bids, read as JSON from its embedded Kafka broker, into closed
// TUMBLE windows delivered over the PostgreSQL wire protocol.
//
// # What it does
//
//  1. Starts the server binary (-bin) as a child process with a fresh
//     temporary --data-dir, free ports for --listen, --kafka-listen and
//     --metrics-listen, an empty --brokers (so the embedded broker runs)
//     and no SLUICE_* environment, then waits for /healthz to answer 200.
//  2. Declares the bids stream (-partitions partitions) over pgx.
//  3. Preloads -events bids from ingest/nexmark (seed -seed, -event-rate
//     events per second of event time, by default 10 M as in the published
//     Nexmark runs) into the broker with a franz-go producer, round-robin
//     over the partitions, uncompressed, then one sentinel bid one hour
//     after the last, so that the watermark passes every real window, and
//     waits for the server to go idle. None of this is timed.
//  4. Times the query below over the simple protocol, from submitting it
//     until the result set holding the last real window (the window after
//     the last real bid) has been read, recording wall time and the
//     server's CPU time (utime+stime from /proc/<pid>/stat) over the same
//     interval.
//  5. Reads the server's peak RSS (VmHWM), cancels the query with a
//     CancelRequest, stops the server with SIGTERM and requires exit
//     status 0.
//  6. Checks that sum(bids) over every row equals the number of bids
//     produced; a mismatch fails the run (exit status 1).
//
// The query:
//
//	SELECT window_end, auction, count(*) AS bids, max(price) AS top
//	FROM bids GROUP BY TUMBLE(date_time, INTERVAL '10 seconds'), auction
//
// # Reading the output
//
// "events/s" is bids per wall-clock second of the timed interval; compare
// runs with the same -events and -batch-interval. "per CPU-second" divides
// by the server's CPU time, which covers everything in the server process,
// including the embedded broker serving the fetches; it is the figure to
// compare with published per-core Nexmark numbers (RisingWave, Flink; q0
// to q2 are the nearest shapes). Peak RSS is the high-water mark of the whole
// run, preload included, so it also counts the broker's in-memory copy of
// the topic.
//
// With -external-broker (any mode) the broker is not the server's: before
// each server starts, the tool starts a fresh single-node, memory-only
// kfake cluster in its own process on a free port, gives the server
// --brokers <that address> instead of --kafka-listen, and preloads into
// it; the cluster is closed after the server has been stopped or killed.
// The server's CPU time, GC share and peak RSS then leave out the broker
// (serving fetches, holding the topic), while the broker still competes
// for the same cores. make bench and make bench-quick run this way.
//
// CPU times come in clock ticks of 10 ms, so "per CPU-second" of a run
// that takes a fraction of a second is only good to about 10%.
//
// At the default 10 M events/s of event time, 1 M bids span about 0.11 s,
// all inside the first window: the output is one row per auction, and the data
// volume, not the number of windows, is what is being measured. No
// max_rate_per_partition is set, so the server may read everything in its
// first micro-batch; a server that waits for its first trigger adds up to
// -batch-interval to the wall time ("first result set read after" shows
// it). A lower -event-rate spreads the same bids over more windows.
//
// # The Nexmark suite (-queries)
//
// With -queries all (or a comma-separated list), the tool runs the Nexmark
// suite of issue 6 instead (`make bench-nexmark`; see suite.go). It
// generates -events bids once, then for each query and each of -runs runs
// starts a fresh server (as in 1.), declares the stream, preloads the same
// bids and times the query until every result for them has arrived:
//   - unwindowed queries (q0 pass-through, q1 `0.908 * price`, q2
//     `auction % 123 = 0`) until the number of rows read equals the number
//     the tool computed from the generated bids; no sentinel is produced;
//   - windowed queries (q5-agg HOP 2 s/10 s count per auction, q7-agg
//     TUMBLE 10 s max(price), q11 SESSION 10 s count per bidder, q12 TUMBLE
//     10 s count per bidder on _timestamp) until the result set holding the
//     greatest window_end of the reference has been read; a sentinel one
//     hour later closes the windows.
//
// Every result is compared with a reference computed in the tool from the
// generated bids (row count and sum(price), or every (window_end, group)
// value); a mismatch fails the run after the figures are printed.
//
// q12 is a processing-time window, and Sluice has no processing-time
// attribute yet: the query windows by _timestamp, the Kafka record time,
// which the tool sets to the wall clock (ms) as it hands each record to
// the producer, and remembers for the reference. For q12 the stream is
// declared without a WATERMARK clause, so the watermark follows
// _timestamp with no delay; the sentinel's record time is one hour after
// the last record's.
//
// Per query the suite prints wall time, events/s, server CPU (as above),
// events per server CPU-second, peak RSS, the GC CPU share and the ratio
// of events per CPU-second to the published per-core figures of RisingWave
// and Flink 1.16 (../../shared/nexmark.md, copied into suiteQueries). The
// GC share comes from the Go runtime's own trace: the server runs with
// GODEBUG=gctrace=1, and the CPU times of the GC cycles that ended during
// the timed interval (read from the server log, see gctrace.go) are divided
// by the server's CPU time. It includes idle-priority mark workers, which
// only run on otherwise idle cores. With -runs > 1 the table shows medians.
//
// With q7-agg selected and -duckdb (the default), the suite also writes
// the bids as JSON lines and times DuckDB on them (read_json with the
// stream's column types, time_bucket 10 s, max(price)) in a node script
// using npm's @duckdb/node-api, which it installs into -duckdb-dir if it is
// missing. The time covers the query and reading its result, not node's
// start-up. DuckDB's result is checked against the same reference. If node
// or npm is missing, or the install fails, the DuckDB line says SKIPPED and
// why; that is not a failure.
//
// -cpuprofile-server and -allocprofile-server profile the first run of
// -profile-query (default q7-agg) in suite mode; the allocation profile is
// the delta of /debug/pprof/allocs over -profile-seconds (read it with
// go tool pprof -sample_index=alloc_space).
//
// # Window latency (-latency)
//
// With -latency (`make bench-latency`; see latency.go, latencyrun.go) the
// tool measures how long a closed window takes to reach the client:
//  1. Unless -rate is given, it first runs q7-agg once over 300 k
//     preloaded bids on a fresh server (as in the suite) and takes half
//     of its events/s as the rate.
//  2. It starts a server with -batch-interval, declares the stream with
//     WATERMARK date_time - -watermark-delay (default 100 ms), submits
//     `SELECT window_end, count(*) AS n, max(price) AS top FROM bids GROUP
//     BY TUMBLE(date_time, -window)` (q7-agg with a count; -window default
//     1 s) and waits max(0.5 s, 3 batch intervals).
//  3. It produces bids live at -rate per second of wall clock for
//     -duration, round-robin over the partitions, with no linger: 64 k
//     generated bids are cycled, and each copy gets date_time = the wall
//     clock (µs) at the moment it is handed to the producer. It goes on
//     until the first record that closes the window the last one fell in.
//  4. A goroutine reads the result sets and stamps every row with the time
//     it was read.
//
// Latency of a window ending at E = the time its row was read by the client
// − the time the producer sent the first record with event time ≥ E +
// delay (the record that lets the watermark pass E). It includes the wait
// for the next micro-batch, the fetch, the batch's work and pgwire: what a
// user sees. The first window (partial, produced while the query warmed
// up) is left out of the figures; every window, the first included, must
// have exactly the count and max(price) that were produced in it, and
// every closed window with records must arrive, or the run fails.
// Percentiles are nearest-rank.
//
// # Many sessions (-load)
//
// With -load (`make bench-load`; see load.go, loadsession.go) the tool
// checks that the server serves many concurrent users (issue 5):
//  1. It starts a server, declares a one-partition stream with WATERMARK
//     date_time - -watermark-delay and start = 'latest', and a
//     materialized view counting each bidder's rows per -window TUMBLE
//     window (default 1 s).
//  2. A producer writes small bids at -rate per second (default 500) for
//     the whole run, with date_time = the wall clock and bidder = sequence
//     number % 10. One partition keeps event time in log order, so no
//     row is ever late and every query counts the same rows per window.
//  3. It opens -sessions sessions (default 500), 32 connections at a
//     time. Each session has two connections, since a continuous query
//     holds its connection until it is cancelled: 1000 connections for
//     500 sessions, under the server's 1024. On the first it runs `SELECT
//     window_end, count(*) AS n FROM bids WHERE bidder = i % 10 GROUP BY
//     TUMBLE(date_time, -window)` and reads every result set; on the
//     second it runs a pull query every -pull-interval (default 200 ms,
//     random phase), alternating `SELECT window_end, n FROM load_counts
//     WHERE bidder = i % 10 ORDER BY window_end DESC LIMIT 1` and `SELECT
//     count(*) FROM sluice.queries WHERE kind = 'push' AND state =
//     'running'`, timing each. A pull that runs longer than the interval
//     is followed at once by the next: the pull rate is closed-loop.
//  4. Once every session is set up it measures for -duration (default
//     30 s): server CPU time, and VmRSS every second (the sampler runs for
//     the whole run).
//  5. It stops the pulls and closes their connections, then lets every
//     continuous query run until it has received the last window that
//     had closed by then (end + delay ≤ the end of the measured period),
//     and cancels it, requiring 57014. The pull connections close first
//     because each CancelRequest is a connection of its own, and the
//     server drops one that arrives beyond its connection limit.
//  6. It reads the view and checks every continuous query: it received
//     something; its windows are consecutive (every bidder has rows in
//     every window) through that last window; and each window but the
//     first, which began before the query started reading, has the
//     view's count.
//
// It prints the error count (setup, continuous and pull errors; the run
// fails on any, and on any failed check), windows received per query,
// pull latency p50/p99/max per kind (nearest-rank), the server's CPU over
// the measured period and its RSS over it: first, last, peak, the means
// of the first and second halves and the least-squares slope, to judge
// whether memory is flat after the ramp.
//
// # Processes and goroutines
//
// The server is this process's child, in its own process group (Ctrl-C
// reaches only the benchmark, which then stops it) and with a parent-death
// signal of SIGKILL. One goroutine waits for it to exit; every return path
// of run kills the child and waits for that goroutine. The Kafka producer's
// goroutines end when its client is closed before timing starts.
package main
