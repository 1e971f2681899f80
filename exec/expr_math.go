package exec

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// newMathFunc builds floor, ceil, trunc, round and abs over one number
// (round also takes a constant digit count). Floats are computed as they
// are; NUMERIC is computed in float64, as decimal arithmetic is (see Call),
// and the caller's result type casts it back. abs keeps integer types.
func newMathFunc(fn string, args []Expr) (Expr, error) {
	if len(args) == 2 && fn == "round" {
		return newRoundDigits(args)
	}
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	if fn == "abs" && isIntType(t) {
		return &callExpr{fn: fn, t: t, args: args, kernel: absIntKernel(t)}, nil
	}
	if !isNumericType(t) {
		return nil, fmt.Errorf("argument of type %s, want a number", t)
	}
	numeric := t.ID() == arrow.DECIMAL128
	f, err := mathFunc(fn, numeric)
	if err != nil {
		return nil, err
	}
	x, err := Cast(args[0], arrow.PrimitiveTypes.Float64)
	if err != nil {
		return nil, err
	}
	f64 := arrow.PrimitiveTypes.Float64
	k := unaryKernel(f64, func(v float64) (float64, error) { return f(v), nil })
	return &callExpr{fn: fn, t: f64, args: []Expr{x}, kernel: k}, nil
}

// mathFunc picks the float function. round on double precision rounds half
// to even (PostgreSQL uses rint); on NUMERIC, half away from zero.
func mathFunc(fn string, numeric bool) (func(float64) float64, error) {
	switch fn {
	case "floor":
		return math.Floor, nil
	case "ceil":
		return math.Ceil, nil
	case "trunc":
		return math.Trunc, nil
	case "abs":
		return math.Abs, nil
	case "round":
		if numeric {
			return math.Round, nil
		}
		return math.RoundToEven, nil
	}
	return nil, fmt.Errorf("unknown function")
}

// newRoundDigits is round(x, n) with n a constant: x rounded half away
// from zero to n decimal places (n < 0 rounds to tens, hundreds, …).
func newRoundDigits(args []Expr) (Expr, error) {
	l, ok := args[1].(*litExpr)
	if !ok {
		return nil, fmt.Errorf("digit count must be a constant")
	}
	n, isInt := l.v.(int64)
	if l.v != nil && !isInt {
		return nil, fmt.Errorf("digit count must be an integer")
	}
	x, err := Cast(args[0], arrow.PrimitiveTypes.Float64)
	if err != nil {
		return nil, err
	}
	f64 := arrow.PrimitiveTypes.Float64
	if l.v == nil {
		return Lit(nil, f64), nil
	}
	scale := math.Pow(10, float64(n))
	k := unaryKernel(f64, func(v float64) (float64, error) { return math.Round(v*scale) / scale, nil })
	return &callExpr{fn: "round", t: f64, args: []Expr{x}, kernel: k}, nil
}

// absIntKernel is abs over an integer type; abs of the most negative value
// overflows, as in PostgreSQL.
func absIntKernel(t arrow.DataType) kernelFunc {
	switch t.ID() {
	case arrow.INT16:
		return unaryKernel(t, absInt[int16])
	case arrow.INT32:
		return unaryKernel(t, absInt[int32])
	}
	return unaryKernel(t, absInt[int64])
}

func absInt[T signedInt](v T) (T, error) {
	if v >= 0 {
		return v, nil
	}
	if -v < 0 {
		return 0, ErrNumericOverflow
	}
	return -v, nil
}

// newToTimestamp is to_timestamp(double precision): seconds since the UNIX
// epoch to TIMESTAMPTZ, rounded to the microsecond.
func newToTimestamp(t arrow.DataType, args []Expr) (Expr, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	x, err := Cast(args[0], arrow.PrimitiveTypes.Float64)
	if err != nil {
		return nil, err
	}
	if t == nil || t.ID() != arrow.TIMESTAMP {
		t = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	}
	k := unaryKernel(t, func(s float64) (int64, error) {
		us := math.Round(s * 1e6)
		if math.IsNaN(us) || us >= math.MaxInt64 || us <= math.MinInt64 {
			return 0, fmt.Errorf("%w: timestamp out of range: %v", ErrInvalidValue, s)
		}
		return int64(us), nil
	})
	return &callExpr{fn: "to_timestamp", t: t, args: []Expr{x}, kernel: k}, nil
}

// unaryKernel applies f to each value of the single operand (element type
// S), producing type t; NULLs stay NULL.
func unaryKernel[S, D fixedElem](t arrow.DataType, f func(S) (D, error)) kernelFunc {
	return func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		o := ops[0]
		if o.nullLit() {
			return array.MakeArrayOfNull(mem, t, n), nil
		}
		if !o.isLit {
			return mapFixed(mem, o.arr, t, f)
		}
		v, err := f(litAs[S](o.lit))
		if err != nil {
			return nil, err
		}
		buf, vals := newFixedBuf[D](mem, n)
		for i := range vals {
			vals[i] = v
		}
		return makeArray(t, n, 0, nil, buf), nil
	}
}
