package exec

import (
	"bytes"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// newMinMaxAcc keeps the least or greatest value; the result has the
// argument's type.
func newMinMaxAcc(arg arrow.DataType, isMax bool) (accumulator, arrow.DataType, error) {
	switch arg.ID() {
	case arrow.INT16:
		return &minMaxAcc[int16]{t: arg, isMax: isMax}, arg, nil
	case arrow.INT32, arrow.DATE32:
		return &minMaxAcc[int32]{t: arg, isMax: isMax}, arg, nil
	case arrow.INT64, arrow.TIMESTAMP:
		return &minMaxAcc[int64]{t: arg, isMax: isMax}, arg, nil
	case arrow.FLOAT32:
		return &minMaxAcc[float32]{t: arg, isMax: isMax}, arg, nil
	case arrow.FLOAT64:
		return &minMaxAcc[float64]{t: arg, isMax: isMax}, arg, nil
	case arrow.BOOL, arrow.DECIMAL128, arrow.STRING, arrow.BINARY:
		return &minMaxRowAcc{t: arg, isMax: isMax}, arg, nil
	}
	return nil, nil, fmt.Errorf("min/max of %s not supported", arg)
}

type minMaxAcc[T orderedElem] struct {
	t     arrow.DataType
	isMax bool
	v     []T
	has   []bool
}

func (a *minMaxAcc[T]) grow(n int) { a.v, a.has = growSlice(a.v, n), growSlice(a.has, n) }

func (a *minMaxAcc[T]) reset(s int32) { a.has[s] = false }

func (a *minMaxAcc[T]) put(s int32, x T) {
	if !a.has[s] || (a.isMax && x > a.v[s]) || (!a.isMax && x < a.v[s]) {
		a.v[s], a.has[s] = x, true
	}
}

func (a *minMaxAcc[T]) update(groups []int32, arg arrow.Array) error {
	vals := arrow.GetValues[T](arg.Data(), 1)
	nulls := arg.NullN() > 0
	for i, g := range groups {
		if g >= 0 && (!nulls || arg.IsValid(i)) {
			a.put(g, vals[i])
		}
	}
	return nil
}

func (a *minMaxAcc[T]) merge(dst int32, other accumulator, src int32) error {
	if o := other.(*minMaxAcc[T]); o.has[src] {
		a.put(dst, o.v[src])
	}
	return nil
}

func (a *minMaxAcc[T]) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	return optFixedArray(mem, a.t, slots, a.v, a.has), nil
}

func (a *minMaxAcc[T]) slotBytes(int32) int { return 9 }

// minMaxRowAcc handles booleans, decimals and byte strings through their
// canonical values; text values are copied out of the batch.
type minMaxRowAcc struct {
	t     arrow.DataType
	isMax bool
	v     []any
}

func (a *minMaxRowAcc) grow(n int) { a.v = growSlice(a.v, n) }

func (a *minMaxRowAcc) reset(s int32) { a.v[s] = nil }

func (a *minMaxRowAcc) put(s int32, x any) {
	if a.v[s] == nil {
		a.v[s] = x
		return
	}
	c := compareCanonical(x, a.v[s])
	if (a.isMax && c > 0) || (!a.isMax && c < 0) {
		a.v[s] = x
	}
}

func compareCanonical(x, y any) int {
	switch xv := x.(type) {
	case bool:
		return boolInt(xv) - boolInt(y.(bool))
	case decimal128.Num:
		return xv.Cmp(y.(decimal128.Num))
	case string:
		return bytes.Compare([]byte(xv), []byte(y.(string)))
	case []byte:
		return bytes.Compare(xv, y.([]byte))
	}
	return 0
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (a *minMaxRowAcc) update(groups []int32, arg arrow.Array) error {
	var get func(int) []byte
	if id := arg.DataType().ID(); id == arrow.STRING || id == arrow.BINARY {
		get = bytesGetter(operand{arr: arg})
	}
	for i, g := range groups {
		if g < 0 || arg.IsNull(i) {
			continue
		}
		switch x := arg.(type) {
		case *array.Boolean:
			a.put(g, x.Value(i))
		case *array.Decimal128:
			a.put(g, x.Value(i))
		default:
			v := get(i)
			if cur := a.v[g]; cur != nil && !a.better(v, cur) {
				continue
			}
			a.v[g] = nil
			if arg.DataType().ID() == arrow.STRING {
				a.put(g, string(v))
			} else {
				a.put(g, bytes.Clone(v))
			}
		}
	}
	return nil
}

// better reports whether raw bytes v beat the held value, so text is only
// copied when it will be kept.
func (a *minMaxRowAcc) better(v []byte, cur any) bool {
	var c int
	if s, ok := cur.(string); ok {
		c = bytes.Compare(v, []byte(s))
	} else {
		c = bytes.Compare(v, cur.([]byte))
	}
	return (a.isMax && c > 0) || (!a.isMax && c < 0)
}

func (a *minMaxRowAcc) merge(dst int32, other accumulator, src int32) error {
	if x := other.(*minMaxRowAcc).v[src]; x != nil {
		a.put(dst, x)
	}
	return nil
}

func (a *minMaxRowAcc) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	bld := array.NewBuilder(mem, a.t)
	defer bld.Release()
	for _, s := range slots {
		if err := appendCanonical(bld, a.v[s]); err != nil {
			return nil, err
		}
	}
	return bld.NewArray(), nil
}

func (a *minMaxRowAcc) slotBytes(s int32) int {
	switch x := a.v[s].(type) {
	case string:
		return 16 + len(x)
	case []byte:
		return 24 + len(x)
	}
	return 32
}
