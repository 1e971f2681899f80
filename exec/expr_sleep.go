package exec

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// newPgSleep is pg_sleep(seconds): it waits, once per row, then yields
// PostgreSQL's void as an empty string. The wait observes ctx, so a cancel
// (pgjdbc's setQueryTimeout, psql's Ctrl-C) ends it at once with 57014.
func newPgSleep(args []Expr) (Expr, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	x, err := Cast(args[0], arrow.PrimitiveTypes.Float64)
	if err != nil {
		return nil, err
	}
	return &callExpr{fn: "pg_sleep", t: arrow.BinaryTypes.String, args: []Expr{x}, kernel: sleepKernel}, nil
}

func sleepKernel(ctx context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	for i := range n {
		secs, ok := sleepSeconds(ops[0], i)
		if ok && secs > 0 {
			if err := sleepCtx(ctx, secs); err != nil {
				return nil, err
			}
		}
		b.Append("")
	}
	return b.NewArray(), nil
}

// sleepSeconds is row i's argument; ok is false for NULL (no wait).
func sleepSeconds(o operand, i int) (float64, bool) {
	if o.isLit {
		if o.lit == nil {
			return 0, false
		}
		return litAs[float64](o.lit), true
	}
	a := o.arr.(*array.Float64)
	if a.IsNull(i) {
		return 0, false
	}
	return a.Value(i), true
}

// sleepCtx waits secs seconds (capped at a day: a longer wait ends with
// the cancel anyway) or until ctx ends.
func sleepCtx(ctx context.Context, secs float64) error {
	d := time.Duration(math.Min(secs, 86400) * float64(time.Second))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("pg_sleep: %w", context.Cause(ctx))
	}
}
