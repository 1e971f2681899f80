package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Operator is one step of a micro-batch pipeline. Operators are plain
// method calls driven by the query's driver goroutine: they are not safe
// for concurrent use and start no goroutines.
//
// Ownership: Push and Flush do not take ownership of their input; the
// batches they hand to emit are owned by the operator and released after
// emit returns, so emit must Retain a batch it keeps.
type Operator interface {
	// Push processes one input batch and emits zero or more output batches.
	Push(ctx context.Context, in arrow.RecordBatch, emit EmitFunc) error
	// Flush ends a micro-batch. wm is the watermark after this batch (µs
	// since the epoch, math.MinInt64 when none); windows with end <= wm
	// close. Rows of the next batch are late for windows closed here.
	Flush(ctx context.Context, wm int64, emit EmitFunc) error
	// Stats returns counters accumulated so far.
	Stats() OpStats
	// Close releases the operator's memory.
	Close()
}

// EmitFunc receives an operator's output batch; it must not keep the batch
// beyond the call without Retain.
type EmitFunc func(ctx context.Context, b arrow.RecordBatch) error

// OpStats are an operator's counters.
type OpStats struct {
	LateRows   int64 // rows dropped from a window that had closed
	StateBytes int64 // approximate bytes of state held
	OpenGroups int64 // (window, group) entries held, spilled ones included
	// SpilledSlots counts the (window, group) entries a window aggregate
	// keeps in the store's spill family, beyond its memory budget.
	SpilledSlots int64
	// NullTimeRows counts rows dropped by a window aggregate because their
	// event time was NULL (they belong to no window; not counted as late).
	NullTimeRows int64
}

// buildOperator instantiates an operator for spec over input of schema in.
// Implemented in build.go (operators) and used by the driver.
//
//	func buildOperator(mem memory.Allocator, spec OpSpec, in *arrow.Schema) (Operator, *arrow.Schema, error)
var _ = memory.NewGoAllocator
