package exec

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestAssignFixedGids checks that the fixed-width key path finds the ids
// the key encoder's bytes give, for int64 and int32 keys.
func TestAssignFixedGids(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	i64 := []int64{0, -1, 1, 1, math.MinInt64, math.MaxInt64, 255, 256, -256, 1 << 40, 1 << 40, 7}
	b64 := array.NewInt64Builder(mem)
	b64.AppendValues(i64, nil)
	c64 := b64.NewArray()
	defer c64.Release()
	b64.Release()
	b32 := array.NewInt32Builder(mem)
	for _, v := range i64 {
		b32.Append(int32(v))
	}
	c32 := b32.NewArray()
	defer c32.Release()
	b32.Release()
	drop := make([]bool, len(i64))
	drop[3] = true
	for _, c := range []arrow.Array{c64, c32} {
		fast := newBatchAgg(newGroupTable(), nil)
		if err := fast.assignGids(len(i64), []arrow.Array{c}, drop); err != nil {
			t.Fatal(err)
		}
		var enc keyEncoder
		if err := enc.encode(len(i64), nil, []arrow.Array{c}); err != nil {
			t.Fatal(err)
		}
		for i, g := range fast.gids {
			if drop[i] {
				if g != -1 {
					t.Fatalf("%s row %d: dropped row has gid %d", c.DataType(), i, g)
				}
				continue
			}
			want, added := fast.groups.findOrAdd(enc.row(i))
			if added || want != g {
				t.Fatalf("%s row %d: fast gid %d, encoded key gives %d (added %v)", c.DataType(), i, g, want, added)
			}
			if string(fast.groups.key(g)) != string(enc.row(i)) {
				t.Fatalf("%s row %d: stored key %x, want %x", c.DataType(), i, fast.groups.key(g), enc.row(i))
			}
		}
	}
}
