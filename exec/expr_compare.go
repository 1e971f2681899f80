package exec

import (
	"bytes"
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

type orderedElem interface {
	~int16 | ~int32 | ~int64 | ~float32 | ~float64
}

var boolType = arrow.FixedWidthTypes.Boolean

func newCompare(fn string, args []Expr) (Expr, error) {
	if err := wantArgs(args, 2); err != nil {
		return nil, err
	}
	lt, rt := args[0].DataType(), args[1].DataType()
	if lt.ID() != rt.ID() || (lt.ID() != arrow.TIMESTAMP && !arrow.TypeEqual(lt, rt)) {
		return nil, fmt.Errorf("argument types differ: %s and %s", lt, rt)
	}
	k, err := compareKernel(fn, lt)
	if err != nil {
		return nil, err
	}
	return &callExpr{fn: fn, t: boolType, args: args, kernel: k}, nil
}

func compareKernel(fn string, t arrow.DataType) (kernelFunc, error) {
	switch t.ID() {
	case arrow.INT16:
		return cmpFixed[int16](fn), nil
	case arrow.INT32, arrow.DATE32:
		return cmpFixed[int32](fn), nil
	case arrow.INT64, arrow.TIMESTAMP:
		return cmpFixed[int64](fn), nil
	case arrow.FLOAT32:
		return cmpFixed[float32](fn), nil
	case arrow.FLOAT64:
		return cmpFixed[float64](fn), nil
	case arrow.DECIMAL128:
		return cmpRows(fn, func(a, b operand) func(i int) int {
			av, as := fixedVals[decimal128.Num](a)
			bv, bs := fixedVals[decimal128.Num](b)
			return func(i int) int { return av[i*as].Cmp(bv[i*bs]) }
		}), nil
	case arrow.BOOL:
		return cmpRows(fn, func(a, b operand) func(i int) int {
			return func(i int) int { return boolAt(a, i) - boolAt(b, i) }
		}), nil
	case arrow.STRING, arrow.BINARY:
		return cmpRows(fn, func(a, b operand) func(i int) int {
			ga, gb := bytesGetter(a), bytesGetter(b)
			return func(i int) int { return bytes.Compare(ga(i), gb(i)) }
		}), nil
	}
	return nil, fmt.Errorf("comparison of %s not supported", t)
}

// cmpFixed compares fixed-width numbers in tight typed loops.
func cmpFixed[T orderedElem](fn string) kernelFunc {
	return func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		a, b := ops[0], ops[1]
		if a.nullLit() || b.nullLit() {
			return array.MakeArrayOfNull(mem, boolType, n), nil
		}
		av, as := fixedVals[T](a)
		bv, bs := fixedVals[T](b)
		valid, nulls := combineValidity(mem, n, a, b)
		buf, bits := newBitmap(mem, n)
		switch fn {
		case "eq":
			for i := range n {
				if av[i*as] == bv[i*bs] {
					bits[i>>3] |= 1 << (i & 7)
				}
			}
		case "ne":
			for i := range n {
				if av[i*as] != bv[i*bs] {
					bits[i>>3] |= 1 << (i & 7)
				}
			}
		case "lt":
			for i := range n {
				if av[i*as] < bv[i*bs] {
					bits[i>>3] |= 1 << (i & 7)
				}
			}
		case "le":
			for i := range n {
				if av[i*as] <= bv[i*bs] {
					bits[i>>3] |= 1 << (i & 7)
				}
			}
		case "gt":
			for i := range n {
				if av[i*as] > bv[i*bs] {
					bits[i>>3] |= 1 << (i & 7)
				}
			}
		default:
			for i := range n {
				if av[i*as] >= bv[i*bs] {
					bits[i>>3] |= 1 << (i & 7)
				}
			}
		}
		return makeArray(boolType, n, nulls, valid, buf), nil
	}
}

// cmpRows compares row by row through a three-way comparator built per
// batch; used for decimals, booleans and byte strings.
func cmpRows(fn string, mk func(a, b operand) func(i int) int) kernelFunc {
	pred := map[string]func(int) bool{
		"eq": func(c int) bool { return c == 0 }, "ne": func(c int) bool { return c != 0 },
		"lt": func(c int) bool { return c < 0 }, "le": func(c int) bool { return c <= 0 },
		"gt": func(c int) bool { return c > 0 }, "ge": func(c int) bool { return c >= 0 },
	}[fn]
	return func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		a, b := ops[0], ops[1]
		if a.nullLit() || b.nullLit() {
			return array.MakeArrayOfNull(mem, boolType, n), nil
		}
		cmpAt := mk(a, b)
		valid, nulls := combineValidity(mem, n, a, b)
		buf, bits := newBitmap(mem, n)
		for i := range n {
			if isRowValid(valid, i) && pred(cmpAt(i)) {
				bits[i>>3] |= 1 << (i & 7)
			}
		}
		return makeArray(boolType, n, nulls, valid, buf), nil
	}
}

// boolAt reads row i of a boolean operand as 0 or 1 (NULL reads as 0).
func boolAt(o operand, i int) int {
	if o.isLit {
		if v, _ := o.lit.(bool); v {
			return 1
		}
		return 0
	}
	d := o.arr.Data()
	if bitutil.BitIsSet(d.Buffers()[1].Bytes(), d.Offset()+i) {
		return 1
	}
	return 0
}

// bytesGetter returns row i of a string or binary operand without copying.
func bytesGetter(o operand) func(i int) []byte {
	if o.isLit {
		var v []byte
		switch x := o.lit.(type) {
		case string:
			v = []byte(x)
		case []byte:
			v = x
		}
		return func(int) []byte { return v }
	}
	offs, data, err := binaryParts(o.arr)
	if err != nil {
		return func(int) []byte { return nil }
	}
	return func(i int) []byte { return data[offs[i]:offs[i+1]] }
}
