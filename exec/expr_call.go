package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// kernelFunc evaluates a call over its evaluated arguments for n rows.
type kernelFunc func(ctx context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error)

// callExpr applies a kernel to its arguments. The kernel is chosen once,
// when the call is built, from the argument types.
type callExpr struct {
	fn     string
	t      arrow.DataType
	args   []Expr
	kernel kernelFunc
}

func (c *callExpr) DataType() arrow.DataType { return c.t }

func (c *callExpr) String() string {
	parts := make([]string, len(c.args))
	for i, a := range c.args {
		parts[i] = a.String()
	}
	return c.fn + "(" + strings.Join(parts, ", ") + ")"
}

func (c *callExpr) Eval(ctx context.Context, mem memory.Allocator, b arrow.RecordBatch) (arrow.Array, error) {
	ops, err := evalOperands(ctx, mem, c.args, b)
	if err != nil {
		return nil, err
	}
	defer releaseOperands(ops)
	out, err := c.kernel(ctx, mem, ops, int(b.NumRows()))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.fn, err)
	}
	return out, nil
}

// Call returns the scalar function fn over args with result type t. The
// binder makes the arguments of arithmetic and comparisons the same type;
// two exceptions: "add"/"sub" of a timestamp and an Int64 shifts the
// timestamp by that many µs (how `ts - INTERVAL '4 seconds'` is lowered),
// and decimal arithmetic is computed in float64 and cast to t. When a
// function's natural result type differs from t the result is cast to t.
func Call(fn string, t arrow.DataType, args ...Expr) (Expr, error) {
	e, err := buildCall(fn, t, args)
	if err != nil {
		return nil, fmt.Errorf("function %s: %w", fn, err)
	}
	if t == nil || arrow.TypeEqual(e.DataType(), t) {
		return e, nil
	}
	return Cast(e, t)
}

func buildCall(fn string, t arrow.DataType, args []Expr) (Expr, error) {
	switch fn {
	case "add", "sub", "mul", "div", "mod":
		return newArith(fn, args)
	case "neg":
		return newNeg(args)
	case "eq", "ne", "lt", "le", "gt", "ge":
		return newCompare(fn, args)
	case "and", "or", "not", "is_null", "is_not_null", "is_true", "is_false":
		return newLogic(fn, args)
	case "in", "not_in":
		return newIn(fn, args)
	case "like", "not_like", "ilike", "not_ilike":
		return newLike(fn, args)
	case "lower", "upper", "length", "substring", "concat":
		return newStringFunc(fn, args)
	case "date_trunc":
		return newDateTrunc(args)
	case "add_interval":
		return newAddInterval(args)
	case "extract":
		return newExtract(args)
	case "coalesce":
		return newCoalesce(t, args)
	case "floor", "ceil", "trunc", "round", "abs":
		return newMathFunc(fn, args)
	case "to_timestamp", "to_char":
		return newFormatFunc(fn, t, args)
	case "pg_sleep":
		return newPgSleep(args)
	}
	return nil, fmt.Errorf("unknown function")
}

func wantArgs(args []Expr, n int) error {
	if len(args) != n {
		return fmt.Errorf("expected %d arguments, got %d", n, len(args))
	}
	return nil
}
