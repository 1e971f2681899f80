package exec

import (
	"encoding/binary"
	"fmt"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// newSumAcc sums integers into BIGINT (overflow fails with
// ErrNumericOverflow, never wraps), floats into DOUBLE PRECISION and
// decimals into DECIMAL(38, s).
func newSumAcc(arg arrow.DataType) (accumulator, arrow.DataType, error) {
	switch arg.ID() {
	case arrow.INT16:
		return &sumIntAcc[int16]{}, arrow.PrimitiveTypes.Int64, nil
	case arrow.INT32:
		return &sumIntAcc[int32]{}, arrow.PrimitiveTypes.Int64, nil
	case arrow.INT64:
		return &sumIntAcc[int64]{}, arrow.PrimitiveTypes.Int64, nil
	case arrow.FLOAT32:
		return &sumFloatAcc[float32]{}, arrow.PrimitiveTypes.Float64, nil
	case arrow.FLOAT64:
		return &sumFloatAcc[float64]{}, arrow.PrimitiveTypes.Float64, nil
	case arrow.DECIMAL128:
		dt := &arrow.Decimal128Type{Precision: 38, Scale: arg.(*arrow.Decimal128Type).Scale}
		return &sumDecAcc{t: dt}, dt, nil
	}
	return nil, nil, fmt.Errorf("sum of %s not supported", arg)
}

type sumIntAcc[T signedInt] struct {
	sum []int64
	has []bool
}

func (a *sumIntAcc[T]) grow(n int) { a.sum, a.has = growSlice(a.sum, n), growSlice(a.has, n) }

func (a *sumIntAcc[T]) reset(s int32) { a.sum[s], a.has[s] = 0, false }

func (a *sumIntAcc[T]) resetAll(n int) {
	a.grow(n)
	clear(a.sum[:n])
	clear(a.has[:n])
}

func (a *sumIntAcc[T]) add(s int32, v int64) error {
	x := a.sum[s]
	r := x + v
	if (r^x)&(r^v) < 0 {
		return fmt.Errorf("sum: %w", ErrNumericOverflow)
	}
	a.sum[s], a.has[s] = r, true
	return nil
}

func (a *sumIntAcc[T]) update(groups []int32, arg arrow.Array) error {
	vals := arrow.GetValues[T](arg.Data(), 1)
	nulls := arg.NullN() > 0
	for i, g := range groups {
		if g < 0 || (nulls && arg.IsNull(i)) {
			continue
		}
		if err := a.add(g, int64(vals[i])); err != nil {
			return err
		}
	}
	return nil
}

func (a *sumIntAcc[T]) merge(dst int32, other accumulator, src int32) error {
	o := other.(*sumIntAcc[T])
	if !o.has[src] {
		return nil
	}
	return a.add(dst, o.sum[src])
}

func (a *sumIntAcc[T]) mergeAll(dst []int32, other accumulator, src []int32) error {
	o := other.(*sumIntAcc[T])
	for i, d := range dst {
		if s := src[i]; o.has[s] {
			if err := a.add(d, o.sum[s]); err != nil {
				return err
			}
		}
	}
	return nil
}

// mergeRanges adds each range to its slot in 128 bits, so only a window
// sum that does not fit fails, whatever the order of its partials.
func (a *sumIntAcc[T]) mergeRanges(dst []int32, other accumulator, from, to []int32) error {
	o := other.(*sumIntAcc[T])
	for i, d := range dst {
		lo, hi, has := uint64(a.sum[d]), a.sum[d]>>63, a.has[d]
		for s := from[i]; s < to[i]; s++ {
			if o.has[s] {
				v := o.sum[s]
				var c uint64
				lo, c = bits.Add64(lo, uint64(v), 0)
				hi += int64(c) + v>>63
				has = true
			}
		}
		if hi != int64(lo)>>63 {
			return fmt.Errorf("sum: %w", ErrNumericOverflow)
		}
		a.sum[d], a.has[d] = int64(lo), has
	}
	return nil
}

func (a *sumIntAcc[T]) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	return optFixedArray(mem, arrow.PrimitiveTypes.Int64, slots, a.sum, a.has), nil
}

func (a *sumIntAcc[T]) slotBytes(int32) int { return 9 }

func (a *sumIntAcc[T]) fixedBytes() int { return 9 }

func (a *sumIntAcc[T]) appendState(b []byte, s int32) []byte {
	if !a.has[s] {
		return append(b, 0)
	}
	return binary.AppendVarint(append(b, 1), a.sum[s])
}

func (a *sumIntAcc[T]) readState(r *stateReader, s int32) {
	if r.bool() {
		a.sum[s], a.has[s] = r.varint(), true
	}
}

type sumFloatAcc[T floatNum] struct {
	sum []float64
	has []bool
}

func (a *sumFloatAcc[T]) grow(n int) { a.sum, a.has = growSlice(a.sum, n), growSlice(a.has, n) }

func (a *sumFloatAcc[T]) reset(s int32) { a.sum[s], a.has[s] = 0, false }

func (a *sumFloatAcc[T]) resetAll(n int) {
	a.grow(n)
	clear(a.sum[:n])
	clear(a.has[:n])
}

func (a *sumFloatAcc[T]) update(groups []int32, arg arrow.Array) error {
	vals := arrow.GetValues[T](arg.Data(), 1)
	nulls := arg.NullN() > 0
	for i, g := range groups {
		if g >= 0 && (!nulls || arg.IsValid(i)) {
			a.sum[g] += float64(vals[i])
			a.has[g] = true
		}
	}
	return nil
}

func (a *sumFloatAcc[T]) merge(dst int32, other accumulator, src int32) error {
	o := other.(*sumFloatAcc[T])
	if o.has[src] {
		a.sum[dst] += o.sum[src]
		a.has[dst] = true
	}
	return nil
}

func (a *sumFloatAcc[T]) mergeAll(dst []int32, other accumulator, src []int32) error {
	o := other.(*sumFloatAcc[T])
	for i, d := range dst {
		if s := src[i]; o.has[s] {
			a.sum[d] += o.sum[s]
			a.has[d] = true
		}
	}
	return nil
}

func (a *sumFloatAcc[T]) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	return optFixedArray(mem, arrow.PrimitiveTypes.Float64, slots, a.sum, a.has), nil
}

func (a *sumFloatAcc[T]) mergeRanges(dst []int32, other accumulator, from, to []int32) error {
	o := other.(*sumFloatAcc[T])
	for i, d := range dst {
		for s := from[i]; s < to[i]; s++ {
			if o.has[s] {
				a.sum[d] += o.sum[s]
				a.has[d] = true
			}
		}
	}
	return nil
}

func (a *sumFloatAcc[T]) slotBytes(int32) int { return 9 }

func (a *sumFloatAcc[T]) fixedBytes() int { return 9 }

func (a *sumFloatAcc[T]) appendState(b []byte, s int32) []byte {
	if !a.has[s] {
		return append(b, 0)
	}
	return appendF64(append(b, 1), a.sum[s])
}

func (a *sumFloatAcc[T]) readState(r *stateReader, s int32) {
	if r.bool() {
		a.sum[s], a.has[s] = r.f64(), true
	}
}

type sumDecAcc struct {
	t   *arrow.Decimal128Type
	sum []decimal128.Num
	has []bool
}

func (a *sumDecAcc) grow(n int) { a.sum, a.has = growSlice(a.sum, n), growSlice(a.has, n) }

func (a *sumDecAcc) reset(s int32) { a.sum[s], a.has[s] = decimal128.Num{}, false }

func (a *sumDecAcc) resetAll(n int) {
	a.grow(n)
	clear(a.sum[:n])
	clear(a.has[:n])
}

func (a *sumDecAcc) mergeAll(dst []int32, other accumulator, src []int32) error {
	return mergeEach(a, dst, other, src)
}

func (a *sumDecAcc) mergeRanges(dst []int32, other accumulator, from, to []int32) error {
	return mergeRangesEach(a, dst, other, from, to)
}

func (a *sumDecAcc) fixedBytes() int { return 17 }

func (a *sumDecAcc) update(groups []int32, arg arrow.Array) error {
	vals := arrow.GetValues[decimal128.Num](arg.Data(), 1)
	for i, g := range groups {
		if g >= 0 && arg.IsValid(i) {
			a.sum[g] = a.sum[g].Add(vals[i])
			a.has[g] = true
		}
	}
	return nil
}

func (a *sumDecAcc) merge(dst int32, other accumulator, src int32) error {
	o := other.(*sumDecAcc)
	if o.has[src] {
		a.sum[dst] = a.sum[dst].Add(o.sum[src])
		a.has[dst] = true
	}
	return nil
}

func (a *sumDecAcc) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	for _, s := range slots {
		if a.has[s] && !a.sum[s].FitsInPrecision(a.t.Precision) {
			return nil, fmt.Errorf("sum: %w", ErrNumericOverflow)
		}
	}
	return optFixedArray(mem, a.t, slots, a.sum, a.has), nil
}

func (a *sumDecAcc) slotBytes(int32) int { return 17 }

// appendState keeps the sum as is, even beyond the precision (build
// reports that overflow).
func (a *sumDecAcc) appendState(b []byte, s int32) []byte {
	if !a.has[s] {
		return append(b, 0)
	}
	return appendDecimal(append(b, 1), a.sum[s])
}

func (a *sumDecAcc) readState(r *stateReader, s int32) {
	if r.bool() {
		a.sum[s], a.has[s] = readDecimal(r), true
	}
}

func appendDecimal(b []byte, n decimal128.Num) []byte {
	b = binary.LittleEndian.AppendUint64(b, uint64(n.HighBits()))
	return binary.LittleEndian.AppendUint64(b, n.LowBits())
}

func readDecimal(r *stateReader) decimal128.Num {
	hi := int64(r.u64())
	return decimal128.New(hi, r.u64())
}

// avgAcc averages integers and floats in float64 (so integer sums beyond
// 2^53 lose precision); decimals are cast to float64 by the operator.
type avgAcc struct {
	sum []float64
	cnt []int64
}

func (a *avgAcc) grow(n int) { a.sum, a.cnt = growSlice(a.sum, n), growSlice(a.cnt, n) }

func (a *avgAcc) reset(s int32) { a.sum[s], a.cnt[s] = 0, 0 }

func (a *avgAcc) resetAll(n int) {
	a.grow(n)
	clear(a.sum[:n])
	clear(a.cnt[:n])
}

func (a *avgAcc) mergeAll(dst []int32, other accumulator, src []int32) error {
	o := other.(*avgAcc)
	for i, d := range dst {
		a.sum[d] += o.sum[src[i]]
		a.cnt[d] += o.cnt[src[i]]
	}
	return nil
}

func (a *avgAcc) mergeRanges(dst []int32, other accumulator, from, to []int32) error {
	o := other.(*avgAcc)
	for i, d := range dst {
		for s := from[i]; s < to[i]; s++ {
			if o.cnt[s] > 0 { // an empty partial adds nothing, not even +0 to -0
				a.sum[d] += o.sum[s]
				a.cnt[d] += o.cnt[s]
			}
		}
	}
	return nil
}

func (a *avgAcc) fixedBytes() int { return 16 }

func (a *avgAcc) update(groups []int32, arg arrow.Array) error {
	switch arg.DataType().ID() {
	case arrow.INT16:
		avgUpdate[int16](a, groups, arg)
	case arrow.INT32:
		avgUpdate[int32](a, groups, arg)
	case arrow.INT64:
		avgUpdate[int64](a, groups, arg)
	case arrow.FLOAT32:
		avgUpdate[float32](a, groups, arg)
	case arrow.FLOAT64:
		avgUpdate[float64](a, groups, arg)
	default:
		return fmt.Errorf("avg of %s not supported", arg.DataType())
	}
	return nil
}

func avgUpdate[T number](a *avgAcc, groups []int32, arg arrow.Array) {
	vals := arrow.GetValues[T](arg.Data(), 1)
	nulls := arg.NullN() > 0
	for i, g := range groups {
		if g >= 0 && (!nulls || arg.IsValid(i)) {
			a.sum[g] += float64(vals[i])
			a.cnt[g]++
		}
	}
}

func (a *avgAcc) merge(dst int32, other accumulator, src int32) error {
	o := other.(*avgAcc)
	a.sum[dst] += o.sum[src]
	a.cnt[dst] += o.cnt[src]
	return nil
}

// build sizes its scratch by len(slots), not by the whole state.
func (a *avgAcc) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	vals := make([]float64, len(slots))
	has := make([]bool, len(slots))
	idx := make([]int32, len(slots))
	for i, s := range slots {
		idx[i] = int32(i)
		if a.cnt[s] > 0 {
			vals[i], has[i] = a.sum[s]/float64(a.cnt[s]), true
		}
	}
	return optFixedArray(mem, arrow.PrimitiveTypes.Float64, idx, vals, has), nil
}

func (a *avgAcc) slotBytes(int32) int { return 16 }

func (a *avgAcc) appendState(b []byte, s int32) []byte {
	return appendF64(binary.AppendUvarint(b, uint64(a.cnt[s])), a.sum[s])
}

func (a *avgAcc) readState(r *stateReader, s int32) {
	a.cnt[s] = r.count()
	a.sum[s] = r.f64()
}
