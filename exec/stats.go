package exec

import (
	"slices"
	"sync"
	"time"

	"github.com/sluicedb/sluice/ingest"
)

// Query states reported in QueryInfo.State.
const (
	StateRunning   = "running"
	StateFinished  = "finished"  // ended by LIMIT
	StateFailed    = "failed"    // ended by an error; LastError says which
	StateCancelled = "cancelled" // ended by Close, engine Close or its ctx
	// StateRestarting: a persistent query failed with an error that is not
	// permanent and waits to restart from its last checkpoint; LastError
	// says why (persist_restart.go).
	StateRestarting = "restarting"
)

// maxBatchHistory is how many of its latest batches a query keeps for
// sluice.batches: enough to see a trend, bounded so that a query running
// for months holds no more than at its start.
const maxBatchHistory = 100

// QueryInfo is a snapshot of one query's progress, the row of
// sluice.queries. Counters are totals since the query started.
type QueryInfo struct {
	ID, Kind, SQL, State string
	StartedAt            time.Time
	Batches              int64
	InputRows            int64 // records decoded
	OutputRows           int64 // rows delivered to the consumer
	LateRows             int64 // rows dropped from closed windows (all operators)
	NullTimeRows         int64 // rows a windowed query dropped because their event time is NULL
	DecodeErrors         int64 // records skipped under on_decode_error = 'skip'
	LastError            string
	// Watermark is the source watermark after the last batch; the zero
	// time when there is none yet.
	Watermark time.Time
	// LagRows is the sum over partitions of end offset − next offset,
	// measured when the last batch was planned.
	LagRows int64
	// StateBytes is the operators' approximate state size after the last batch.
	StateBytes int64
	// LastProcessing is how long the last batch took, from its start to
	// its rows being queued for the consumer.
	LastProcessing time.Duration
	// LastSchedulingDelay is how late the last batch started relative to
	// its trigger (a tick, or a ProcessAllAvailable request).
	LastSchedulingDelay time.Duration
	// Checkpoints counts the checkpoints of a persistent query, carried
	// across restarts by the checkpoint record like the other totals;
	// LastCheckpoint is when the latest one was written, the zero time
	// when there is none yet.
	Checkpoints    int64
	LastCheckpoint time.Time
	// RateLimit is the records/s per partition the rate controller allowed
	// for the last batch; 0 when there is no limit.
	RateLimit float64
	// Restarts counts the times the engine restarted this persistent query
	// from its checkpoint after a transient failure, since it started.
	Restarts int64
}

// BatchInfo describes one micro-batch of a query, the row of
// sluice.batches.
type BatchInfo struct {
	QueryID string
	BatchID int64
	// Ranges are the offset ranges read, one per partition.
	Ranges                          []ingest.Range
	InputRows, OutputRows, LateRows int64
	SchedulingDelay, Processing     time.Duration
	StateBytes                      int64
	// Checkpointed: a checkpoint was taken right after this batch.
	Checkpointed bool
	// At is when the batch started (for a persistent query, the time in
	// its offset log, which a replay reuses).
	At time.Time
}

// batchStats are the figures of one micro-batch.
type batchStats struct {
	// batchID is the batch's number; 0 means the query numbers none (push
	// queries), and record uses the count of batches run instead.
	batchID                             int64
	ranges                              []ingest.Range
	at                                  time.Time
	inputRows, outputRows, decodeErrors int64
	lateRows, nullTimeRows, stateBytes  int64 // operator totals after the batch
	lastDecodeError                     string
	watermark                           int64 // µs, noWatermark when none
	lag                                 int64
	processing, schedulingDelay         time.Duration
	// rate is the records/s per partition the batch was capped at (0 = none).
	rate float64
}

// queryStats accumulates a query's figures; the driver writes, Info reads.
type queryStats struct {
	// mu guards info and the batch history.
	mu struct {
		sync.Mutex
		info QueryInfo
		// hist is a ring of the latest batches: once full, next is the
		// index of the oldest, which the next batch overwrites.
		hist []BatchInfo
		next int
	}
}

func (s *queryStats) init(info QueryInfo) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.info = info
}

// record adds one batch's figures.
func (s *queryStats) record(b batchStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := &s.mu.info
	// Operators count late rows as a running total; the batch's own are
	// the growth since the previous batch.
	batchLate := max(b.lateRows-in.LateRows, 0)
	in.Batches++
	in.InputRows += b.inputRows
	in.OutputRows += b.outputRows
	in.DecodeErrors += b.decodeErrors
	in.LateRows = b.lateRows
	in.NullTimeRows = b.nullTimeRows
	in.StateBytes = b.stateBytes
	if b.lastDecodeError != "" {
		in.LastError = b.lastDecodeError
	}
	if b.watermark != noWatermark {
		in.Watermark = time.UnixMicro(b.watermark).UTC()
	}
	in.LagRows = b.lag
	in.LastProcessing = b.processing
	in.LastSchedulingDelay = b.schedulingDelay
	in.RateLimit = b.rate
	id := b.batchID
	if id == 0 {
		id = in.Batches
	}
	s.addBatchLocked(BatchInfo{
		QueryID: in.ID, BatchID: id, Ranges: slices.Clone(b.ranges),
		InputRows: b.inputRows, OutputRows: b.outputRows, LateRows: batchLate,
		SchedulingDelay: b.schedulingDelay, Processing: b.processing,
		StateBytes: b.stateBytes, At: b.at,
	})
}

// addBatchLocked appends bi to the history, overwriting the oldest entry
// once maxBatchHistory are kept.
func (s *queryStats) addBatchLocked(bi BatchInfo) {
	if len(s.mu.hist) < maxBatchHistory {
		s.mu.hist = append(s.mu.hist, bi)
		return
	}
	s.mu.hist[s.mu.next] = bi
	s.mu.next = (s.mu.next + 1) % maxBatchHistory
}

// history returns the kept batches, oldest first. The result and its
// Ranges are copies the caller may keep and change.
func (s *queryStats) history() []BatchInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	h := s.mu.hist
	out := make([]BatchInfo, 0, len(h))
	out = append(out, h[s.mu.next:]...)
	out = append(out, h[:s.mu.next]...)
	for i := range out {
		out[i].Ranges = slices.Clone(out[i].Ranges)
	}
	return out
}

// markCheckpointed records a checkpoint committed at at right after batch
// batchID: the batch's history entry (if still kept) shows it, and the
// query's checkpoint count and time advance. Earlier batches stay
// unmarked, so sluice.batches shows where checkpoints were taken.
func (s *queryStats) markCheckpointed(batchID int64, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.mu.hist {
		if s.mu.hist[i].BatchID == batchID {
			s.mu.hist[i].Checkpointed = true
		}
	}
	s.mu.info.Checkpoints++
	s.mu.info.LastCheckpoint = at
}

// end records how the query ended.
func (s *queryStats) end(state string, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.info.State = state
	if err != nil {
		s.mu.info.LastError = err.Error()
	}
}

// restarting records that a persistent query failed with err and waits
// to restart.
func (s *queryStats) restarting(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.info.State = StateRestarting
	s.mu.info.LastError = err.Error()
}

// addRestart counts one restart attempt.
func (s *queryStats) addRestart() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mu.info.Restarts++
}

// restarted records a restart from the checkpoint of batch ckpt: the
// query runs again, and its totals go back to those of the checkpoint
// (from restored), because the batches after it run again and count
// again; for the same reason their history entries go. What describes
// the query rather than its batches stays: start time, checkpoints,
// restarts and the last error.
func (s *queryStats) restarted(restored QueryInfo, ckpt int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := &s.mu.info
	in.State = StateRunning
	in.Batches, in.InputRows, in.OutputRows = restored.Batches, restored.InputRows, restored.OutputRows
	in.DecodeErrors, in.LateRows = restored.DecodeErrors, restored.LateRows
	kept := make([]BatchInfo, 0, len(s.mu.hist))
	for _, b := range slices.Concat(s.mu.hist[s.mu.next:], s.mu.hist[:s.mu.next]) {
		if b.BatchID <= ckpt {
			kept = append(kept, b)
		}
	}
	s.mu.hist, s.mu.next = kept, 0
}

func (s *queryStats) snapshot() QueryInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.info
}
