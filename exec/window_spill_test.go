package exec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/state"
)

// The spill tests run the same random plans and batches (the snapshot
// tests' generator: every aggregate kind, keys of every type, late rows,
// both emit modes) through an all-in-memory pipeline and through one whose
// window aggregate has a tiny memory budget, so that slots are spilled
// after nearly every batch and read back by the next. Both must emit the
// same rows batch by batch, report the same current() after every batch
// and count the same late rows and open groups.

func openSpillStore(t testing.TB) *state.Store {
	t.Helper()
	store, err := state.Open(context.Background(), "mem", state.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Error(err)
		}
	})
	return store
}

// spillEntries counts the whole spill family of store.
func spillEntries(t testing.TB, store *state.Store) int {
	t.Helper()
	n := 0
	if err := store.Scan([]byte{0x07}, []byte{0x08}, func(_, _ []byte) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

// spillRun says how a run keeps its state: budget < 0 all in memory;
// split as in runSnap (at < 0: never).
type spillRun struct {
	budget int64
	split  snapSplit
}

// spillFigures sums what the spilling runs did, to check they spilled.
type spillFigures struct{ evicted, reloaded int64 }

func newSpillPipeline(t testing.TB, mem memory.Allocator, store *state.Store, specs []OpSpec, budget int64) *pipeline {
	t.Helper()
	p := newSnapPipeline(t, mem, specs)
	p.enableSpill(store, newSpillID("test"), budget)
	return p
}

func spillOf(p *pipeline) *windowSpill {
	for _, op := range p.ops {
		if w, ok := op.(*windowAgg); ok {
			return w.spill
		}
	}
	return nil
}

// runSpill runs c's batches like runSnap, recording current() after each
// batch too, and checks that closing the pipeline removes its entries.
func runSpill(t *testing.T, mem memory.Allocator, store *state.Store, c *snapCase, cfg spillRun, fig *spillFigures) snapRun {
	t.Helper()
	ctx := context.Background()
	p := newSpillPipeline(t, mem, store, c.specs, cfg.budget)
	count := func() {
		if sp := spillOf(p); sp != nil {
			fig.evicted, fig.reloaded = fig.evicted+sp.evicted, fig.reloaded+sp.reloaded
		}
	}
	defer func() {
		count()
		p.close()
		if n := spillEntries(t, store); n != 0 {
			t.Errorf("%d spill entries left after close", n)
		}
	}()
	swap := func() {
		p.chunkLimit = cfg.split.limit
		chunks := snapshotChunks(t, p)
		count()
		p.close()
		p = newSpillPipeline(t, mem, store, c.specs, cfg.budget)
		if err := p.restore(chunks); err != nil {
			t.Fatalf("%s\nrestore: %v", c, err)
		}
	}
	return runSplitBatches(ctx, mem, &p, c, cfg.split, swap, func(run *snapRun) {
		st := p.stats()
		run.out = append(run.out, fmt.Sprintf("open groups %d; current:", st.OpenGroups))
		run.out = append(run.out, currentRows(t, p)...)
	})
}

func TestSpillDiff(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := openSpillStore(t)
	n := 120
	if testing.Short() || diffRaceEnabled {
		n = 25
	}
	var fig spillFigures
	for _, kind := range []WindowKind{Tumble, Hop, NoWindow, Session} {
		t.Run(fmt.Sprintf("kind=%d", kind), func(t *testing.T) {
			for seed := range uint64(n) {
				r := rand.New(rand.NewPCG(seed, 100+uint64(kind)))
				c := genSnapCase(r, kind)
				want := runSpill(t, mem, store, c, spillRun{budget: -1, split: snapSplit{at: -1}}, &fig)
				cfg := spillRun{budget: []int64{0, 1 << 10, 3 << 10, 8 << 10}[r.IntN(4)], split: snapSplit{at: -1}}
				if r.IntN(2) == 0 {
					cfg.split = snapSplit{at: r.IntN(len(c.rows) + 1), mid: r.IntN(3) == 0, limit: []int{0, 64, 300}[r.IntN(3)]}
				}
				got := runSpill(t, mem, store, c, cfg, &fig)
				if !slices.Equal(got.out, want.out) || got.late != want.late {
					t.Fatalf("seed %d, %+v: %s\nin memory (late %d):\n%s\nspilling (late %d):\n%s", seed, cfg, c,
						want.late, strings.Join(want.out, "\n"), got.late, strings.Join(got.out, "\n"))
				}
			}
		})
	}
	t.Logf("spilled %d slots, reloaded %d", fig.evicted, fig.reloaded)
	if fig.evicted == 0 || fig.reloaded == 0 {
		t.Fatalf("the runs did not spill and reload (%d, %d)", fig.evicted, fig.reloaded)
	}
}

// TestSpillClosedEmission checks the merged emission of a closing window
// whose slots are mostly spilled: in chunks of at most emitRows, in
// (end, start, key) order, equal to the all-in-memory run.
func TestSpillClosedEmission(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := openSpillStore(t)
	ctx := context.Background()
	i64 := arrow.PrimitiveTypes.Int64
	specs := []OpSpec{&WindowAggSpec{Window: WindowSpec{Kind: Tumble, Size: time.Hour}, Keys: []Expr{Col(1, i64)},
		Aggs: []AggSpec{{Func: "count_star"}, {Func: "sum", Arg: Col(2, i64)}}}}
	const groups, emitRows = 2100, 500
	passes := [][2]int64{{0, groups}, {groups / 3, groups}, {0, 0}} // the last only closes the window
	run := func(budget int64) ([]string, []int64) {
		p, err := newPipeline(mem, buildOperator, specs, benchSchema, nil)
		if err != nil {
			t.Fatal(err)
		}
		p.enableSpill(store, newSpillID("closed"), budget)
		if sp := spillOf(p); sp != nil {
			sp.emitRows = emitRows
		}
		defer p.close()
		var sizes []int64
		for i, keys := range passes {
			in := spillBoundedBatch(mem, keys[0], keys[1], func(k int64) int64 { return k * int64(i+1) })
			wm := int64(math.MinInt64)
			if i == len(passes)-1 {
				wm = math.MaxInt64 / 2
			}
			err := errors.Join(p.push(ctx, in), p.flush(ctx, wm))
			in.Release()
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range p.collected {
				sizes = append(sizes, b.NumRows())
			}
		}
		out, err := p.take()
		if err != nil {
			t.Fatal(err)
		}
		defer out.Release()
		return renderBatch(out), sizes
	}
	want, _ := run(-1)
	got, sizes := run(4 << 10)
	if len(want) != groups || !slices.Equal(got, want) {
		t.Fatalf("spilling run emitted %d rows, in memory %d of %d groups; they differ", len(got), len(want), groups)
	}
	if len(sizes) < 3 || slices.Max(sizes) > emitRows {
		t.Fatalf("closed window emitted as batches of %v rows, want several of at most %d", sizes, emitRows)
	}
}

// TestSpillEngineDiff runs the window differential test's random cases
// (in-time and late rows, TUMBLE, HOP and SESSION) end to end on engines
// whose aggregates have a budget of one byte, against the reference.
func TestSpillEngineDiff(t *testing.T) {
	env := newDiffEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	fails := newDiffFailures(t)
	defer fails.summary()
	for i, seed := range caseSeeds("spill", diffCounts(200)) {
		r := rand.New(rand.NewPCG(seed, 4))
		mode := []diffGenMode{genInTime, genLate}[i%2]
		c := genDiffCase(r, seed, mode)
		cfg := genDiffConfig(r, len(c.events), mode == genInTime)
		key := diffEngineKey{cap: cfg.cap, build: "spill"}
		if env.engines[key] == nil {
			e, err := NewEngine(ctx, Options{Store: env.store, Kafka: env.kafka, Allocator: env.mem, ManualTrigger: true,
				MaxRecordsPerPartition: cfg.cap, StateMemoryBudget: 1})
			if err != nil {
				t.Fatal(err)
			}
			env.engines[key] = e
		}
		d, err := env.check(ctx, c, cfg, "spill")
		if err != nil {
			t.Fatalf("%v\n%s", err, diffRerun(t, seed))
		}
		if d != "" {
			fails.add(c, func() string {
				return fmt.Sprintf("spilling engine differs from the reference:\n%s\n%s", d, diffRerun(t, seed))
			})
		}
		if n := spillEntries(t, env.store); n != 0 {
			t.Fatalf("%d spill entries left after the query closed\n%s", n, diffRerun(t, seed))
		}
	}
	t.Log(env.tally.since(diffTally{}))
}

// spillBoundedBatch returns keys [from, to) of benchSchema rows, all in
// one hour, with v = val(key).
func spillBoundedBatch(mem memory.Allocator, from, to int64, val func(int64) int64) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, benchSchema)
	defer b.Release()
	for k := from; k < to; k++ {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(k))
		b.Field(1).(*array.Int64Builder).Append(k)
		b.Field(2).(*array.Int64Builder).Append(val(k))
	}
	return b.NewRecordBatch()
}

// TestSpillBounded streams 200k groups twice (the second pass reloads
// every spilled one) through a one-hour tumbling count/sum/max with a
// 1 MiB budget: the state in memory stays within the budget plus a
// batch, the live heap stays far below the all-in-memory run's, and the
// closing window emits every group once, in key order, right.
func TestSpillBounded(t *testing.T) {
	groups, rows, budget := int64(200_000), int64(8192), int64(1<<20)
	if testing.Short() || diffRaceEnabled {
		groups = 20_000 // correctness only: too few groups for the heap bound
	}
	// On disk: an in-memory store would keep the spilled entries in the Go heap.
	store, err := state.Open(context.Background(), t.TempDir(), state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	inMemory := spillBoundedRun(t, store, groups, rows, -1)
	spilled := spillBoundedRun(t, store, groups, rows, budget)
	t.Logf("live heap growth with all %d groups: in memory %d KiB, spilling %d KiB", groups, inMemory>>10, spilled>>10)
	if groups == 200_000 && spilled > inMemory/4 {
		t.Fatalf("spilling run grew the live heap by %d KiB, in memory %d KiB", spilled>>10, inMemory>>10)
	}
}

// spillBoundedRun runs TestSpillBounded's stream with budget and returns
// the live heap growth once every group is held.
func spillBoundedRun(t *testing.T, store *state.Store, groups, rows, budget int64) int64 {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	i64 := arrow.PrimitiveTypes.Int64
	spec := &WindowAggSpec{Window: WindowSpec{Kind: Tumble, Size: time.Hour}, Keys: []Expr{Col(1, i64)},
		Aggs: []AggSpec{{Func: "count_star"}, {Func: "sum", Arg: Col(2, i64)}, {Func: "max", Arg: Col(2, i64)}}}
	op, _, err := buildOperator(mem, spec, benchSchema)
	if err != nil {
		t.Fatal(err)
	}
	w := op.(*windowAgg)
	defer w.Close()
	w.enableSpill(store, newSpillID("bounded"), 0, budget)
	before := liveHeap()
	for pass, val := range []func(int64) int64{func(k int64) int64 { return k }, func(int64) int64 { return 1 }} {
		for from := int64(0); from < groups; from += rows {
			in := spillBoundedBatch(mem, from, min(from+rows, groups), val)
			err := errors.Join(w.Push(ctx, in, nil), w.Flush(ctx, math.MinInt64, nil))
			in.Release()
			if err != nil {
				t.Fatal(err)
			}
			if b := w.state.bytes(); budget >= 0 && b > budget+rows*300 {
				t.Fatalf("pass %d: %d bytes in memory, budget %d", pass, b, budget)
			}
		}
	}
	grown := int64(liveHeap()) - int64(before)
	if budget >= 0 && (w.spill.evicted < groups || w.spill.reloaded == 0) {
		t.Fatalf("spilled %d slots, reloaded %d", w.spill.evicted, w.spill.reloaded)
	}
	spillBoundedCheck(t, ctx, w, groups)
	return grown
}

// spillBoundedCheck closes the window and checks every group's row.
func spillBoundedCheck(t *testing.T, ctx context.Context, w *windowAgg, groups int64) {
	next := int64(0)
	err := w.Flush(ctx, math.MaxInt64/2, func(_ context.Context, b arrow.RecordBatch) error {
		k, cnt := b.Column(2).(*array.Int64), b.Column(3).(*array.Int64)
		sum, mx := b.Column(4).(*array.Int64), b.Column(5).(*array.Int64)
		for i := range int(b.NumRows()) {
			if g := k.Value(i); g != next || cnt.Value(i) != 2 || sum.Value(i) != g+1 || mx.Value(i) != max(g, 1) {
				return fmt.Errorf("row %d: key %d count %d sum %d max %d", next, g, cnt.Value(i), sum.Value(i), mx.Value(i))
			}
			next++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next != groups || w.spillSlots() != 0 || w.state.open != 0 {
		t.Fatalf("emitted %d groups of %d; %d spilled and %d in memory left", next, groups, w.spillSlots(), w.state.open)
	}
}

// TestSpillRestoreRepeated restores a snapshot that holds one (window,
// group) twice: refused whether the first copy is still in memory or
// already spilled by the time the second is read.
func TestSpillRestoreRepeated(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	store := openSpillStore(t)
	c := &snapCase{specs: []OpSpec{&WindowAggSpec{Window: WindowSpec{Kind: Tumble, TimeCol: sTS, Size: time.Second},
		Keys: []Expr{snapCol(sG)}, Aggs: []AggSpec{{Func: "count_star"}}}}}
	p := newSnapPipeline(t, mem, c.specs)
	defer p.close()
	in := snapBatch(mem, [][]any{{int64(5), nil, int64(1), nil, nil, nil, nil, nil, nil, nil, nil, nil, nil}})
	err := p.push(context.Background(), in)
	in.Release()
	if err != nil {
		t.Fatal(err)
	}
	chunks := repeatedSlotSnapshot(t, p)
	for _, budget := range []int64{-1, 0} {
		q := newSpillPipeline(t, mem, store, c.specs, budget)
		err := q.restore(chunks)
		q.close()
		if !errors.Is(err, ErrCorruptState) || !strings.Contains(err.Error(), "repeated") {
			t.Errorf("budget %d: restore = %v, want the repeated slot refused", budget, err)
		}
	}
	q := newSpillPipeline(t, mem, store, c.specs, 0)
	defer q.close()
	if err := q.restore(snapshotChunks(t, p)); err != nil || spillOf(q).total != 1 {
		t.Fatalf("restore of the genuine snapshot: %v, %d spilled", err, spillOf(q).total)
	}
	if err := q.restore(snapshotChunks(t, p)); !errors.Is(err, ErrCorruptState) {
		t.Fatalf("restore into an aggregate holding spilled state: %v", err)
	}
}

// repeatedSlotSnapshot snapshots p, whose aggregate holds one slot (slot
// 0), writing that slot twice.
func repeatedSlotSnapshot(t *testing.T, p *pipeline) [][]byte {
	w := p.ops[0].(*windowAgg)
	var chunks [][]byte
	cw := newChunkWriter(func(c []byte) error { chunks = append(chunks, slices.Clone(c)); return nil }, 0, nil)
	sum, desc := p.planFingerprint()
	cw.buf = appendBytes(append(append(cw.buf, recHeader), sum[:]...), []byte(desc))
	b := append(cw.buf, recOp, 0)
	b = binary.LittleEndian.AppendUint64(b, uint64(w.prevWM))
	cw.buf = append(b, 0, 0, 2) // late rows, NULL-time rows, slots
	cw.beginSlots(0)
	for range 2 {
		cw.beginSlot()
		cw.buf = w.appendSlot(cw.buf, &cw.base, 0)
		if _, err := cw.endSlot(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cw.finish(); err != nil {
		t.Fatal(err)
	}
	return chunks
}
