package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func castDecimalToFloat(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	scale := a.DataType().(*arrow.Decimal128Type).Scale
	return mapFixed(mem, a, arrow.PrimitiveTypes.Float64, func(n decimal128.Num) (float64, error) {
		return n.ToFloat64(scale), nil
	})
}

func castDecimalToDecimal(mem memory.Allocator, a arrow.Array, t arrow.DataType) (arrow.Array, error) {
	from := a.DataType().(*arrow.Decimal128Type)
	to, ok := t.(*arrow.Decimal128Type)
	if !ok {
		return nil, fmt.Errorf("cannot cast %s to %s", from, t)
	}
	return mapFixed(mem, a, t, func(n decimal128.Num) (decimal128.Num, error) {
		out, err := n.Rescale(from.Scale, to.Scale)
		if err != nil || !out.FitsInPrecision(to.Precision) {
			return out, fmt.Errorf("%w: %s does not fit %s", ErrNumericOverflow, n.ToString(from.Scale), to)
		}
		return out, nil
	})
}

func castToDecimal[S number](mem memory.Allocator, a arrow.Array, dt *arrow.Decimal128Type) (arrow.Array, error) {
	if isFloatKind[S]() {
		return mapFixed(mem, a, dt, func(s S) (decimal128.Num, error) { return decimalFromFloat(float64(s), dt) })
	}
	return mapFixed(mem, a, dt, func(s S) (decimal128.Num, error) { return decimalFromInt(int64(s), dt) })
}

// boolToInt64 maps true to 1 and false to 0.
func boolToInt64(mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	n := a.Len()
	d := a.Data()
	bits := d.Buffers()[1].Bytes()
	valid, nulls := combineValidity(mem, n, operand{arr: a})
	buf, dst := newFixedBuf[int64](mem, n)
	for i := range dst {
		dst[i] = 0
		if validAt(bits, d.Offset()+i) {
			dst[i] = 1
		}
	}
	return makeArray(arrow.PrimitiveTypes.Int64, n, nulls, valid, buf), nil
}

// numToBool maps zero to false and everything else to true.
func numToBool[S number](mem memory.Allocator, a arrow.Array) (arrow.Array, error) {
	n := a.Len()
	src := arrow.GetValues[S](a.Data(), 1)
	valid, nulls := combineValidity(mem, n, operand{arr: a})
	buf, bits := newBitmap(mem, n)
	for i, v := range src {
		if v != 0 {
			bits[i>>3] |= 1 << (i & 7)
		}
	}
	return makeArray(arrow.FixedWidthTypes.Boolean, n, nulls, valid, buf), nil
}
