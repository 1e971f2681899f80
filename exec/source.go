package exec

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"slices"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"golang.org/x/sync/errgroup"

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
//
// read splits a batch's ranges (cut into pieces when there are few of
// them) among up to 2×GOMAXPROCS decode workers, each fetching its own
// ranges (Client.Fetch serves concurrent calls) and decoding them in the
// fetch callback into its own Decoder. The workers are
// goroutines of one read, under an errgroup: read returns only after all of
// them have, so none outlives its batch. The Decoders stay with the source
// and are reused by the next batches; worker i uses decs[i] only.
type source struct {
	kafka  *ingest.Client
	mem    memory.Allocator
	schema *arrow.Schema
	stream string
	topic  string
	latest bool  // init starts at the end offsets instead of the log start
	cap    int64 // records per partition per batch; 0 = unbounded
	// batchMax bounds the records of one batch over all partitions; each
	// partition may read an equal share of it (0 = unbounded).
	batchMax int64
	// rate, when set, is the query's backpressure: it lowers the cap of
	// each batch to its per-partition rate × interval (rateBatchCap).
	rate     *rateController
	interval time.Duration
	// failOnDecode: on_decode_error = 'fail'.
	failOnDecode bool
	// decs are the decode workers' decoders (decs[0] made by newSource, the
	// others on first use); a nil entry is remade when next needed.
	decs []*ingest.Decoder
	// next is the next offset to read per partition (index = partition);
	// nil until init.
	next []int64
	// log receives the stack of a panicking decode worker; set by the
	// driver (nil: discard).
	log *slog.Logger
	// workers, when > 0, is the number of decode workers of every batch
	// (at most one per range), regardless of GOMAXPROCS and batch size
	// (tests); 0 = the default rule of workerCount.
	workers int
	// decodeHook, when set, runs in the decode worker before each record
	// is decoded (tests).
	decodeHook func(*ingest.Record)
	// minPiece, when > 0, replaces minRecordsPerWorker as the smallest
	// piece split cuts a range into (tests).
	minPiece int64
}

// minRecordsPerWorker is the fewest records worth a decode worker of their
// own: a smaller batch uses fewer workers, and one of under twice this
// many records a single one (one fetch request, nothing to coordinate).
const minRecordsPerWorker = 1024

// readStats are the counts of one read.
type readStats struct {
	records      int64 // fetched, decodable or not
	decodeErrors int64
	lastError    string // the last skipped record's error
}

// rangeRead is what a decode worker found in one range of a read. Only the
// worker the range is assigned to writes it, and read looks at it only
// after every worker has returned.
type rangeRead struct {
	readStats
	// fail is the range's first undecodable record under
	// on_decode_error = 'fail'; the range's later records are skipped.
	fail error
}

// newSource returns a source for spec over def. interval is the batch
// interval, which turns max_rate_per_partition into a per-batch cap. The
// caller must close the source.
func newSource(mem memory.Allocator, kafka *ingest.Client, def StreamDef, spec SourceSpec, maxRecords, batchMax int64, interval time.Duration) (*source, error) {
	schema := arrow.NewSchema(spec.Columns, nil)
	dec, err := ingest.NewDecoder(mem, schema)
	if err != nil {
		return nil, fmt.Errorf("source %q: %w", def.Name, err)
	}
	return &source{
		kafka: kafka, mem: mem, schema: schema, stream: def.Name, topic: def.Topic,
		latest:       def.Start == startLatest,
		cap:          batchCap(maxRecords, def.MaxRatePerPartition, interval),
		batchMax:     batchMax,
		interval:     interval,
		failOnDecode: def.OnDecodeError == decodeErrorFail,
		decs:         []*ingest.Decoder{dec},
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
	ends, err := s.kafka.EndOffsetsShared(ctx, s.topic) // read-only; see EndOffsetsShared
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
// the configured cap, lowered to an equal share of batchMax and to the
// rate controller's estimate, if any.
func (s *source) partitionCap(n int) int64 {
	c := s.cap
	if s.batchMax > 0 && n > 0 {
		share := max((s.batchMax+int64(n)-1)/int64(n), 1)
		if c == 0 || share < c {
			c = share
		}
	}
	return rateBatchCap(c, s.rate.perPartition(n), s.interval)
}

// setNext sets the next offset of every partition: a persistent query's
// checkpoint, or the vector logged before a replayed batch. Partitions
// beyond next are picked up by plan from their log start.
func (s *source) setNext(next []int64) {
	s.next = slices.Clone(next)
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

// read fetches ranges, decodes them into batches (which the caller must
// release; empty ones are left out, so there may be none) and advances next
// past them. The rows of one partition are in offset order over the
// batches in order: a partition is in one batch, or cut into consecutive
// pieces in consecutive batches (see split). Records that do not decode are
// skipped and counted, or fail the read with an error wrapping ErrDecode
// under on_decode_error = 'fail': the first undecodable record of the
// lowest failing partition, whatever the workers' timing.
//
// The ranges are split among workerCount decode workers, goroutines under
// an errgroup that read waits for; a worker's fetch error or panic cancels
// the others and fails the read.
func (s *source) read(ctx context.Context, ranges []ingest.Range) (_ []arrow.RecordBatch, st readStats, err error) {
	pieces := s.split(ranges)
	n := s.workerCount(pieces)
	if n == 0 {
		return nil, st, nil
	}
	for len(s.decs) < n {
		s.decs = append(s.decs, nil)
	}
	for w := range n {
		if s.decs[w] == nil {
			if s.decs[w], err = ingest.NewDecoder(s.mem, s.schema); err != nil {
				return nil, st, fmt.Errorf("source %q: %w", s.stream, err)
			}
		}
	}
	reads := make([]rangeRead, len(pieces))
	// failedAt is the lowest index of a range with a failing record so far:
	// later ranges need not be decoded.
	var failedAt atomic.Int64
	failedAt.Store(math.MaxInt64)
	g, gctx := errgroup.WithContext(ctx)
	for w, mine := range assignRanges(pieces, n) {
		dec := s.decs[w]
		g.Go(s.recovered(w, func() error {
			return s.work(gctx, dec, pieces, mine, reads, &failedAt)
		}))
	}
	err = g.Wait()
	for _, r := range reads {
		if err == nil && r.fail != nil {
			err = r.fail
		}
		st.records += r.records
		st.decodeErrors += r.decodeErrors
		if r.lastError != "" {
			st.lastError = r.lastError
		}
	}
	if err != nil {
		// Drop the decoders with the rows decoded so far: a worker that
		// panicked may have left its decoder inconsistent.
		for w := range n {
			s.decs[w].Release()
			s.decs[w] = nil
		}
		return nil, st, err
	}
	batches := make([]arrow.RecordBatch, 0, n)
	for _, dec := range s.decs[:n] {
		b := dec.NewRecordBatch()
		if b.NumRows() == 0 {
			b.Release()
			continue
		}
		batches = append(batches, b)
	}
	for _, r := range ranges {
		s.next[r.Partition] = r.End
	}
	return batches, st, nil
}

// workersPerCore is how many decode workers a batch may run per core. A
// worker alternates between waiting for a fetch round trip and decoding
// the response; with two per core one decodes while the other waits.
const workersPerCore = 2

// maxWorkers is the most decode workers of one batch.
func (s *source) maxWorkers() int {
	if s.workers > 0 {
		return s.workers
	}
	return workersPerCore * runtime.GOMAXPROCS(0)
}

// workerCount is the number of decode workers for ranges: one per range at
// most, at most maxWorkers, and at least minRecordsPerWorker records each
// (but at least one worker).
func (s *source) workerCount(ranges []ingest.Range) int {
	if len(ranges) == 0 {
		return 0
	}
	if s.workers > 0 {
		return min(s.workers, len(ranges))
	}
	return max(1, min(s.maxWorkers(), len(ranges), int(min(totalRecords(ranges)/minRecordsPerWorker, math.MaxInt32))))
}

func totalRecords(ranges []ingest.Range) int64 {
	var total int64
	for _, r := range ranges {
		total += r.End - r.Start
	}
	return total
}

// split returns the ranges a batch's workers read. With fewer ranges than
// the workers the batch is worth (a topic of few partitions), it cuts
// each range into consecutive pieces of about equal size, at least
// minPiece records each, one per worker, so that every worker gets one;
// otherwise it returns ranges. The pieces of a partition are consecutive
// in the result and ascending, so the workers' batches, in order, keep
// each partition's offset order, and no worker fetches a partition twice.
func (s *source) split(ranges []ingest.Range) []ingest.Range {
	minPiece := s.minPiece
	if minPiece == 0 {
		minPiece = minRecordsPerWorker
	}
	total := totalRecords(ranges)
	want := int64(s.maxWorkers())
	want = min(want, total/minPiece)
	if want <= int64(len(ranges)) {
		return ranges
	}
	per := max((total+want-1)/want, minPiece)
	pieces := make([]ingest.Range, 0, want)
	for _, r := range ranges {
		size := r.End - r.Start
		k := max(1, size/per)
		for j := range k {
			pieces = append(pieces, ingest.Range{Partition: r.Partition, Start: r.Start + size*j/k, End: r.Start + size*(j+1)/k})
		}
	}
	if int64(len(pieces)) > want {
		return ranges // rounding gave more pieces than workers
	}
	return pieces
}

// assignRanges splits the indexes of ranges among n workers, balancing the
// records (the largest range first, each to the least loaded worker). Each
// worker's indexes are in increasing order.
func assignRanges(ranges []ingest.Range, n int) [][]int {
	order := make([]int, len(ranges))
	for i := range order {
		order[i] = i
	}
	size := func(i int) int64 { return ranges[i].End - ranges[i].Start }
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(size(b), size(a)) })
	out := make([][]int, n)
	load := make([]int64, n)
	for _, i := range order {
		w := 0
		for v := range load {
			if load[v] < load[w] {
				w = v
			}
		}
		out[w] = append(out[w], i)
		load[w] += size(i)
	}
	for _, o := range out {
		slices.Sort(o)
	}
	return out
}

// recovered wraps decode worker w's body so that a panic becomes an error
// that fails the read (and so only this query), its stack logged.
func (s *source) recovered(w int, f func() error) func() error {
	return func() (err error) {
		defer func() {
			if r := recover(); r != nil {
				if s.log != nil {
					s.log.Error("decode worker panicked", "stream", s.stream, "worker", w, "panic", r, "stack", string(debug.Stack()))
				}
				err = fmt.Errorf("exec: internal error in decode worker %d of stream %q: %v", w, s.stream, r)
			}
		}()
		return f()
	}
}

// work is the body of a decode worker: it fetches the ranges whose indexes
// are in mine (of distinct partitions) and decodes their records into dec
// inside the fetch callback (records are only valid during the call),
// writing only reads[i] for i in mine.
func (s *source) work(ctx context.Context, dec *ingest.Decoder, ranges []ingest.Range, mine []int, reads []rangeRead, failedAt *atomic.Int64) error {
	own := make([]ingest.Range, len(mine))
	maxPart := int32(0)
	for j, i := range mine {
		own[j] = ranges[i]
		maxPart = max(maxPart, ranges[i].Partition)
	}
	// slot maps a partition to its range's index in ranges.
	slot := make([]int, maxPart+1)
	for _, i := range mine {
		slot[ranges[i].Partition] = i
	}
	return s.kafka.Fetch(ctx, s.topic, own, func(r *ingest.Record) error {
		i := slot[r.Partition]
		rr := &reads[i]
		rr.records++
		if s.failOnDecode && (rr.fail != nil || int64(i) > failedAt.Load()) {
			return nil // an earlier record fails the read anyway
		}
		if s.decodeHook != nil {
			s.decodeHook(r)
		}
		if err := s.decode(dec, r, rr); err != nil {
			return err
		}
		if rr.fail != nil {
			lowerFailedAt(failedAt, int64(i))
		}
		return nil
	})
}

// lowerFailedAt lowers *a to i if i is lower.
func lowerFailedAt(a *atomic.Int64, i int64) {
	for {
		cur := a.Load()
		if i >= cur || a.CompareAndSwap(cur, i) {
			return
		}
	}
}

// decode appends one record to dec, applying on_decode_error: under 'skip'
// it counts the record in rr; under 'fail' it records the error in rr.fail
// (the caller stops decoding the range). Other errors are returned.
func (s *source) decode(dec *ingest.Decoder, r *ingest.Record, rr *rangeRead) error {
	err := dec.Append(r)
	if err == nil {
		return nil
	}
	where := fmt.Sprintf("stream %q partition %d offset %d", s.stream, r.Partition, r.Offset)
	if !errors.Is(err, ingest.ErrDecode) {
		return fmt.Errorf("%s: %w", where, err)
	}
	if s.failOnDecode {
		rr.fail = fmt.Errorf("%w: %s: %w", ErrDecode, where, err)
		return nil
	}
	rr.decodeErrors++
	rr.lastError = where + ": " + err.Error()
	return nil
}

// close releases the decoders.
func (s *source) close() {
	for _, dec := range s.decs {
		if dec != nil {
			dec.Release()
		}
	}
	s.decs = nil
}
