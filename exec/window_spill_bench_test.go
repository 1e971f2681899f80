package exec

import (
	"fmt"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BenchmarkWindowAggSpill runs BenchmarkWindowAgg's TUMBLE and HOP loads
// (1k keys, all windows open) with spilling off, on with the default
// budget (nothing spills: the hot path's cost of being able to) and on
// with a 64 KiB budget (most slots spilled after each batch and reloaded
// by the next).
func BenchmarkWindowAggSpill(b *testing.B) {
	i64 := arrow.PrimitiveTypes.Int64
	kinds := map[string]WindowSpec{
		"tumble": {Kind: Tumble, Size: 10 * time.Second},
		"hop":    {Kind: Hop, Size: 10 * time.Second, Slide: 2 * time.Second},
	}
	budgets := map[string]int64{"off": -1, "idle": DefaultStateMemoryBudget, "64KiB": 64 << 10}
	store := openSpillStore(b)
	for _, kind := range []string{"tumble", "hop"} {
		for _, budget := range []string{"off", "idle", "64KiB"} {
			b.Run(fmt.Sprintf("kind=%s/budget=%s", kind, budget), func(b *testing.B) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(b, 0)
				spec := &WindowAggSpec{Window: kinds[kind], Keys: []Expr{Col(1, i64)},
					Aggs: []AggSpec{{Func: "count_star"}, {Func: "max", Arg: Col(2, i64)}}}
				op, _, err := buildOperator(mem, spec, benchSchema)
				if err != nil {
					b.Fatal(err)
				}
				defer op.Close()
				op.(*windowAgg).enableSpill(store, newSpillID("bench"), 0, budgets[budget])
				benchPushFlush(b, mem, op, 65536)
			})
		}
	}
}
