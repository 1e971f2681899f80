package exec

import (
	"context"
	"math"
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// eventGen builds benchSchema batches cheaply: one reused record builder
// fed from reused Go slices.
type eventGen struct {
	bld       *array.RecordBuilder
	ts        []arrow.Timestamp
	k, v      []int64
	next      int64 // events generated so far
	rng       uint64
	base, gap int64 // event time of event 0 and between events, µs
	keys      int64
	driftUS   int64 // when > 0, the key set moves by keys every driftUS of event time
}

func newEventGen(mem memory.Allocator, keys int64) *eventGen {
	return &eventGen{
		bld:  array.NewRecordBuilder(mem, benchSchema),
		rng:  1,
		base: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(),
		gap:  10, // 100k events per simulated second
		keys: keys,
	}
}

// batch returns the next rows events; the caller releases it.
func (g *eventGen) batch(rows int) arrow.RecordBatch {
	g.ts, g.k, g.v = g.ts[:0], g.k[:0], g.v[:0]
	for range rows {
		g.rng = g.rng*6364136223846793005 + 1442695040888963407
		r := int64(g.rng >> 33)
		t := g.base + g.next*g.gap
		k := r % g.keys
		if g.driftUS > 0 {
			k += (t - g.base) / g.driftUS * g.keys
		}
		g.ts, g.k, g.v = append(g.ts, arrow.Timestamp(t)), append(g.k, k), append(g.v, r%1_000_000)
		g.next++
	}
	g.bld.Field(0).(*array.TimestampBuilder).AppendValues(g.ts, nil)
	g.bld.Field(1).(*array.Int64Builder).AppendValues(g.k, nil)
	g.bld.Field(2).(*array.Int64Builder).AppendValues(g.v, nil)
	return g.bld.NewRecordBatch()
}

func (g *eventGen) release() { g.bld.Release() }

func liveHeap() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

func tumbleCountMax(t testing.TB, mem memory.Allocator) *windowAgg {
	t.Helper()
	i64 := arrow.PrimitiveTypes.Int64
	spec := &WindowAggSpec{Window: WindowSpec{Kind: Tumble, Size: 10 * time.Second}, Keys: []Expr{Col(1, i64)},
		Aggs: []AggSpec{{Func: "count_star"}, {Func: "max", Arg: Col(2, i64)}}}
	op, _, err := buildOperator(mem, spec, benchSchema)
	if err != nil {
		t.Fatal(err)
	}
	return op.(*windowAgg)
}

// TestWindowStateBounded streams boundedTestEvents events at 100k events
// per simulated second through a 10 s tumbling count/max in 64k-row
// batches, flushing at the batch's last event time after each, and checks
// that the live heap, the open groups and the state size stay bounded and
// that every event is counted once. "drift" moves the 1k-key set every
// simulated second, so closed windows must give their group ids and arena
// bytes back for the group table to stay small.
func TestWindowStateBounded(t *testing.T) {
	for _, tc := range []struct {
		name    string
		driftUS int64
	}{{"fixed_keys", 0}, {"drift", 1_000_000}} {
		t.Run(tc.name, func(t *testing.T) { testWindowStateBounded(t, tc.driftUS) })
	}
}

func testWindowStateBounded(t *testing.T, driftUS int64) {
	const rows, keys, heapLimit = 64 << 10, 1000, 100 << 20
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	op := tumbleCountMax(t, mem)
	defer op.Close()
	gen := newEventGen(mem, keys)
	defer gen.release()
	gen.driftUS = driftUS
	// Keys live at once: those of one window (10 s), plus the next window's
	// when the key set drifts.
	maxOpen := int64(2 * keys)
	if driftUS > 0 {
		maxOpen = 2 * keys * (10_000_000 / driftUS)
	}
	ctx := context.Background()
	var counted int64
	emit := func(_ context.Context, b arrow.RecordBatch) error {
		for _, c := range b.Column(3).(*array.Int64).Int64Values() {
			counted += c
		}
		return nil
	}
	batches := (boundedTestEvents + rows - 1) / rows
	var maxHeap uint64
	// About 100 bytes per open group, plus tables sized for them.
	stateLimit, maxState := 256*maxOpen+(256<<10), int64(0)
	for i := range batches {
		in := gen.batch(min(rows, boundedTestEvents-i*rows))
		err := op.Push(ctx, in, emit)
		in.Release()
		if err != nil {
			t.Fatal(err)
		}
		if err := op.Flush(ctx, gen.base+(gen.next-1)*gen.gap, emit); err != nil {
			t.Fatal(err)
		}
		st := op.Stats()
		if st.OpenGroups > maxOpen {
			t.Fatalf("batch %d: %d open groups, want <= %d", i, st.OpenGroups, maxOpen)
		}
		if st.StateBytes > stateLimit {
			t.Fatalf("batch %d: state is %d bytes, want <= %d", i, st.StateBytes, stateLimit)
		}
		maxState = max(maxState, st.StateBytes)
		if g := op.groups; int64(g.live) > maxOpen || len(g.arena) > 2*groupArenaSlack+int(maxOpen)*16 {
			t.Fatalf("batch %d: group table holds %d ids and a %d-byte arena", i, g.live, len(g.arena))
		}
		if i%(batches/5) == 0 || i == batches-1 {
			h := liveHeap()
			maxHeap = max(maxHeap, h)
			if h > heapLimit {
				t.Fatalf("batch %d: live heap %d bytes, want < %d", i, h, heapLimit)
			}
		}
	}
	if err := op.Flush(ctx, math.MaxInt64, emit); err != nil {
		t.Fatal(err)
	}
	if counted != boundedTestEvents {
		t.Fatalf("counted %d events, want %d", counted, boundedTestEvents)
	}
	if st := op.Stats(); st.OpenGroups != 0 || op.groups.live != 0 {
		t.Fatalf("after the last window: %d open groups, %d group ids", st.OpenGroups, op.groups.live)
	}
	t.Logf("%d events in %d batches: max live heap %.1f MB, max state %d bytes, %d group ids allocated",
		boundedTestEvents, batches, float64(maxHeap)/(1<<20), maxState, op.groups.ids())
}

// TestWindowAggAllocs checks that steady-state Push/Flush allocates a
// constant per batch, not per row or group: with windows staying open,
// and with every Flush closing and emitting a window of 1k groups.
func TestWindowAggAllocs(t *testing.T) {
	const rows = 16 << 10
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	noop := func(context.Context, arrow.RecordBatch) error { return nil }

	t.Run("open", func(t *testing.T) {
		op := tumbleCountMax(t, mem)
		defer op.Close()
		in := benchBatch(mem, rows)
		defer in.Release()
		run := func() {
			if err := op.Push(ctx, in, noop); err != nil {
				t.Fatal(err)
			}
			if err := op.Flush(ctx, math.MinInt64, noop); err != nil {
				t.Fatal(err)
			}
		}
		run() // first batch sizes the state
		if n := testing.AllocsPerRun(20, run); n > 1 {
			t.Fatalf("%.1f allocations per batch, want <= 1", n)
		}
	})

	t.Run("closing", func(t *testing.T) {
		op := tumbleCountMax(t, mem)
		defer op.Close()
		gen := newEventGen(mem, 1000)
		defer gen.release()
		gen.gap = 10_000_000 / rows // one 10 s window per batch
		var groups int64
		emit := func(_ context.Context, b arrow.RecordBatch) error {
			groups += b.NumRows()
			return nil
		}
		const runs = 20
		batches := make([]arrow.RecordBatch, runs+3)
		for i := range batches {
			batches[i] = gen.batch(rows)
			defer batches[i].Release()
		}
		next := 0
		run := func() {
			in := batches[next]
			next++
			if err := op.Push(ctx, in, emit); err != nil {
				t.Fatal(err)
			}
			last := in.Column(0).(*array.Timestamp).Value(rows - 1)
			if err := op.Flush(ctx, int64(last), emit); err != nil {
				t.Fatal(err)
			}
		}
		run()
		run()
		groups = 0
		n := testing.AllocsPerRun(runs, run)
		if groups < runs*900 {
			t.Fatalf("emitted %d groups in %d batches, want ~1000 per batch", groups, runs+1)
		}
		if n > 200 { // a constant: most are the checked allocator's bookkeeping; per group would be >= 1000
			t.Fatalf("%.1f allocations per batch closing ~1000 groups, want <= 200", n)
		}
		t.Logf("%.1f allocations per closing batch", n)
	})
}
