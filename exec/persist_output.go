package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/state"
)

// persistOutput is where a persistent query's rows go: a materialized
// view's stored rows (viewOutput) or a sink's Kafka topic (sinkOutput).
// The driver goroutine owns it and calls it in this order: recover once,
// then for every batch emit, and at every checkpoint prepareCheckpoint,
// the Pebble commit, committed; close at the end.
type persistOutput interface {
	// emit takes batch b's output rows (nil = none; emit does not take
	// ownership). suppressed: the rows are already durable downstream
	// (sink replay of batches <= marker), so they are dropped.
	emit(ctx context.Context, b uint64, rows arrow.RecordBatch, suppressed bool) error
	// prepareCheckpoint runs before the Pebble checkpoint batch pb
	// commits: the view writes its pending rows into pb; the sink
	// produces its marker {"query","batch":b} and commits its Kafka txn.
	prepareCheckpoint(ctx context.Context, b uint64, pb *state.Batch) error
	// committed runs after pb committed (the view drops its pending rows;
	// the sink nothing).
	committed()
	// recover runs once before replay; the sink fences the previous
	// producer and returns the last committed marker batch (0 = none); the
	// view returns 0.
	recover(ctx context.Context) (uint64, error)
	// pendingRows bounds memory: the driver checkpoints early when it
	// exceeds maxPendingRows.
	pendingRows() int64
	// close releases what the output holds (pending rows, producers). It
	// does not checkpoint.
	close()
}

// maxPendingRows is the number of rows a persistent query may hold in
// memory between checkpoints before it checkpoints early.
const maxPendingRows = 1 << 20
