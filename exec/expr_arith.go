package exec

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

type signedInt interface{ ~int16 | ~int32 | ~int64 }

type floatNum interface{ ~float32 | ~float64 }

// binLoop computes out[i] = av[i*as] op bv[i*bs]; valid marks the rows
// whose errors count (NULL rows may hold garbage such as a zero divisor).
type binLoop[T fixedElem] func(av []T, as int, bv []T, bs int, out []T, valid *memory.Buffer) error

func newArith(fn string, args []Expr) (Expr, error) {
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	lt, rt := args[0].DataType(), args[1].DataType()
	if lt.ID() == arrow.TIMESTAMP && rt.ID() == arrow.INT64 && (fn == "add" || fn == "sub") {
		return &callExpr{fn: fn, t: lt, args: args, kernel: arithKernel(fn, lt)}, nil
	}
	if !arrow.TypeEqual(lt, rt) {
		return nil, fmt.Errorf("argument types differ: %s and %s", lt, rt)
	}
	if lt.ID() == arrow.DECIMAL128 {
		f64 := arrow.PrimitiveTypes.Float64
		l, _ := Cast(args[0], f64)
		r, _ := Cast(args[1], f64)
		return &callExpr{fn: fn, t: f64, args: []Expr{l, r}, kernel: arithKernel(fn, f64)}, nil
	}
	if !isIntType(lt) && !isFloatType(lt) {
		return nil, fmt.Errorf("arithmetic on %s not supported", lt)
	}
	return &callExpr{fn: fn, t: lt, args: args, kernel: arithKernel(fn, lt)}, nil
}

func arithKernel(fn string, t arrow.DataType) kernelFunc {
	switch t.ID() {
	case arrow.INT16:
		return binKernel(t, intLoop[int16](fn))
	case arrow.INT32:
		return binKernel(t, intLoop[int32](fn))
	case arrow.FLOAT32:
		return binKernel(t, floatLoop[float32](fn))
	case arrow.FLOAT64:
		return binKernel(t, floatLoop[float64](fn))
	}
	return binKernel(t, intLoop[int64](fn)) // INT64 and TIMESTAMP
}

// binKernel runs loop over two fixed-width operands of the same storage.
func binKernel[T fixedElem](t arrow.DataType, loop binLoop[T]) kernelFunc {
	return func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		a, b := ops[0], ops[1]
		if a.nullLit() || b.nullLit() {
			return array.MakeArrayOfNull(mem, t, n), nil
		}
		av, as := fixedVals[T](a)
		bv, bs := fixedVals[T](b)
		valid, nulls := combineValidity(mem, n, a, b)
		buf, out := newFixedBuf[T](mem, n)
		if err := loop(av, as, bv, bs, out, valid); err != nil {
			buf.Release()
			if valid != nil {
				valid.Release()
			}
			return nil, err
		}
		return makeArray(t, n, nulls, valid, buf), nil
	}
}

func intLoop[T signedInt](fn string) binLoop[T] {
	switch fn {
	case "add":
		return addInts[T]
	case "sub":
		return subInts[T]
	case "mul":
		return mulInts[T]
	case "div":
		return divInts[T]
	}
	return modInts[T]
}

var errOverflow = fmt.Errorf("%w", ErrNumericOverflow)

func addInts[T signedInt](av []T, as int, bv []T, bs int, out []T, valid *memory.Buffer) error {
	var flag T
	for i := range out {
		x, y := av[i*as], bv[i*bs]
		r := x + y
		out[i] = r
		flag |= (r ^ x) & (r ^ y)
	}
	if flag < 0 { // some row overflowed: fail only if it is not NULL
		for i, r := range out {
			x, y := av[i*as], bv[i*bs]
			if (r^x)&(r^y) < 0 && isRowValid(valid, i) {
				return errOverflow
			}
		}
	}
	return nil
}

func subInts[T signedInt](av []T, as int, bv []T, bs int, out []T, valid *memory.Buffer) error {
	var flag T
	for i := range out {
		x, y := av[i*as], bv[i*bs]
		r := x - y
		out[i] = r
		flag |= (x ^ y) & (x ^ r)
	}
	if flag < 0 {
		for i, r := range out {
			x, y := av[i*as], bv[i*bs]
			if (x^y)&(x^r) < 0 && isRowValid(valid, i) {
				return errOverflow
			}
		}
	}
	return nil
}

func mulInts[T signedInt](av []T, as int, bv []T, bs int, out []T, valid *memory.Buffer) error {
	for i := range out {
		x, y := av[i*as], bv[i*bs]
		r := x * y
		out[i] = r
		if x != 0 && (r/x != y || (x == -1 && y < 0 && r < 0)) && isRowValid(valid, i) {
			return errOverflow
		}
	}
	return nil
}

func divInts[T signedInt](av []T, as int, bv []T, bs int, out []T, valid *memory.Buffer) error {
	for i := range out {
		x, y := av[i*as], bv[i*bs]
		switch {
		case y == 0:
			if isRowValid(valid, i) {
				return ErrDivisionByZero
			}
			out[i] = 0
		case y == -1:
			out[i] = -x
			if x < 0 && -x < 0 && isRowValid(valid, i) { // minimum value / -1
				return errOverflow
			}
		default:
			out[i] = x / y
		}
	}
	return nil
}

func modInts[T signedInt](av []T, as int, bv []T, bs int, out []T, valid *memory.Buffer) error {
	for i := range out {
		x, y := av[i*as], bv[i*bs]
		switch {
		case y == 0:
			if isRowValid(valid, i) {
				return ErrDivisionByZero
			}
			out[i] = 0
		case y == -1:
			out[i] = 0
		default:
			out[i] = x % y
		}
	}
	return nil
}

func floatLoop[T floatNum](fn string) binLoop[T] {
	return func(av []T, as int, bv []T, bs int, out []T, valid *memory.Buffer) error {
		switch fn {
		case "add":
			for i := range out {
				out[i] = av[i*as] + bv[i*bs]
			}
		case "sub":
			for i := range out {
				out[i] = av[i*as] - bv[i*bs]
			}
		case "mul":
			for i := range out {
				out[i] = av[i*as] * bv[i*bs]
			}
		default:
			if err := divFloats(fn, av, as, bv, bs, out, valid); err != nil {
				return err
			}
		}
		return checkFloatOverflow(av, as, bv, bs, out, valid)
	}
}

func divFloats[T floatNum](fn string, av []T, as int, bv []T, bs int, out []T, valid *memory.Buffer) error {
	for i := range out {
		x, y := av[i*as], bv[i*bs]
		if y == 0 {
			if isRowValid(valid, i) {
				return ErrDivisionByZero
			}
			out[i] = 0
			continue
		}
		if fn == "div" {
			out[i] = x / y
		} else {
			out[i] = T(math.Mod(float64(x), float64(y)))
		}
	}
	return nil
}

// checkFloatOverflow fails like PostgreSQL when finite inputs give an
// infinite result.
func checkFloatOverflow[T floatNum](av []T, as int, bv []T, bs int, out []T, valid *memory.Buffer) error {
	for i, r := range out {
		if math.IsInf(float64(r), 0) && !math.IsInf(float64(av[i*as]), 0) &&
			!math.IsInf(float64(bv[i*bs]), 0) && isRowValid(valid, i) {
			return fmt.Errorf("%w: value out of range: overflow", ErrNumericOverflow)
		}
	}
	return nil
}

func newNeg(args []Expr) (Expr, error) {
	if err := wantArgs(args, 1); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	if t.ID() == arrow.DECIMAL128 {
		f, _ := Cast(args[0], arrow.PrimitiveTypes.Float64)
		return newNeg([]Expr{f})
	}
	if !isIntType(t) && !isFloatType(t) {
		return nil, fmt.Errorf("negation of %s not supported", t)
	}
	zero := Lit(int64(0), t)
	sub := &callExpr{fn: "sub", t: t, args: []Expr{zero, args[0]}, kernel: arithKernel("sub", t)}
	return &namedExpr{Expr: sub, name: "neg", args: args}, nil
}
