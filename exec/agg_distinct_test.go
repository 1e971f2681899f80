package exec

import (
	"bytes"
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestHLLAccuracy checks approx_count_distinct within 2% at 1M distinct
// values, merged from 16 partial sketches like batches are.
func TestHLLAccuracy(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	state, batch := &hllAcc{}, &hllAcc{}
	state.grow(1)
	const total, batches = 1 << 20, 16
	groups := make([]int32, total/batches)
	for k := range batches {
		bld := array.NewInt64Builder(mem)
		for i := range total / batches {
			bld.Append(int64(k*(total/batches) + i))
		}
		arg := bld.NewArray()
		bld.Release()
		batch.grow(1)
		batch.reset(0)
		if err := batch.update(groups, arg); err != nil {
			t.Fatal(err)
		}
		arg.Release()
		if err := state.merge(0, batch, 0); err != nil {
			t.Fatal(err)
		}
	}
	out, err := state.build(mem, []int32{0})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	got := out.(*array.Int64).Value(0)
	if e := math.Abs(float64(got)-total) / total; e > 0.02 {
		t.Fatalf("estimate %d for %d distinct: error %.3f", got, total, e)
	}
}

// TestKeyEncodingOrder checks that encoded keys sort like SQL values with
// NULLs last and round-trip through decodeKeyInto.
func TestKeyEncodingOrder(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fb := array.NewFloat64Builder(mem)
	fb.AppendValues([]float64{math.Inf(-1), -2.5, math.Copysign(0, -1), 0, 1e-300, 3, math.Inf(1)}, nil)
	fb.AppendNull()
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"", "a", "a\x00", "a\x00b", "ab", "b", "bb", "c"}, nil)
	cols := []arrow.Array{fb.NewArray(), sb.NewArray()}
	fb.Release()
	sb.Release()
	defer releaseArrays(cols)
	for _, c := range cols {
		var e keyEncoder
		if err := e.encode(c.Len(), nil, []arrow.Array{c}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < c.Len(); i++ {
			cmp := bytes.Compare(e.row(i-1), e.row(i))
			if cmp > 0 || (cmp == 0 && c.DataType().ID() == arrow.STRING) {
				t.Errorf("%s: row %d does not sort before row %d", c.DataType(), i-1, i)
			}
		}
		bld := array.NewBuilder(mem, c.DataType())
		for i := range c.Len() {
			if err := decodeKeyInto(e.row(i), []array.Builder{bld}); err != nil {
				t.Fatal(err)
			}
		}
		back := bld.NewArray()
		bld.Release()
		if !array.Equal(back, c) {
			t.Errorf("round trip: got %v, want %v", back, c)
		}
		back.Release()
	}
}
