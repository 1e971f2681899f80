package exec

import (
	"sync"
	"time"
)

// Query states reported in QueryInfo.State.
const (
	StateRunning   = "running"
	StateFinished  = "finished"  // ended by LIMIT
	StateFailed    = "failed"    // ended by an error; LastError says which
	StateCancelled = "cancelled" // ended by Close, engine Close or its ctx
)

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
}

// batchStats are the figures of one micro-batch.
type batchStats struct {
	inputRows, outputRows, decodeErrors int64
	lateRows, nullTimeRows, stateBytes  int64 // operator totals after the batch
	lastDecodeError                     string
	watermark                           int64 // µs, noWatermark when none
	lag                                 int64
	processing, schedulingDelay         time.Duration
}

// queryStats accumulates a query's figures; the driver writes, Info reads.
type queryStats struct {
	// mu guards info.
	mu struct {
		sync.Mutex
		info QueryInfo
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

func (s *queryStats) snapshot() QueryInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mu.info
}
