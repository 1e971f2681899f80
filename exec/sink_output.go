package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedb/sluice/ingest"
	"github.com/sluicedb/sluice/state"
)

// sinkProduceChunk bounds the rows encoded and in flight per Produce call,
// so a large output batch does not hold all its JSON at once.
const sinkProduceChunk = 4096

// sinkMarkerTopic is the single-partition topic where sink name commits,
// in the same Kafka transaction as its rows, the batch each checkpoint
// covers. Its last committed record is how recovery knows which replayed
// batches are already in the output topic.
func sinkMarkerTopic(name string) string { return "__sluice_sink_" + name }

// sinkTxnID is the sink's transactional id: stable across restarts, so a
// new incarnation fences the previous one.
func sinkTxnID(name string) string { return "sluice-sink-" + name }

// sinkMarker is the marker record's JSON. Created (the sink's creation
// time, µs) tells markers of an earlier sink of the same name, left in a
// marker topic that outlived it, from this sink's own.
type sinkMarker struct {
	Query   string `json:"query"`
	Batch   uint64 `json:"batch"`
	Created int64  `json:"created_us,omitempty"`
}

// sinkCreated is def.Created as stored in markers; 0 if unset.
func sinkCreated(def SinkDef) int64 {
	if def.Created.IsZero() {
		return 0
	}
	return def.Created.UnixMicro()
}

// sinkOutput writes a sink's rows to its output topic as JSON records
// inside one Kafka transaction per checkpoint (persistOutput). Rows are
// invisible to read_committed readers until prepareCheckpoint commits the
// transaction together with the batch marker, so after a crash the
// uncommitted rows vanish (the next producer aborts them) and the replayed
// batches write them again, exactly once. Driver goroutine only.
type sinkOutput struct {
	kafka  *ingest.Client // for LastRecord and partition counts
	opts   ingest.Options // to open the TxnProducer
	def    SinkDef
	schema *arrow.Schema
	log    *slog.Logger

	// prod is nil until recover.
	prod *ingest.TxnProducer
	// partitions of def.Topic, read by recover.
	partitions int32
	buf        []byte
	// last is the highest offset written per output partition (index =
	// partition; -1 none) in the open transaction: after the commit,
	// awaitVisible waits for read_committed readers to see up to it.
	last []int64
}

func newSinkOutput(kafka *ingest.Client, opts ingest.Options, def SinkDef, schema *arrow.Schema, log *slog.Logger) *sinkOutput {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &sinkOutput{kafka: kafka, opts: opts, def: def, schema: schema, log: log}
}

// recover fences the previous incarnation of the sink (its open
// transaction is aborted before NewTxnProducer returns) and returns the
// batch of the last committed marker, 0 if none.
func (s *sinkOutput) recover(ctx context.Context) (uint64, error) {
	if s.prod != nil {
		s.prod.Close()
		s.prod = nil
	}
	n, err := s.kafka.Partitions(ctx, s.def.Topic)
	if err != nil {
		return 0, fmt.Errorf("exec: sink %q: output topic: %w", s.def.Name, err)
	}
	s.partitions = n
	prod, err := ingest.NewTxnProducer(ctx, s.opts, sinkTxnID(s.def.Name))
	if err != nil {
		return 0, fmt.Errorf("exec: sink %q: %w", s.def.Name, err)
	}
	s.prod = prod
	// Read only after fencing: the old producer can no longer commit.
	v, ok, err := s.kafka.LastRecord(ctx, sinkMarkerTopic(s.def.Name), 0)
	if err != nil {
		return 0, fmt.Errorf("exec: sink %q: read marker: %w", s.def.Name, err)
	}
	if !ok {
		s.log.Info("sink recovered", "query_id", s.def.QueryID, "marker_batch", 0)
		return 0, nil
	}
	var m sinkMarker
	if err := json.Unmarshal(v, &m); err != nil {
		// Corrupt state: a restart would read the same record again.
		return 0, fmt.Errorf("exec: sink %q: %w: bad marker %q: %w", s.def.Name, ErrCorruptState, v, err)
	}
	if m.Query != s.def.QueryID {
		return 0, fmt.Errorf("exec: sink %q: %w: marker of query %q, want %q", s.def.Name, ErrCorruptState, m.Query, s.def.QueryID)
	}
	if m.Created != sinkCreated(s.def) {
		// Its batches are not ours: suppressing by them would drop rows.
		s.log.Info("sink recovered, ignoring an earlier sink's marker", "query_id", s.def.QueryID,
			"marker_batch", m.Batch, "marker_created_us", m.Created)
		return 0, nil
	}
	s.log.Info("sink recovered", "query_id", s.def.QueryID, "marker_batch", m.Batch)
	return m.Batch, nil
}

// emit produces rows into the open transaction, one JSON record per row
// (as INSERT writes them). Suppressed rows are already committed.
func (s *sinkOutput) emit(ctx context.Context, b uint64, rows arrow.RecordBatch, suppressed bool) error {
	if suppressed || rows == nil || rows.NumRows() == 0 {
		return nil
	}
	if s.prod == nil {
		return errors.New("exec: sink: emit before recover")
	}
	named, err := s.named(rows)
	if err != nil {
		return err
	}
	defer named.Release()
	n := int(named.NumRows())
	for lo := 0; lo < n; lo += sinkProduceChunk {
		recs := s.encode(named, lo, min(n, lo+sinkProduceChunk))
		if err := s.prod.Produce(ctx, s.def.Topic, recs); err != nil {
			return fmt.Errorf("exec: sink %q batch %d: %w", s.def.Name, b, err)
		}
		s.noteWritten(recs)
	}
	return nil
}

// noteWritten records the offsets Produce assigned to recs.
func (s *sinkOutput) noteWritten(recs []*ingest.Record) {
	for _, r := range recs {
		for int(r.Partition) >= len(s.last) {
			s.last = append(s.last, -1)
		}
		s.last[r.Partition] = max(s.last[r.Partition], r.Offset)
	}
}

// named gives rows the output stream's field names (the JSON keys), as
// Engine.Insert does. The caller releases the result.
func (s *sinkOutput) named(rows arrow.RecordBatch) (arrow.RecordBatch, error) {
	if s.schema == nil {
		rows.Retain()
		return rows, nil
	}
	if err := checkOutput(rows.Schema(), s.schema); err != nil {
		return nil, fmt.Errorf("exec: sink %q: %w", s.def.Name, err)
	}
	return array.NewRecordBatch(s.schema, rows.Columns(), rows.NumRows()), nil
}

// encode turns rows [lo, hi) into records. A row's partition is a hash of
// its JSON, so a replayed batch lands exactly where an uninterrupted run
// would have put it (round-robin would depend on the producer's history).
func (s *sinkOutput) encode(b arrow.RecordBatch, lo, hi int) []*ingest.Record {
	recs := make([]*ingest.Record, hi-lo)
	for i := range recs {
		start := len(s.buf)
		s.buf = ingest.EncodeJSON(b, lo+i, s.buf)
		v := s.buf[start:len(s.buf):len(s.buf)]
		recs[i] = &ingest.Record{Partition: rowPartition(v, s.partitions), Value: v}
	}
	// The records alias buf until Produce returns; the next call
	// starts over (keeping the capacity).
	s.buf = s.buf[:0]
	return recs
}

// rowPartition hashes an encoded row to one of n partitions: FNV-1a,
// stable across processes (unlike maphash), then a mixer, because FNV's
// low bits are nearly the parity of the bytes and rows of one shape would
// crowd into few partitions.
func rowPartition(v []byte, n int32) int32 {
	h := fnv.New64a()
	h.Write(v)
	x := h.Sum64()
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	return int32(x % uint64(max(n, 1)))
}

// prepareCheckpoint commits batch b's marker and every row produced since
// the last checkpoint in one Kafka transaction, before the Pebble
// checkpoint commits. If Pebble then fails, recovery replays the batches
// after the old checkpoint and suppresses those <= b.
func (s *sinkOutput) prepareCheckpoint(ctx context.Context, b uint64, _ *state.Batch) error {
	if s.prod == nil {
		return errors.New("exec: sink: checkpoint before recover")
	}
	v, err := json.Marshal(sinkMarker{Query: s.def.QueryID, Batch: b, Created: sinkCreated(s.def)})
	if err != nil {
		return fmt.Errorf("exec: sink %q: marker: %w", s.def.Name, err)
	}
	marker := []*ingest.Record{{Partition: 0, Value: v}}
	if err := s.prod.Produce(ctx, sinkMarkerTopic(s.def.Name), marker); err != nil {
		return fmt.Errorf("exec: sink %q batch %d: marker: %w", s.def.Name, b, err)
	}
	if err := s.prod.Commit(ctx); err != nil {
		return fmt.Errorf("exec: sink %q batch %d: %w", s.def.Name, b, err)
	}
	s.awaitVisible(ctx)
	return nil
}

// sinkVisibleWait bounds awaitVisible.
const sinkVisibleWait = 5 * time.Second

// awaitVisible waits until read_committed readers can see every record of
// the transaction just committed: the broker writes the commit markers
// after EndTxn answers, so the output partitions' last stable offsets
// move a moment later. Waiting here makes "checkpointed" mean "readable":
// a query of the output stream planned after the checkpoint sees its rows.
// The rows are committed either way, so a slow broker only costs the
// wait, which is bounded; it is logged.
func (s *sinkOutput) awaitVisible(ctx context.Context) {
	last := s.last
	s.last = s.last[:0]
	deadline := time.Now().Add(sinkVisibleWait)
	for {
		ends, err := s.kafka.EndOffsets(ctx, s.def.Topic)
		if err == nil && visible(ends, last) {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.log.Warn("sink rows committed but not yet visible to read_committed readers",
				"query_id", s.def.QueryID, "waited", sinkVisibleWait, "error", err)
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// visible reports whether every partition's end offset is past its last
// written offset.
func visible(ends, last []int64) bool {
	for p, off := range last {
		if off >= 0 && (p >= len(ends) || ends[p] <= off) {
			return false
		}
	}
	return true
}

// committed: the rows are already durable in Kafka.
func (s *sinkOutput) committed() {}

// pendingRows: the sink keeps no rows in memory (they wait in the open
// Kafka transaction).
func (s *sinkOutput) pendingRows() int64 { return 0 }

// close aborts an uncommitted transaction and closes the producer.
func (s *sinkOutput) close() {
	if s.prod != nil {
		s.prod.Close()
		s.prod = nil
	}
}
