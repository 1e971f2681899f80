package exec

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/ingest"
)

// source reads one stream's topic for one query in exact offset ranges and
// decodes the records into Arrow. It is owned by the query's driver
// goroutine after StartQuery and is not safe for concurrent use.
//
// The next offset of every partition lives here; a micro-batch reads
// [next, min(end, next+cap)) of each partition, where end is the partition's
// end offset when the batch is planned, and then advances next to the end of
// the range (offsets of skipped control or aborted records are gaps).
type source struct {
	kafka  *ingest.Client
	stream string
	topic  string
	latest bool  // init starts at the end offsets instead of the log start
	cap    int64 // records per partition per batch; 0 = unbounded
	// batchMax bounds the records of one batch over all partitions; each
	// partition may read an equal share of it (0 = unbounded).
	batchMax int64
	// failOnDecode: on_decode_error = 'fail'.
	failOnDecode bool
	dec          *ingest.Decoder
	// next is the next offset to read per partition (index = partition);
	// nil until init.
	next []int64
}

// readStats are the counts of one read.
type readStats struct {
	records      int64 // fetched, decodable or not
	decodeErrors int64
	lastError    string // the last skipped record's error
}

// newSource returns a source for spec over def. interval is the batch
// interval, which turns max_rate_per_partition into a per-batch cap. The
// caller must close the source.
func newSource(mem memory.Allocator, kafka *ingest.Client, def StreamDef, spec SourceSpec, maxRecords, batchMax int64, interval time.Duration) (*source, error) {
	dec, err := ingest.NewDecoder(mem, arrow.NewSchema(spec.Columns, nil))
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", def.Name, err)
	}
	return &source{
		kafka: kafka, stream: def.Name, topic: def.Topic,
		latest:       def.Start == startLatest,
		cap:          batchCap(maxRecords, def.MaxRatePerPartition, interval),
		batchMax:     batchMax,
		failOnDecode: def.OnDecodeError == decodeErrorFail,
		dec:          dec,
	}, nil
}

// init reads where the query starts: the log start offsets ('earliest')
// or the end offsets ('latest'), as of now, so that a 'latest' query sees
// every record produced after StartQuery returns.
func (s *source) init(ctx context.Context) error {
	ends, err := s.kafka.EndOffsets(ctx, s.topic)
	if err != nil {
		return fmt.Errorf("end offsets of %q: %w", s.topic, err)
	}
	return s.addPartitions(ctx, ends)
}

// batchCap returns the per-partition cap of one batch: the smaller of
// maxRecords and rate × interval (rounded up, at least 1), ignoring unset
// (zero) limits; 0 means no cap.
func batchCap(maxRecords, rate int64, interval time.Duration) int64 {
	c := maxRecords
	if rate > 0 {
		r := int64(math.Ceil(float64(rate) * interval.Seconds()))
		r = max(r, 1)
		if c == 0 || r < c {
			c = r
		}
	}
	return c
}

// plan returns the ranges of the next batch and the lag that will remain
// once they are read. It picks up partitions added since init, reading
// them from their log start so that no record written to them is missed.
func (s *source) plan(ctx context.Context) (ranges []ingest.Range, lag int64, err error) {
	ends, err := s.kafka.EndOffsets(ctx, s.topic)
	if err != nil {
		return nil, 0, fmt.Errorf("end offsets of %q: %w", s.topic, err)
	}
	if err := s.addPartitions(ctx, ends); err != nil {
		return nil, 0, err
	}
	limit := s.partitionCap(len(ends))
	for p, end := range ends {
		next := s.next[p]
		if next >= end {
			continue
		}
		stop := end
		if limit > 0 && end-next > limit {
			stop = next + limit
		}
		ranges = append(ranges, ingest.Range{Partition: int32(p), Start: next, End: stop})
		lag += end - stop
	}
	return ranges, lag, nil
}

// partitionCap is the per-partition limit of a batch over n partitions:
// the configured cap, lowered to an equal share of batchMax.
func (s *source) partitionCap(n int) int64 {
	c := s.cap
	if s.batchMax > 0 && n > 0 {
		share := max((s.batchMax+int64(n)-1)/int64(n), 1)
		if c == 0 || share < c {
			c = share
		}
	}
	return c
}

// addPartitions extends next to cover every partition in ends.
func (s *source) addPartitions(ctx context.Context, ends []int64) error {
	if len(ends) <= len(s.next) {
		return nil
	}
	first := s.next == nil
	starts := ends
	if !first || !s.latest {
		var err error
		if starts, err = s.kafka.StartOffsets(ctx, s.topic); err != nil {
			return fmt.Errorf("start offsets of %q: %w", s.topic, err)
		}
	}
	for p := len(s.next); p < len(ends); p++ {
		start := int64(0)
		if p < len(starts) {
			start = starts[p]
		}
		s.next = append(s.next, start)
	}
	return nil
}

// endOffsets returns the topic's current end offsets: the target of a
// ProcessAllAvailable.
func (s *source) endOffsets(ctx context.Context) ([]int64, error) {
	ends, err := s.kafka.EndOffsets(ctx, s.topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %q: %w", s.topic, err)
	}
	return ends, nil
}

// caughtUp reports whether every partition has been read up to target.
func (s *source) caughtUp(target []int64) bool {
	for p, end := range target {
		if p >= len(s.next) {
			if end > 0 {
				return false
			}
			continue
		}
		if s.next[p] < end {
			return false
		}
	}
	return true
}

// read fetches ranges, decodes them into one batch (which the caller must
// release) and advances next past them. Records that do not decode are
// skipped and counted, or fail the read with an error wrapping ErrDecode
// under on_decode_error = 'fail'.
func (s *source) read(ctx context.Context, ranges []ingest.Range) (arrow.RecordBatch, readStats, error) {
	var st readStats
	if len(ranges) > 0 {
		err := s.kafka.Fetch(ctx, s.topic, ranges, func(r *ingest.Record) error {
			st.records++
			return s.decode(r, &st)
		})
		if err != nil {
			s.dec.NewRecordBatch().Release() // drop the rows decoded so far
			return nil, st, err
		}
	}
	for _, r := range ranges {
		s.next[r.Partition] = r.End
	}
	return s.dec.NewRecordBatch(), st, nil
}

// decode appends one record, applying on_decode_error.
func (s *source) decode(r *ingest.Record, st *readStats) error {
	err := s.dec.Append(r)
	if err == nil {
		return nil
	}
	where := fmt.Sprintf("stream %q partition %d offset %d", s.stream, r.Partition, r.Offset)
	if !errors.Is(err, ingest.ErrDecode) {
		return fmt.Errorf("%s: %w", where, err)
	}
	if s.failOnDecode {
		return fmt.Errorf("%w: %s: %w", ErrDecode, where, err)
	}
	st.decodeErrors++
	st.lastError = where + ": " + err.Error()
	return nil
}

// close releases the decoder.
func (s *source) close() { s.dec.Release() }
