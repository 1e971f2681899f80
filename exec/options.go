package exec

import (
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/ingest"
	"github.com/sluicedb/sluice/state"
)

// Defaults of Options.
const (
	DefaultBatchInterval      = time.Second
	DefaultCheckpointInterval = 10 * time.Second
	// DefaultMaxQueries lets every connection (server MaxConns 1024) run
	// a push query at once; a lower bound turned the 257th concurrent
	// continuous query away with 53000 although its session was accepted.
	DefaultMaxQueries = 1024
	// DefaultMaxBatchRecords bounds one micro-batch to about 100 MB of
	// ~200-byte JSON records, whatever the backlog.
	DefaultMaxBatchRecords = 500_000
)

// Options configures an Engine. NewEngine works on a copy and calls
// EnsureDefaults then Validate; Store and Kafka are required.
type Options struct {
	// Allocator allocates every Arrow buffer the engine creates: decoded
	// batches, operator state and results. Default memory.NewGoAllocator().
	Allocator memory.Allocator
	// Store persists the catalog (and, with checkpoints, query state).
	// Required; the caller opens and closes it.
	Store *state.Store
	// Kafka reads and writes the streams' topics. Required; the caller owns it.
	Kafka *ingest.Client
	// KafkaOptions are the options Kafka was opened with; sinks open their
	// transactional producers with them. Required for CREATE STREAM … AS
	// SELECT (CreateSink fails without brokers); default none.
	KafkaOptions ingest.Options
	// BatchInterval is the micro-batch trigger period. Default 1s.
	BatchInterval time.Duration
	// CheckpointInterval is the period of checkpoints of persistent
	// queries (measured by Clock, checked after each batch). A query also
	// checkpoints early when its pending view rows exceed maxPendingRows,
	// and when it stops gracefully. Default 10s.
	CheckpointInterval time.Duration
	// MaxQueries bounds the queries running at once; StartQuery beyond it
	// fails with ErrTooManyQueries. Default DefaultMaxQueries (1024).
	MaxQueries int
	// Logger receives the engine's logs. Default: discard.
	Logger *slog.Logger
	// Clock is the time source. Default: the wall clock.
	Clock Clock
	// ManualTrigger turns the batch ticker off: batches run only inside
	// Query.ProcessAllAvailable (tests and tools). Default false.
	ManualTrigger bool
	// MaxRecordsPerPartition caps the records read from one partition in
	// one micro-batch. Default 0: no cap beyond the stream's
	// max_rate_per_partition. Tests use 1 and 7 to check that results do
	// not depend on batch boundaries.
	MaxRecordsPerPartition int64
	// MaxBatchRecords bounds the records one micro-batch reads over all
	// its partitions (each partition gets an equal share), so that
	// catching up on a backlog runs as several bounded batches, back to
	// back, instead of one that holds the whole backlog in memory. Default
	// DefaultMaxBatchRecords.
	MaxBatchRecords int64
	// StateMemoryBudget bounds the open state one window aggregate of a
	// query keeps in memory, in bytes (approximate: what OpStats.StateBytes
	// reports); the (window, group) entries beyond it are spilled to Store
	// and read back when needed, with the same results. A negative budget
	// keeps everything in memory. SESSION windows never spill. Default
	// DefaultStateMemoryBudget (512 MiB).
	StateMemoryBudget int64

	// private holds test knobs; never set outside the package.
	private struct {
		// buildOperator, when set, replaces buildOperator so that tests
		// can drive the runtime with probe operators.
		buildOperator operatorBuilder
		// decodeWorkers, when > 0, fixes the decode workers of every
		// batch (at most one per partition read), whatever GOMAXPROCS
		// and the batch size.
		decodeWorkers int
		// minPiece, when > 0, is the smallest piece a batch's range is
		// cut into for a worker of its own (source.split).
		minPiece int64
		// decodeHook, when set, runs in a decode worker before each
		// record is decoded.
		decodeHook func(*ingest.Record)
		// checkpointAfter, when set, replaces the CheckpointInterval rule:
		// a persistent query checkpoints after batch b when it returns true.
		checkpointAfter func(id string, b uint64) bool
		// crashAt, when set, is asked at each crash point of a persistent
		// query's batch (see crashPoint); true ends the driver at once
		// with errSimulatedCrash, without checkpointing or cleaning up
		// anything durable, as a kill -9 would.
		crashAt func(id string, point crashPoint, b uint64) bool
		// stopTimeout, when > 0, replaces gracefulStopTimeout.
		stopTimeout time.Duration
	}
}

// EnsureDefaults fills zero fields with their documented defaults.
func (o *Options) EnsureDefaults() {
	if o.Allocator == nil {
		o.Allocator = memory.NewGoAllocator()
	}
	if o.BatchInterval == 0 {
		o.BatchInterval = DefaultBatchInterval
	}
	if o.CheckpointInterval == 0 {
		o.CheckpointInterval = DefaultCheckpointInterval
	}
	if o.MaxQueries == 0 {
		o.MaxQueries = DefaultMaxQueries
	}
	if o.MaxBatchRecords == 0 {
		o.MaxBatchRecords = DefaultMaxBatchRecords
	}
	if o.StateMemoryBudget == 0 {
		o.StateMemoryBudget = DefaultStateMemoryBudget
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Clock == nil {
		o.Clock = wallClock{}
	}
	if o.private.buildOperator == nil {
		o.private.buildOperator = buildOperator
	}
}

// Validate reports options that cannot work. Call EnsureDefaults first.
func (o *Options) Validate() error {
	switch {
	case o.Store == nil:
		return errors.New("exec: options: Store is required")
	case o.Kafka == nil:
		return errors.New("exec: options: Kafka is required")
	case o.BatchInterval < 0:
		return errors.New("exec: options: negative BatchInterval")
	case o.CheckpointInterval < 0:
		return errors.New("exec: options: negative CheckpointInterval")
	case o.MaxQueries < 0:
		return errors.New("exec: options: negative MaxQueries")
	case o.MaxRecordsPerPartition < 0:
		return errors.New("exec: options: negative MaxRecordsPerPartition")
	case o.MaxBatchRecords < 0:
		return errors.New("exec: options: negative MaxBatchRecords")
	}
	return nil
}
