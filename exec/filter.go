package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// filterOp keeps the rows where its predicate is true; false and NULL drop.
type filterOp struct {
	mem  memory.Allocator
	pred Expr
	sel  []int32 // selection vector reused across batches
}

var _ Operator = (*filterOp)(nil)

func newFilter(mem memory.Allocator, spec *FilterSpec) (*filterOp, error) {
	if spec.Pred == nil || spec.Pred.DataType().ID() != arrow.BOOL {
		return nil, fmt.Errorf("filter: predicate must be boolean")
	}
	return &filterOp{mem: mem, pred: spec.Pred}, nil
}

func (f *filterOp) Push(ctx context.Context, in arrow.RecordBatch, emit EmitFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if in.NumRows() == 0 {
		return nil
	}
	res, err := f.pred.Eval(ctx, f.mem, in)
	if err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	f.sel = selectTrue(res, f.sel[:0])
	res.Release()
	switch len(f.sel) {
	case 0:
		return nil
	case int(in.NumRows()):
		return emit(ctx, in)
	}
	out, err := takeBatch(f.mem, in, f.sel)
	if err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	defer out.Release()
	return emit(ctx, out)
}

// selectTrue appends the indexes of rows that are valid and true.
func selectTrue(res arrow.Array, sel []int32) []int32 {
	d := res.Data()
	vals := d.Buffers()[1].Bytes()
	off := d.Offset()
	var valid []byte
	if res.NullN() > 0 {
		valid = d.Buffers()[0].Bytes()
	}
	for i := range res.Len() {
		if bitutil.BitIsSet(vals, off+i) && (valid == nil || bitutil.BitIsSet(valid, off+i)) {
			sel = append(sel, int32(i))
		}
	}
	return sel
}

func (f *filterOp) Flush(context.Context, int64, EmitFunc) error { return nil }
func (f *filterOp) Stats() OpStats                               { return OpStats{} }
func (f *filterOp) Close()                                       {}
