// Package ingest is Sluice's Kafka access and JSON decoding. It knows
// nothing of SQL: exec asks it for exact offset ranges and for Arrow
// batches of a schema.
//
// # Layers
//
//   - Client (client.go, topics.go, offsets.go, fetch.go, fetchconn.go,
//     batches.go, decompress.go, produce.go): one franz-go client plus
//     kadm. It never joins a consumer group and never commits offsets;
//     offsets belong to exec's checkpoints. kgo does metadata, offsets and
//     produce.
//
//     Fetch reads exactly [Start, End) per partition by sending fetch
//     requests itself (read committed, no fetch session) to each
//     partition's leader, so concurrent queries share one client and a
//     call costs one round trip when the data is there (about 70 µs for a
//     small range on a local broker). It sends them on a pool of its own
//     connections (fetchconn.go), not kgo's: kgo reads each response into a
//     fresh buffer, which was 83% of the server's allocated bytes in
//     Nexmark, while a pooled connection reuses its read buffer. Each
//     connection carries one fetch at a time; per broker the pool keeps up
//     to 2×GOMAXPROCS idle ones, without buffers over 8 MiB, and lets at
//     most max(64, 4×GOMAXPROCS) fetches be in flight. A connection that
//     failed or was interrupted is closed, never pooled; one the broker
//     closed while idle is redialled once. They are plaintext without
//     SASL, as kgo's are (Options has neither): a TLS or SASL option must
//     cover both.
//
//     Fetch walks the response's record batches in place (batches.go):
//     CRC-32C and framing checked, control batches and aborted
//     transactions skipped as Kafka's consumer does, fn handed one reused
//     Record whose Key and Value alias the response, and the walk stopped
//     once End is reached. Compressed batches decompress into buffers of a
//     bounded free list (decompress.go). A response thus costs no
//     allocation per record; kgo.ProcessFetchPartition, which built a
//     []kgo.Record per fetch (~40% of the server's allocated bytes), now
//     reads only legacy message sets (v0/v1). A partition is complete when
//     the broker's next offset reaches End, which steps over transaction
//     markers, aborted and compacted records. EndOffsets is the last
//     stable offset, so a range never waits on an open transaction. kgo
//     logs go to the Options.Logger through a small kgo.Logger adapter
//     (slog.go).
//
//   - TxnProducer (txn.go): a separate transactional franz-go client per
//     exactly-once sink. NewTxnProducer fences the previous producer of its
//     transactional id and aborts its open transaction before returning.
//     LastRecord (last_record.go) reads read committed backwards, in growing
//     windows, to find a partition's last committed record (a sink's
//     commit marker).
//
//   - Decoder (decode*.go): JSON records into Arrow builders of one schema
//     with a single-pass scanner; a row reaches the builders only once all
//     its fields parsed, so Append is all-or-nothing. EncodeJSON
//     (encode.go) is its inverse, used by INSERT.
//
//   - Broker (broker.go): an embedded kfake node whose topics persist in a
//     directory, for the demo and tests.
//
//   - Package nexmark: the demo and benchmark event generator.
//
// # Goroutines and their lifetimes
//
//   - Client: franz-go's own goroutines (connections, metadata updates,
//     produce sinks). Client.Close stops them and waits. Fetch and Produce
//     run on the caller's goroutine and return on ctx cancellation. Fetch's
//     connections start none: a ctx that ends during a round trip runs a
//     context.AfterFunc that moves the connection's deadline into the past
//     and returns; a round trip is bounded by fetchMaxWait plus 10 s even
//     without a ctx deadline. Client.Close closes the connections, idle or
//     in use.
//   - TxnProducer: franz-go's goroutines of its own client; Close aborts an
//     open transaction (bounded) and stops them.
//   - Broker: kfake's accept loop, per-connection goroutines and cluster
//     loop. Broker.Close stops them after persisting state.
//   - nexmark.Run runs on the caller's goroutine until its ctx is done.
//
// The Decoder starts nothing and is not safe for concurrent use.
package ingest
