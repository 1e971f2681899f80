// Package exec is Sluice's micro-batch runtime: it keeps the stream
// catalog, runs continuous queries over Kafka topics as a sequence of
// micro-batches of Arrow record batches, tracks watermarks and delivers
// each batch's results to the client.
//
// # Layers
//
// Operators (Operator, built from OpSpec by buildOperator): filter,
// project, window assignment and aggregation, sort. They are plain method
// calls on a batch: Push processes input, Flush ends a micro-batch at a
// watermark. They start no goroutines and are not safe for concurrent use.
//
// Runtime (Engine, Query, driver, source, pipeline, watermarker): the
// catalog and its persistence in state.Store, offset planning and reading
// through ingest.Client, decoding through ingest.Decoder, the watermark,
// batch timing, result delivery and statistics.
//
// Persistent queries (persister, persistOutput with viewOutput and
// sinkOutput): materialized views and sinks, their offset log,
// checkpoints and recovery (see "Persistent queries" below).
//
// # Operators
//
// Filter, project and sort work on one batch at a time with vectorised
// kernels over the raw value buffers and validity bitmaps; literals are
// read in place rather than expanded into columns. CASE and coalesce
// evaluate a branch only on the rows that reach it, so
// CASE WHEN x = 0 THEN 0 ELSE 10 / x END cannot divide by zero.
//
// The window aggregate works in two stages. It interns each group key once
// in a group table (encoded key bytes in an arena, open addressing, a
// dense group id reused across batches and reference counted by the
// windows that hold it); a single NULL-free integer key column skips the
// byte encoding, hashing the key's words built from the value, and a row
// repeating the previous row's key reuses its id. It cuts event time into
// panes of gcd(size, slide) and pre-aggregates each batch by (pane, group
// id) into dense per-batch accumulators: Pebble, Go maps and string keys
// stay off the per-row path. Then it merges each pane's partial result
// once into every window that contains the pane. A HOP batch with
// fixed-size aggregates whose (group id × pane) grid is no larger than
// twice its rows is grouped by grid cell instead (a group id's panes
// consecutive), and each (window, group id) holding rows merges its run of
// pane cells with one range merge per aggregate (BIGINT sums add the run
// in 128 bits, so only a window sum that does not fit overflows). A
// (window, group id) finds its slot in column-wise accumulators (when
// merging pane by pane, first in the group's ring of its most recent
// windows, indexed by window start / slide) in a two-level index:
// window start to that window's table, then group id to slot. A window's
// table is open addressing while it holds few of the ids in use and turns
// into a dense array indexed by group id once it holds at least an eighth
// of them, so the tables a batch touches stay in cache. SESSION groups a
// batch's rows by group id, cuts sessions at the gap and merges them with
// the overlapping open sessions. Flush emits the closed windows in (end,
// start, key) order, or the changed groups for EMIT CHANGES, and frees
// closed windows; a group id whose last window closes is freed and its
// arena bytes reclaimed. Group keys are encoded so that their bytes sort
// like the SQL values (NULLs last) and decode back when results are
// emitted.
//
// Open state larger than memory: each window aggregate of a running query
// instance has a budget (Options.StateMemoryBudget, default 512 MiB, of
// OpStats.StateBytes) and spills what does not fit to the store's spill
// family (0x07: spill id "<query>#<n>", operator, window end, start,
// group key → the slot's accumulator states in the snapshot encoding).
// After a Flush over budget it spills slots down to 3/4 of it, those
// untouched by the batch first, then older windows first; a batch that
// merges into a (window, group) of a window with spilled slots gets it
// back from Pebble in windowState.lookupIn, the one place every merge path
// creates a slot (windows without spilled slots never touch Pebble).
// Closing windows with spilled slots and current() merge the in-memory
// slots with an ordered scan of the spill range, emitting bounded chunks;
// the closed range is deleted with one range tombstone. Snapshots include
// the spilled slots, and restore spills as it goes, so a view larger than
// memory restarts. Results equal the all-in-memory run's. Spill data is
// scratch, written without sync: an instance deletes its range on close
// and NewEngine wipes the family. SESSION aggregates keep everything in
// memory (a session is found by overlap, not by key). See window_spill.go.
//
// Conventions: timestamp ± BIGINT means microseconds (the binder lowers
// INTERVAL constants to that, and those with a month part to add_interval,
// expr_months.go); arithmetic on NUMERIC runs in float64 and
// is cast back; a row is late for a window whose end was at or below the
// watermark of the previous Flush, and a HOP row late for several windows
// counts once in LateRows.
//
// # Goroutines and their lifecycle
//
// The Engine starts no goroutine. Each Query owns exactly one driver
// goroutine, started by Engine.StartQuery (push queries) or by
// CreateView, CreateSink and Resume (persistent queries, under the
// engine's background ctx), and the driver owns the decode workers of the
// batch it is running (see below). The driver ends when:
//
//  1. LIMIT is reached (Next then returns io.EOF, state "finished");
//  2. a batch fails, or panics (the panic is recovered, its stack logged, and
//     the query alone fails; state "failed", Next returns the error);
//  3. Query.Close cancels it (Next returns an error wrapping ErrClosed);
//     DropView and DropSink cancel a persistent query this way;
//  4. Engine.Close closes every running push query, the same way, and
//     asks every persistent query to stop gracefully: between two batches
//     its driver checkpoints and ends (state "cancelled"); Close waits for
//     them all at once, and cancels one that takes longer than
//     gracefulStopTimeout (its next start replays from the checkpoint
//     before). Only then does it cancel the background ctx;
//  5. the ctx given to StartQuery ends (Next returns its cause).
//
// On the way out the driver closes its operators, decoders and persistent
// output (view rows not yet checkpointed, a sink's producer), removes the
// query from the engine's running set and closes Query.done. Close waits
// for that, then releases result batches nobody took. Every blocking step
// of the driver (Kafka I/O, waiting for the consumer) observes its ctx, so
// Close never waits for more than the operator call in progress. A
// persistent query that ended stays in Engine.Queries (a failed one with
// its error) until it is dropped.
//
// Decode workers: source.read splits a batch's ranges among up to
// GOMAXPROCS goroutines (fewer for small batches, one for under 2048
// records; never more than the ranges), started under errgroup.WithContext
// with the query's ctx. Each one fetches its ranges with its own
// Client.Fetch call and decodes the records inside the fetch callback into
// its own ingest.Decoder, which the source keeps and reuses for the next
// batches. A worker ends when its ranges are read, when its ctx ends (the
// query is cancelled, or a sibling failed: a fetch error or a panic, which
// is recovered, its stack logged, and turned into an error that fails the
// query alone). read returns only after Wait, so no worker outlives its
// batch, and the driver touches the decoders again only then. Undecodable
// records under 'fail' do not cancel the siblings: each range keeps its
// own first error and the lowest partition's wins, so the error does not
// depend on timing.
//
// # A micro-batch
//
// The driver triggers a batch on each tick of Options.BatchInterval (the
// first at once; a batch that overruns is followed at once by the next), or
// with Options.ManualTrigger only inside Query.ProcessAllAvailable. A batch:
//
//  1. plans one offset range per partition, [next, min(end, next+cap)),
//     where end is the partition's end offset now and cap is the smaller of
//     Options.MaxRecordsPerPartition and max_rate_per_partition × the batch
//     interval, when set, and, for a persistent query run by the ticker, of
//     its rate controller's estimate (rate.go). The first batch starts at the log start
//     ('earliest') or the end offsets ('latest'); partitions that appear
//     later are read from their log start;
//  2. fetches exactly those ranges and decodes them, in the decode
//     workers, into one record batch of SourceSpec.Columns per worker; a
//     partition's rows are in one batch, in offset order. A record that
//     does not decode is counted and skipped (on_decode_error 'skip'; the
//     reported last error is the last one of the highest such partition)
//     or fails the query with an error wrapping ErrDecode that names
//     partition and offset ('fail'; the first bad record of the lowest
//     such partition);
//  3. pushes those batches through the operators in order, one after
//     another;
//  4. once every row of the micro-batch is pushed, advances the watermark
//     (see watermarker for the exact rule: event time − delay,
//     punctuations from Query.AdvanceWatermark, and idle timeout by the
//     Clock; never backwards) and flushes every operator in order, the
//     flushed output of one pushed into the next;
//  5. concatenates everything the last operator emitted into one
//     RecordBatch, truncates it to what LIMIT allows and queues it for
//     Query.Next. Batches run by the ticker wait while a batch is already
//     queued, so a slow client applies backpressure to reading rather than
//     growing memory. Batches run inside ProcessAllAvailable never wait
//     (the caller decided how much to process), so one goroutine can call
//     ProcessAllAvailable and then drain Next;
//  6. records its figures (QueryInfo, from Query.Info and Engine.Queries).
//
// # Persistent queries
//
// A materialized view (CreateView) or a sink (CreateSink, CREATE STREAM …
// AS SELECT) is a persistent query with a stable id, "view:<name>" or
// "sink:<name>", under which its data is kept in state.Store: the
// checkpoint record (0x03, JSON checkpointRecord: version, batch, next
// offset of every partition, watermarker state, counters), the offset log
// (0x04, one JSON offsetLogEntry per batch), the operators' snapshot
// (0x05, chunks of pipeline.snapshot) and, for a view, its stored rows
// (0x06, Arrow IPC chunks numbered from 1). This is Spark's offset log and
// commit log, with the sink's Kafka transaction as the commit of its
// output. Batches are numbered from 1; a new query writes checkpoint 0
// (its start offsets and empty state) before it starts.
//
// A batch b of a persistent query (persistBatch) plans its ranges like a
// push query, but first writes its offset-log entry (the ranges, the
// batch's start time in µs, the punctuation and the full next-offset
// vector before it) in its own synced Pebble batch; only then does it read
// and run, with that start time and punctuation. Its output goes to the
// query's persistOutput: a view appends the rows to its pending rows in
// memory; a sink produces them as JSON records in its open Kafka
// transaction. A batch that would read nothing and not move the watermark
// is skipped without a log entry. The batch figures go to the query's
// stats (sluice.batches) and its rate controller (ticker mode), which
// caps the next batches' ranges.
//
// Checkpoints: after a batch, when CheckpointInterval has passed since
// the last one (also after an idle batch, so output never waits for new
// input), when pending view rows exceed maxPendingRows (or 64 MiB), or on
// a graceful stop. First the output prepares: a sink produces a marker
// record {"query","batch":b} to its marker topic in the same transaction
// and commits it. Then one synced Pebble batch deletes the old snapshot
// and writes the new one, the view's pending rows, the checkpoint record,
// and deletes the offset-log entries <= b. One log line "checkpoint"
// (query_id, batch, bytes, duration_ms) follows.
//
// Recovery (Resume, at start): each query is re-planned from its stored
// SQL; its sink output fences the previous producer (aborting its open
// transaction) and reads the last committed marker M; the snapshot is
// restored into the new pipeline (a changed plan fails the fingerprint
// check: ErrStateFormat) with the watermarker and the next offsets. The
// driver then replays every logged batch after the checkpoint, in order,
// with exactly its ranges, start time and punctuation, before any new
// batch: so the replayed batches compute exactly what the lost run did.
// Sink output of batches <= M is suppressed (Kafka has it), no checkpoint
// is taken before M, and one is taken right after replaying M when M is
// newer than the checkpoint. A query that cannot be planned or restored
// (damaged, missing or foreign state: an error wrapping ErrStateFormat or
// ErrCorruptState and naming the query) is recorded as failed; the others
// run.
//
// Supervision (persist_restart.go): a persistent query's goroutine is a
// supervisor that runs its driver and, when the driver fails with an
// error that is not permanent (a Kafka error such as a transactional
// produce's OUT_OF_ORDER_SEQUENCE_NUMBER, a broker restart, a Pebble
// write error), releases it (a sink's producer aborts its transaction),
// waits a backoff (1 s, doubling to 30 s; back to 1 s after an
// incarnation that ran a minute) in state "restarting" with last_error
// set, then rebuilds it along Resume's path: the sink fences its previous
// producer, the snapshot is restored and the offset log replayed, so no
// row is lost or doubled. A rebuild that fails transiently waits again.
// Permanent errors end the query ("failed"): ErrStateFormat,
// ErrCorruptState, ErrUnknownStream, ErrDecode under 'fail', the numeric
// errors and ErrStateLimit, and panics: replaying the same batches would
// repeat them. The Query (its id, row in sluice.queries and the
// ProcessAllAvailable call the failure interrupted) stays across
// restarts; QueryInfo.Restarts counts them. ScanView of a view waiting to
// restart fails at once with ErrQueryFailed. The query stays in the
// engine's running set while it waits, so Engine.Close (which stops it at
// once, without a restart) and DropView and DropSink (which cancel it)
// end the supervisor and wait for it like a driver.
//
// A view's contents (ScanView) are its stored rows ∪ its pending rows ∪
// pipeline.current() (the open windows, or every group of a running
// aggregate), the last two taken by the driver between batches on a
// request over Query.scans, with the bound of the stored chunks that go
// with them. Windowed aggregates of a view always emit on window close,
// so each closed window is stored once, final; a view of a running
// aggregate stores no rows at all (its contents are current()).
//
// # Arrow ownership
//
// Every buffer is allocated from Options.Allocator. The driver owns the
// decoded batches of a micro-batch and releases them at the batch's end.
// Operators do not take ownership of their input; what they emit is theirs
// and released after emit returns, so the pipeline retains what it keeps.
// A batch returned by Next belongs to the caller, who must Release it once.
// Engine.Insert does not take ownership of its rows.
//
// # Catalog
//
// Streams are stored in the state catalog under kind "stream", one JSON
// document per name (catalog.go), with Arrow types by name
// (catalog_types.go) and field metadata such as "sql_type" kept. DROP
// STREAM removes the definition only; the topic stays, and queries that
// read the stream fail at their next batch with ErrUnknownStream.
// Materialized views and sinks are stored under kinds "view" and "sink"
// (persist_catalog.go: name, SQL, query id, schema or topic, creation
// time; versioned like streams); a sink's output is also a stream of the
// same name, and dropping that stream drops the sink. DropView and
// DropSink stop the query, remove the definition, then delete all the
// query's state; a view or sink created again under a dropped name first
// deletes any state left by a drop that was cut short.
package exec
