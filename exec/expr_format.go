package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// This file is PostgreSQL's to_char(timestamp, text) and
// to_timestamp(text, text) (formatting.c, as of PostgreSQL 15): the same
// template patterns, the same lenient input rules (separators and spaces
// match loosely outside FX mode, a number stops at the next separator or
// after its field's width) and the same error wording, so that client
// templates (Superset's 'YYYY-MM-DD HH24:MI:SS.US') give what PostgreSQL
// gives. Sluice's TimeZone is UTC: text without TZH/TZM is read as UTC, and
// timestamptz values print in UTC.
//
// This file is the expression side: newFormatFunc, constant folding and
// the kernels. The template parser is in format_template.go, to_char's
// output in format_output.go, and to_timestamp's input in format_input.go
// and format_assemble.go.

// newFormatFunc builds to_timestamp(text, text) and
// to_char(timestamp[tz], text); to_timestamp(double precision) is
// newToTimestamp. With two constant arguments the value is computed
// here, unless that fails: then the error is left for evaluation, as a
// query over no rows must not fail.
func newFormatFunc(fn string, t arrow.DataType, args []Expr) (Expr, error) {
	if fn == "to_timestamp" && len(args) == 1 {
		return newToTimestamp(t, args)
	}
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	if args[1].DataType().ID() != arrow.STRING {
		return nil, fmt.Errorf("template of type %s, want text", args[1].DataType())
	}
	c := &callExpr{fn: fn, args: args}
	switch in := args[0].DataType(); {
	case fn == "to_char" && in.ID() == arrow.TIMESTAMP:
		c.t, c.kernel = arrow.BinaryTypes.String, toCharKernel(in.(*arrow.TimestampType).TimeZone != "")
	case fn == "to_timestamp" && in.ID() == arrow.STRING:
		c.t = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
		c.kernel = toTimestampKernel(c.t)
	default:
		return nil, fmt.Errorf("argument of type %s is not supported", in)
	}
	return foldConstant(c), nil
}

// foldConstant evaluates a call whose arguments are all literals.
func foldConstant(c *callExpr) Expr {
	ops := make([]operand, len(c.args))
	for i, a := range c.args {
		l, ok := a.(*litExpr)
		if !ok || l.err != nil {
			return c
		}
		ops[i] = operand{lit: l.v, isLit: true}
	}
	mem := memory.NewGoAllocator()
	out, err := c.kernel(context.Background(), mem, ops, 1)
	if err != nil {
		return c
	}
	defer out.Release()
	v := scalarAt(out, 0)
	if s, ok := v.(string); ok {
		v = strings.Clone(s) // it shares the array's buffer
	}
	return Lit(v, c.t)
}

// toCharKernel formats each timestamp with its row's template; an empty
// template gives NULL, as in PostgreSQL. The template cache is per call:
// a query's expressions may be evaluated on several goroutines.
func toCharKernel(zoned bool) kernelFunc {
	return func(ctx context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		var cache templateCache
		return stringRows(func(ops []operand, i int, dst []byte) ([]byte, bool, error) {
			f := strAt(ops[1], i)
			if len(f) == 0 {
				return nil, false, nil
			}
			return appendToChar(dst, cache.get(f), int64At(ops[0], i), zoned), true, nil
		}, false)(ctx, mem, ops, n)
	}
}

// toTimestampKernel parses each text with its row's template.
func toTimestampKernel(t arrow.DataType) kernelFunc {
	return func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		if ops[0].nullLit() || ops[1].nullLit() {
			return array.MakeArrayOfNull(mem, t, n), nil
		}
		var cache templateCache
		text, format := bytesGetter(ops[0]), bytesGetter(ops[1])
		valid, nulls := combineValidity(mem, n, ops...)
		buf, dst := newFixedBuf[int64](mem, n)
		for i := range dst {
			if nulls > 0 && !isRowValid(valid, i) {
				continue
			}
			v, err := parseFormatted(string(text(i)), cache.get(format(i)))
			if err != nil {
				buf.Release()
				if valid != nil {
					valid.Release()
				}
				return nil, err
			}
			dst[i] = v
		}
		return makeArray(t, n, nulls, valid, buf), nil
	}
}
