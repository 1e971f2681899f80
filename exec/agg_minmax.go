package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

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
		return newMinMaxInt[int16](arg, isMax, math.MinInt16, math.MaxInt16), arg, nil
	case arrow.INT32, arrow.DATE32:
		return newMinMaxInt[int32](arg, isMax, math.MinInt32, math.MaxInt32), arg, nil
	case arrow.INT64, arrow.TIMESTAMP:
		return newMinMaxInt[int64](arg, isMax, math.MinInt64, math.MaxInt64), arg, nil
	case arrow.FLOAT32:
		return &minMaxAcc[float32]{t: arg, isMax: isMax}, arg, nil
	case arrow.FLOAT64:
		return &minMaxAcc[float64]{t: arg, isMax: isMax}, arg, nil
	case arrow.BOOL, arrow.DECIMAL128, arrow.STRING, arrow.BINARY:
		return &minMaxRowAcc{t: arg, isMax: isMax}, arg, nil
	}
	return nil, nil, fmt.Errorf("min/max of %s not supported", arg)
}

// minMaxAcc keeps v[s] valid only where has[s]. For integers (ident set)
// an empty slot also holds the identity (the type's least value for max,
// greatest for min), so update folds NULL-free columns branch-free; floats
// keep the first-value rule, which decides how NaN behaves.
type minMaxAcc[T orderedElem] struct {
	t     arrow.DataType
	isMax bool
	ident bool
	id    T
	v     []T
	has   []bool
}

func newMinMaxInt[T orderedElem](t arrow.DataType, isMax bool, least, greatest T) *minMaxAcc[T] {
	a := &minMaxAcc[T]{t: t, isMax: isMax, ident: true, id: greatest}
	if isMax {
		a.id = least
	}
	return a
}

func (a *minMaxAcc[T]) grow(n int) {
	old := len(a.v)
	a.v, a.has = growSlice(a.v, n), growSlice(a.has, n)
	if a.ident {
		for i := old; i < len(a.v); i++ {
			a.v[i] = a.id
		}
	}
}

func (a *minMaxAcc[T]) reset(s int32) { a.v[s], a.has[s] = a.id, false }

func (a *minMaxAcc[T]) resetAll(n int) {
	a.grow(n)
	clear(a.has[:n])
	v := a.v[:n]
	for i := range v {
		v[i] = a.id
	}
}

func (a *minMaxAcc[T]) put(s int32, x T) {
	if !a.has[s] || (a.isMax && x > a.v[s]) || (!a.isMax && x < a.v[s]) {
		a.v[s], a.has[s] = x, true
	}
}

func (a *minMaxAcc[T]) update(groups []int32, arg arrow.Array) error {
	vals := arrow.GetValues[T](arg.Data(), 1)
	nulls := arg.NullN() > 0
	if a.ident && !nulls {
		a.updateDense(groups, vals[:len(groups)])
		return nil
	}
	for i, g := range groups {
		if g >= 0 && (!nulls || arg.IsValid(i)) {
			a.put(g, vals[i])
		}
	}
	return nil
}

// updateDense folds a NULL-free integer column using the identity held
// by empty slots.
func (a *minMaxAcc[T]) updateDense(groups []int32, vals []T) {
	v, has := a.v, a.has
	if a.isMax {
		for i, g := range groups {
			if g >= 0 {
				v[g] = max(v[g], vals[i])
				has[g] = true
			}
		}
		return
	}
	for i, g := range groups {
		if g >= 0 {
			v[g] = min(v[g], vals[i])
			has[g] = true
		}
	}
}

func (a *minMaxAcc[T]) merge(dst int32, other accumulator, src int32) error {
	if o := other.(*minMaxAcc[T]); o.has[src] {
		a.put(dst, o.v[src])
	}
	return nil
}

func (a *minMaxAcc[T]) mergeAll(dst []int32, other accumulator, src []int32) error {
	o := other.(*minMaxAcc[T])
	for i, d := range dst {
		if s := src[i]; o.has[s] {
			a.put(d, o.v[s])
		}
	}
	return nil
}

func (a *minMaxAcc[T]) mergeRanges(dst []int32, other accumulator, from, to []int32) error {
	o := other.(*minMaxAcc[T])
	if a.ident { // empty slots hold the identity: no branches
		for i, d := range dst {
			v, has := a.v[d], a.has[d]
			ov, oh := o.v[from[i]:to[i]], o.has[from[i]:to[i]]
			for s, x := range ov {
				if a.isMax {
					v = max(v, x)
				} else {
					v = min(v, x)
				}
				has = has || oh[s]
			}
			a.v[d], a.has[d] = v, has
		}
		return nil
	}
	for i, d := range dst {
		for s := from[i]; s < to[i]; s++ {
			if o.has[s] {
				a.put(d, o.v[s])
			}
		}
	}
	return nil
}

func (a *minMaxAcc[T]) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	return optFixedArray(mem, a.t, slots, a.v, a.has), nil
}

func (a *minMaxAcc[T]) slotBytes(int32) int { return 9 }

func (a *minMaxAcc[T]) fixedBytes() int { return 9 }

func (a *minMaxAcc[T]) appendState(b []byte, s int32) []byte {
	if !a.has[s] {
		return append(b, 0)
	}
	return appendOrdered(append(b, 1), a.v[s])
}

func (a *minMaxAcc[T]) readState(r *stateReader, s int32) {
	if r.bool() {
		a.v[s], a.has[s] = readOrdered[T](r), true
	}
}

// appendOrdered appends a float's IEEE bits (NaN payloads kept) or an
// integer as a zigzag varint.
func appendOrdered[T orderedElem](b []byte, v T) []byte {
	switch x := any(v).(type) {
	case float32:
		return binary.LittleEndian.AppendUint32(b, math.Float32bits(x))
	case float64:
		return appendF64(b, x)
	}
	return binary.AppendVarint(b, int64(v))
}

func readOrdered[T orderedElem](r *stateReader) T {
	var zero T
	switch any(zero).(type) {
	case float32:
		return T(math.Float32frombits(r.u32()))
	case float64:
		return T(r.f64())
	}
	x := r.varint()
	if v := T(x); int64(v) == x {
		return v
	}
	r.fail("min/max value out of range")
	return zero
}

// minMaxRowAcc handles booleans, decimals and byte strings through their
// canonical values; text values are copied out of the batch.
type minMaxRowAcc struct {
	t     arrow.DataType
	isMax bool
	v     []any
}

func (a *minMaxRowAcc) grow(n int) { a.v = growSlice(a.v, n) }

func (a *minMaxRowAcc) reset(s int32) { a.v[s] = nil }

func (a *minMaxRowAcc) resetAll(n int) {
	a.grow(n)
	clear(a.v[:n])
}

func (a *minMaxRowAcc) mergeAll(dst []int32, other accumulator, src []int32) error {
	return mergeEach(a, dst, other, src)
}

func (a *minMaxRowAcc) mergeRanges(dst []int32, other accumulator, from, to []int32) error {
	return mergeRangesEach(a, dst, other, from, to)
}

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

func (a *minMaxRowAcc) appendState(b []byte, s int32) []byte {
	switch x := a.v[s].(type) {
	case bool:
		return appendBool(append(b, 1), x)
	case decimal128.Num:
		return appendDecimal(append(b, 1), x)
	case string:
		return appendBytes(append(b, 1), []byte(x))
	case []byte:
		return appendBytes(append(b, 1), x)
	}
	return append(b, 0)
}

// readState takes the value's Go type from the argument type, as update does.
func (a *minMaxRowAcc) readState(r *stateReader, s int32) {
	if !r.bool() {
		return
	}
	switch a.t.ID() {
	case arrow.BOOL:
		a.v[s] = r.bool()
	case arrow.DECIMAL128:
		a.v[s] = readDecimal(r)
	case arrow.STRING:
		a.v[s] = string(r.lenBytes())
	default:
		a.v[s] = bytes.Clone(r.lenBytes())
	}
	if r.err != nil {
		a.v[s] = nil
	}
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
