package exec

import (
	"encoding/json"
	"fmt"

	"github.com/sluicedb/sluice/ingest"
)

// checkpointVersion is written into every checkpoint record; a reader that
// meets another version refuses it (ErrStateFormat) instead of misreading.
const checkpointVersion = 1

// checkpointRecord is the JSON checkpoint record of a persistent query
// (state key family 0x03), committed in one Pebble batch with the
// operators' snapshot, the view rows and the offset-log trimming it
// describes: after batch Batch, the query's state is the snapshot and its
// source resumes at Next.
type checkpointRecord struct {
	Version int    `json:"version"`
	Batch   uint64 `json:"batch"`
	// Next is the next offset of every partition (index = partition).
	Next []int64 `json:"next"`
	// Watermarker is watermarker.marshalState (base64 in JSON).
	Watermarker []byte `json:"watermarker"`
	// AtUS is when the checkpoint was written, µs since the epoch.
	AtUS     int64              `json:"at_us"`
	Counters checkpointCounters `json:"counters"`
}

// checkpointCounters carry sluice.queries' totals across restarts.
type checkpointCounters struct {
	Batches      int64 `json:"batches"`
	InputRows    int64 `json:"input_rows"`
	OutputRows   int64 `json:"output_rows"`
	DecodeErrors int64 `json:"decode_errors"`
	Checkpoints  int64 `json:"checkpoints"`
}

func decodeCheckpointRecord(b []byte) (checkpointRecord, error) {
	var r checkpointRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%w: checkpoint record: %w", ErrCorruptState, err)
	}
	if r.Version != checkpointVersion {
		return r, fmt.Errorf("%w: checkpoint record version %d, want %d", ErrStateFormat, r.Version, checkpointVersion)
	}
	return r, nil
}

// offsetLogEntry is the offset-log entry of one batch (state key family
// 0x04), written synced before the batch reads anything, so that recovery
// replays the batch exactly: the same ranges, the same start time (idle
// timeouts) and the same punctuation.
type offsetLogEntry struct {
	Batch uint64 `json:"batch"`
	AtUS  int64  `json:"at_us"`
	Punct int64  `json:"punct"`
	// Next is the next offset of every partition before the batch.
	Next   []int64    `json:"next"`
	Ranges []logRange `json:"ranges"`
}

type logRange struct {
	Partition int32 `json:"p"`
	Start     int64 `json:"start"`
	End       int64 `json:"end"`
}

func toLogRanges(rs []ingest.Range) []logRange {
	out := make([]logRange, len(rs))
	for i, r := range rs {
		out[i] = logRange{Partition: r.Partition, Start: r.Start, End: r.End}
	}
	return out
}

func (e *offsetLogEntry) ranges() []ingest.Range {
	out := make([]ingest.Range, len(e.Ranges))
	for i, r := range e.Ranges {
		out[i] = ingest.Range{Partition: r.Partition, Start: r.Start, End: r.End}
	}
	return out
}

func decodeOffsetLogEntry(batch uint64, b []byte) (offsetLogEntry, error) {
	var e offsetLogEntry
	if err := json.Unmarshal(b, &e); err != nil {
		return e, fmt.Errorf("%w: offset log entry %d: %w", ErrCorruptState, batch, err)
	}
	if e.Batch != batch {
		return e, fmt.Errorf("%w: offset log entry %d says batch %d", ErrCorruptState, batch, e.Batch)
	}
	for _, r := range e.Ranges {
		if r.Partition < 0 || int(r.Partition) >= len(e.Next) || r.Start > r.End {
			return e, fmt.Errorf("%w: offset log entry %d: bad range %+v", ErrCorruptState, batch, r)
		}
	}
	return e, nil
}
