package exec

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// accumulator holds one aggregate's partial state for a set of slots (a
// slot is a batch group or a (window, group) entry). The per-batch
// instance folds rows with update; the operator's instance folds batch
// partials with merge, once per group per batch.
type accumulator interface {
	// grow makes slots [0, n) usable; new slots are empty.
	grow(n int)
	// reset empties slot s for reuse.
	reset(s int32)
	// update folds row i of arg into slot groups[i]; negative groups skip.
	// arg is nil for count(*).
	update(groups []int32, arg arrow.Array) error
	// resetAll makes slots [0, n) usable and empties them (a batch's groups).
	resetAll(n int)
	// merge folds slot src of other (the same concrete type) into slot dst.
	merge(dst int32, other accumulator, src int32) error
	// mergeAll folds slot src[i] of other into slot dst[i] for every i, in
	// order: one call per batch instead of one per (window, group).
	mergeAll(dst []int32, other accumulator, src []int32) error
	// mergeRanges folds slots from[i] up to to[i] of other, in order,
	// into slot dst[i] for every i: a HOP window and the run of its
	// group's pane partials.
	mergeRanges(dst []int32, other accumulator, from, to []int32) error
	// build returns the final value of each slot, in order.
	build(mem memory.Allocator, slots []int32) (arrow.Array, error)
	// slotBytes approximates the state held by slot s.
	slotBytes(s int32) int
	// appendState appends the state of slot s in the snapshot format
	// (snapshot.go).
	appendState(b []byte, s int32) []byte
	// readState sets slot s, empty, to a state appendState wrote. An error
	// sticks in r and wraps ErrCorruptState.
	readState(r *stateReader, s int32)
}

// fixedSizeAcc is implemented by accumulators whose slotBytes is the same
// for every slot, so state size needs no walk over the slots.
type fixedSizeAcc interface{ fixedBytes() int }

// resetEach and mergeEach implement resetAll and mergeAll slot by slot for
// accumulators whose slots hold variable state.
func resetEach(a accumulator, n int) {
	a.grow(n)
	for s := range n {
		a.reset(int32(s))
	}
}

func mergeEach(a accumulator, dst []int32, other accumulator, src []int32) error {
	for i, d := range dst {
		if err := a.merge(d, other, src[i]); err != nil {
			return err
		}
	}
	return nil
}

func mergeRangesEach(a accumulator, dst []int32, other accumulator, from, to []int32) error {
	for i, d := range dst {
		for s := from[i]; s < to[i]; s++ {
			if err := a.merge(d, other, s); err != nil {
				return err
			}
		}
	}
	return nil
}

// newAccumulator returns the accumulator of spec over an argument of type
// arg (nil for count(*)) and the type build produces.
func newAccumulator(spec AggSpec, arg arrow.DataType) (accumulator, arrow.DataType, error) {
	i64, f64 := arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float64
	switch spec.Func {
	case "count_star":
		return &countAcc{star: true}, i64, nil
	case "count":
		if spec.Distinct {
			return &distinctAcc{}, i64, nil
		}
		return &countAcc{}, i64, nil
	case "approx_count_distinct":
		return &hllAcc{}, i64, nil
	}
	if spec.Distinct {
		return nil, nil, fmt.Errorf("%s(DISTINCT) not supported", spec.Func)
	}
	switch spec.Func {
	case "sum":
		return newSumAcc(arg)
	case "avg":
		if !isIntType(arg) && !isFloatType(arg) {
			return nil, nil, fmt.Errorf("avg of %s not supported", arg)
		}
		return &avgAcc{}, f64, nil
	case "min", "max":
		return newMinMaxAcc(arg, spec.Func == "max")
	}
	return nil, nil, fmt.Errorf("unknown aggregate %s", spec.Func)
}

// countAcc counts rows (count(*)) or non-NULL values (count(x)).
type countAcc struct {
	star bool
	n    []int64
}

func (a *countAcc) grow(n int) { a.n = growSlice(a.n, n) }

func (a *countAcc) reset(s int32) { a.n[s] = 0 }

func (a *countAcc) resetAll(n int) {
	a.grow(n)
	clear(a.n[:n])
}

func (a *countAcc) update(groups []int32, arg arrow.Array) error {
	if a.star || arg.NullN() == 0 {
		for _, g := range groups {
			if g >= 0 {
				a.n[g]++
			}
		}
		return nil
	}
	for i, g := range groups {
		if g >= 0 && arg.IsValid(i) {
			a.n[g]++
		}
	}
	return nil
}

func (a *countAcc) merge(dst int32, other accumulator, src int32) error {
	a.n[dst] += other.(*countAcc).n[src]
	return nil
}

func (a *countAcc) mergeAll(dst []int32, other accumulator, src []int32) error {
	o := other.(*countAcc).n
	for i, d := range dst {
		a.n[d] += o[src[i]]
	}
	return nil
}

func (a *countAcc) mergeRanges(dst []int32, other accumulator, from, to []int32) error {
	o := other.(*countAcc).n
	for i, d := range dst {
		var n int64
		for _, x := range o[from[i]:to[i]] {
			n += x
		}
		a.n[d] += n
	}
	return nil
}

func (a *countAcc) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	buf, out := newFixedBuf[int64](mem, len(slots))
	for i, s := range slots {
		out[i] = a.n[s]
	}
	return makeArray(arrow.PrimitiveTypes.Int64, len(slots), 0, nil, buf), nil
}

func (a *countAcc) slotBytes(int32) int { return 8 }

func (a *countAcc) appendState(b []byte, s int32) []byte {
	return binary.AppendUvarint(b, uint64(a.n[s]))
}

func (a *countAcc) readState(r *stateReader, s int32) { a.n[s] = r.count() }

func (a *countAcc) fixedBytes() int { return 8 }

// growSlice extends s to n elements, zeroing the new ones.
func growSlice[T any](s []T, n int) []T {
	if n <= len(s) {
		return s
	}
	if n <= cap(s) {
		old := len(s)
		s = s[:n]
		clear(s[old:])
		return s
	}
	return append(s, make([]T, n-len(s))...)
}

// optFixedArray builds a nullable fixed-width column from values and
// presence flags.
func optFixedArray[T fixedElem](mem memory.Allocator, t arrow.DataType, slots []int32, vals []T, has []bool) arrow.Array {
	n := len(slots)
	buf, out := newFixedBuf[T](mem, n)
	vbuf, vbits := newBitmap(mem, n)
	nulls := 0
	var zero T
	for i, s := range slots {
		if has[s] {
			out[i] = vals[s]
			vbits[i>>3] |= 1 << (i & 7)
		} else {
			out[i] = zero
			nulls++
		}
	}
	return makeArray(t, n, nulls, vbuf, buf)
}

var _ = array.NewInt64Builder
