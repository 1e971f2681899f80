package exec

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// castExpr converts its argument to type t.
type castExpr struct {
	e Expr
	t arrow.DataType
}

// Cast returns e converted to t. Numeric casts are range-checked
// (ErrNumericOverflow; floats round half to even like PostgreSQL's rint),
// text casts use PostgreSQL text formats, and text that does not parse
// fails Eval with ErrInvalidValue. Decimal to integer goes through float64.
func Cast(e Expr, t arrow.DataType) (Expr, error) {
	from := e.DataType()
	if !canCast(from, t) {
		return nil, fmt.Errorf("cannot cast %s to %s", from, t)
	}
	if arrow.TypeEqual(from, t) {
		return e, nil
	}
	return &castExpr{e: e, t: t}, nil
}

func canCast(from, to arrow.DataType) bool {
	if arrow.TypeEqual(from, to) {
		return true
	}
	scalarish := func(t arrow.DataType) bool {
		return isNumericType(t) || t.ID() == arrow.BOOL || t.ID() == arrow.TIMESTAMP ||
			t.ID() == arrow.DATE32 || t.ID() == arrow.STRING || t.ID() == arrow.BINARY
	}
	if !scalarish(from) || !scalarish(to) {
		return false
	}
	switch {
	case from.ID() == arrow.STRING || to.ID() == arrow.STRING:
		return true
	case isNumericType(from) || from.ID() == arrow.BOOL:
		return isNumericType(to) || to.ID() == arrow.BOOL
	case from.ID() == arrow.TIMESTAMP || from.ID() == arrow.DATE32:
		return to.ID() == arrow.TIMESTAMP || to.ID() == arrow.DATE32
	}
	return false
}

func (c *castExpr) DataType() arrow.DataType { return c.t }
func (c *castExpr) String() string           { return fmt.Sprintf("CAST(%s AS %s)", c.e, c.t) }

func (c *castExpr) Eval(ctx context.Context, mem memory.Allocator, b arrow.RecordBatch) (arrow.Array, error) {
	src, err := c.e.Eval(ctx, mem, b)
	if err != nil {
		return nil, err
	}
	defer src.Release()
	return castArray(mem, src, c.t)
}

// castArray converts a to t; the caller releases both.
func castArray(mem memory.Allocator, a arrow.Array, t arrow.DataType) (arrow.Array, error) {
	from := a.DataType()
	switch {
	case arrow.TypeEqual(from, t):
		a.Retain()
		return a, nil
	case from.ID() == arrow.TIMESTAMP && t.ID() == arrow.TIMESTAMP:
		// Sessions are UTC, so timestamp <-> timestamptz keeps the µs.
		d := a.Data()
		data := array.NewData(t, d.Len(), d.Buffers(), nil, d.NullN(), d.Offset())
		defer data.Release()
		return array.MakeFromData(data), nil
	case from.ID() == arrow.TIMESTAMP && t.ID() == arrow.DATE32:
		return mapFixed(mem, a, t, func(us int64) (int32, error) { return int32(floorDiv(us, microsPerDay)), nil })
	case from.ID() == arrow.DATE32 && t.ID() == arrow.TIMESTAMP:
		return mapFixed(mem, a, t, func(d int32) (int64, error) { return int64(d) * microsPerDay, nil })
	case t.ID() == arrow.STRING || from.ID() == arrow.STRING || from.ID() == arrow.BINARY:
		return castViaText(mem, a, t)
	}
	return castNumeric(mem, a, t)
}

// mapFixed applies f to every valid value of fixed-width a, producing a
// column of type t with a's validity.
func mapFixed[S, D fixedElem](mem memory.Allocator, a arrow.Array, t arrow.DataType, f func(S) (D, error)) (arrow.Array, error) {
	n := a.Len()
	src := arrow.GetValues[S](a.Data(), 1)
	valid, nulls := combineValidity(mem, n, operand{arr: a})
	buf, dst := newFixedBuf[D](mem, n)
	for i := range dst {
		if nulls > 0 && !isRowValid(valid, i) {
			continue
		}
		v, err := f(src[i])
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

// castViaText handles casts to and from text (and bytea), row by row.
func castViaText(mem memory.Allocator, a arrow.Array, t arrow.DataType) (arrow.Array, error) {
	bld := array.NewBuilder(mem, t)
	defer bld.Release()
	bld.Reserve(a.Len())
	var scratch []byte
	for i := range a.Len() {
		if a.IsNull(i) {
			bld.AppendNull()
			continue
		}
		v := scalarAt(a, i)
		if t.ID() == arrow.STRING {
			var err error
			scratch, err = appendScalarText(scratch[:0], v, a.DataType())
			if err != nil {
				return nil, err
			}
			bld.(*array.StringBuilder).BinaryBuilder.Append(scratch)
			continue
		}
		s, ok := v.(string)
		if !ok { // bytea to a non-text type goes through its text form
			return nil, fmt.Errorf("cannot cast %s to %s", a.DataType(), t)
		}
		cv, err := parseText(s, t)
		if err != nil {
			return nil, err
		}
		if err := appendCanonical(bld, cv); err != nil {
			return nil, err
		}
	}
	return bld.NewArray(), nil
}

// castNumeric converts between integers, floats, decimals and booleans.
func castNumeric(mem memory.Allocator, a arrow.Array, t arrow.DataType) (arrow.Array, error) {
	if a.DataType().ID() == arrow.DECIMAL128 && t.ID() != arrow.DECIMAL128 {
		f, err := castDecimalToFloat(mem, a)
		if err != nil {
			return nil, err
		}
		defer f.Release()
		return castNumeric(mem, f, t)
	}
	if a.DataType().ID() == arrow.BOOL {
		ints, err := boolToInt64(mem, a)
		if err != nil {
			return nil, err
		}
		defer ints.Release()
		return castNumeric(mem, ints, t)
	}
	switch a.DataType().ID() {
	case arrow.INT16:
		return castFrom[int16](mem, a, t)
	case arrow.INT32:
		return castFrom[int32](mem, a, t)
	case arrow.INT64:
		return castFrom[int64](mem, a, t)
	case arrow.FLOAT32:
		return castFrom[float32](mem, a, t)
	case arrow.FLOAT64:
		return castFrom[float64](mem, a, t)
	case arrow.DECIMAL128:
		return castDecimalToDecimal(mem, a, t)
	}
	return nil, fmt.Errorf("cannot cast %s to %s", a.DataType(), t)
}

type number interface {
	~int16 | ~int32 | ~int64 | ~float32 | ~float64
}

func castFrom[S number](mem memory.Allocator, a arrow.Array, t arrow.DataType) (arrow.Array, error) {
	switch t.ID() {
	case arrow.INT16:
		return mapFixed(mem, a, t, toIntChecked[S, int16](math.MinInt16, math.MaxInt16, t))
	case arrow.INT32:
		return mapFixed(mem, a, t, toIntChecked[S, int32](math.MinInt32, math.MaxInt32, t))
	case arrow.INT64:
		return mapFixed(mem, a, t, toIntChecked[S, int64](math.MinInt64, math.MaxInt64, t))
	case arrow.FLOAT32:
		return mapFixed(mem, a, t, func(s S) (float32, error) {
			f := float32(s)
			if math.IsInf(float64(f), 0) && !math.IsInf(float64(s), 0) {
				return 0, fmt.Errorf("%w: value out of range for type real", ErrNumericOverflow)
			}
			return f, nil
		})
	case arrow.FLOAT64:
		return mapFixed(mem, a, t, func(s S) (float64, error) { return float64(s), nil })
	case arrow.DECIMAL128:
		return castToDecimal[S](mem, a, t.(*arrow.Decimal128Type))
	case arrow.BOOL:
		return numToBool[S](mem, a)
	}
	return nil, fmt.Errorf("cannot cast %s to %s", a.DataType(), t)
}

// toIntChecked converts to integer type D within [lo, hi]; floats round
// half to even first.
func toIntChecked[S number, D ~int16 | ~int32 | ~int64](lo, hi int64, t arrow.DataType) func(S) (D, error) {
	return func(s S) (D, error) {
		f := float64(s)
		if f != math.Trunc(f) || math.IsInf(f, 0) || math.IsNaN(f) {
			r := math.RoundToEven(f)
			// hi+1 as a float is exact for every width (2^15, 2^31, 2^63).
			if !(r >= float64(lo) && r < float64(hi)+1) {
				return 0, fmt.Errorf("%w: %v is out of range for type %s", ErrNumericOverflow, f, t)
			}
			return D(r), nil
		}
		if isFloatKind[S]() {
			if !(f >= float64(lo) && f < float64(hi)+1) {
				return 0, fmt.Errorf("%w: %v is out of range for type %s", ErrNumericOverflow, f, t)
			}
			return D(f), nil
		}
		i := int64(s)
		if i < lo || i > hi {
			return 0, fmt.Errorf("%w: %d is out of range for type %s", ErrNumericOverflow, i, t)
		}
		return D(i), nil
	}
}

func isFloatKind[S number]() bool {
	var x S = 3
	return x/2 != 1
}
