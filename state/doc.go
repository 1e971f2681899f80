// Package state is Sluice's durable storage: the catalog, the windowed state
// of persistent queries and their checkpoints, kept in one Pebble database.
// It knows nothing of SQL or Kafka: catalog values and checkpoint records are
// opaque bytes that exec encodes, and window state is addressed by an
// order-preserving key codec.
//
// # Keyspace layout
//
// The first byte of every key names its family, so the families never
// interleave and a scan of one can never see another:
//
//	0x01 catalog      0x01 | str(kind) | str(name)                      → opaque definition
//	0x02 window state 0x02 | str(query) | op u32 | end i64 | start i64 | group → opaque aggregate state
//	0x03 checkpoint   0x03 | str(query)                                  → opaque record (offsets, sequence)
//	0x04 offset log   0x04 | str(query) | u64 batch                      → a batch's offset ranges, logged before it runs
//	0x05 snapshot     0x05 | str(query) | u32 chunk                      → the operators' state at the checkpoint
//	0x06 view rows    0x06 | str(query) | u64 seq                        → rows a materialized view emitted
//	0x07 spill        0x07 | str(spill id) | op u32 | end i64 | start i64 | group → accumulator states (scratch)
//
// str(s) writes s with each 0x00 byte escaped as 0x00 0xFF and a 0x00 0x01
// terminator. The terminator sorts below any continuation, so the encoding
// preserves string order and no encoded id is a prefix of another ("q1" and
// "q10" never share a scan). Integers are big-endian; i64 has its sign bit
// flipped so times before 1970 sort before later ones. Window end precedes
// start so that [WindowKeyPrefix, WindowKeyUpperBound(watermark)) is exactly
// the set of windows a watermark has closed, in closing order; the group key
// bytes come last and unescaped (their order is their byte order). Times are
// microseconds since the UNIX epoch.
//
// # Atomicity and durability
//
// A Batch commits atomically. A checkpoint is one Batch holding the
// operators' snapshot (DeleteSnapshot then SetSnapshotChunk), the view rows
// emitted since the previous checkpoint, the query's checkpoint record
// (Batch.SetCheckpoint) and the trimming of the offset log it covers,
// committed with sync, so state and source offsets are never out of step.
// DeleteQueryData drops all of a query's families in one batch.
// Catalog writes are synced individually.
//
// The spill family (0x07) is the exception: it is scratch space where a
// window aggregate keeps the open state that does not fit its memory
// budget, written without sync and keyed by a spill id that names one
// running instance of a query. It is never part of a checkpoint (a
// snapshot copies the entries), an instance deletes its range when it
// closes, and an Engine wipes the whole family when it starts
// (DeleteAllSpill), so nothing a crash leaves there is ever read.
//
// # Goroutines and lifecycle
//
// The package starts no goroutines; Pebble runs its own flush and
// compaction goroutines, which Store.Close stops. Store methods are safe for
// concurrent use; Close waits for in-flight calls, then closes Pebble, and
// every later call returns ErrClosed. Close reports batches that were never
// committed or closed. Pebble's log lines go to Options.Logger (never
// stderr).
//
// # Errors
//
// ErrNotFound for absent keys, ErrCorrupt for keys that do not decode in a
// known prefix or Pebble corruption (server maps it to SQLSTATE XX001),
// ErrClosed after Close.
package state
