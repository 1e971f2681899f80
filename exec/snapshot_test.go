package exec

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The snapshot tests run random aggregate plans over random batches
// twice: once uninterrupted, once snapshotting at a random point (between
// micro-batches or between a batch's push and its flush), closing the
// pipeline and restoring the chunks into a newly built one. Both runs
// must emit the same rows batch by batch and count the same late rows.

// snapSchema has a column of every type an aggregate or key takes.
var snapSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: windowTimeType, Nullable: true},
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "d", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
	{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
	{Name: "by", Type: arrow.BinaryTypes.Binary, Nullable: true},
	{Name: "big", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
	{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	{Name: "dt", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
}, nil)

const (
	sTS = iota
	sK
	sG
	sV
	sF
	sD
	sB
	sI32
	sBy
	sBig
	sF32
	sI16
	sDt
)

func snapCol(i int) Expr { return Col(i, snapSchema.Field(i).Type) }

// snapCase is a random plan and its input.
type snapCase struct {
	specs []OpSpec
	rows  [][][]any // per batch, rows of snapSchema values (nil = NULL)
	wms   []int64   // watermark after each batch
	desc  string
}

func (c *snapCase) String() string { return c.desc }

// genSnapAggs draws aggregates; the first is always count(*).
func genSnapAggs(r *rand.Rand) []AggSpec {
	pick := func(cols ...int) Expr { return snapCol(cols[r.IntN(len(cols))]) }
	aggs := []AggSpec{{Func: "count_star"}}
	// approx_count_distinct in a fifth of the plans: emitting costs 16k
	// registers a slot.
	choices := 12
	if r.IntN(5) == 0 {
		choices = 14
	}
	for range 1 + r.IntN(6) {
		var a AggSpec
		switch r.IntN(choices) {
		case 0:
			a = AggSpec{Func: "count", Arg: pick(sK, sV, sF, sBy, sD)}
		case 1:
			a = AggSpec{Func: "count", Distinct: true, Arg: pick(sK, sV, sF, sBy, sD, sB)}
		case 2:
			a = AggSpec{Func: "sum", Arg: pick(sV, sF, sD, sI32, sBig, sF32, sI16)}
		case 3:
			a = AggSpec{Func: "avg", Arg: pick(sV, sF, sD, sI32, sF32, sI16)}
		case 4, 5, 6, 7:
			a = AggSpec{Func: []string{"min", "max"}[r.IntN(2)], Arg: pick(sV, sF, sD, sB, sK, sBy, sI32, sTS, sF32, sI16, sDt)}
		case 8, 9, 10, 11:
			a = AggSpec{Func: "sum", Arg: pick(sV, sF, sD)}
		default:
			a = AggSpec{Func: "approx_count_distinct", Arg: pick(sK, sV, sF)}
		}
		aggs = append(aggs, a)
	}
	return aggs
}

// genSnapCase draws a plan: window aggregate [→ HAVING count(*) > 1]
// [→ sort] → project (columns reversed).
func genSnapCase(r *rand.Rand, kind WindowKind) *snapCase {
	const sec = int64(time.Second / time.Microsecond)
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	size := sec * (1 + r.Int64N(6))
	ws := WindowSpec{Kind: kind, TimeCol: sTS, Size: us(size), Slide: us(size), Gap: us(sec * (1 + r.Int64N(4)))}
	if kind == Hop {
		ws.Slide = us(max(sec/2, size/(1+r.Int64N(4))))
	}
	agg := &WindowAggSpec{Window: ws, Aggs: genSnapAggs(r), Emit: EmitMode(r.IntN(2))}
	if kind == NoWindow {
		agg.Emit = EmitChanges
	}
	keyCols := []int{sK, sG, sB, sF, sD, sI32, sBy, sDt, sF32, sI16, sTS}
	for _, k := range r.Perm(len(keyCols))[:r.IntN(3)] {
		agg.Keys = append(agg.Keys, snapCol(keyCols[k]))
	}
	c := &snapCase{specs: []OpSpec{agg}}
	_, out, err := newWindowAgg(memory.NewGoAllocator(), agg, snapSchema)
	if err != nil {
		panic(err)
	}
	if r.IntN(3) == 0 {
		cnt := len(agg.Keys)
		if kind != NoWindow {
			cnt += 2
		}
		pred, _ := Call("gt", boolType, Col(cnt, arrow.PrimitiveTypes.Int64), Lit(int64(1), arrow.PrimitiveTypes.Int64))
		c.specs = append(c.specs, &FilterSpec{Pred: pred})
	}
	if r.IntN(3) == 0 {
		col := r.IntN(out.NumFields())
		c.specs = append(c.specs, &SortSpec{Keys: []SortKey{{Expr: Col(col, out.Field(col).Type), Desc: r.IntN(2) == 0}}})
	}
	proj := &ProjectSpec{}
	for i := out.NumFields() - 1; i >= 0; i-- {
		proj.Exprs = append(proj.Exprs, Col(i, out.Field(i).Type))
		proj.Names = append(proj.Names, out.Field(i).Name)
	}
	c.specs = append(c.specs, proj)
	genSnapRows(r, c, size)
	var b strings.Builder
	fmt.Fprintf(&b, "window %+v emit %d keys %v aggs:", ws, agg.Emit, agg.Keys)
	for _, a := range agg.Aggs {
		fmt.Fprintf(&b, " %s(distinct=%t %v)", a.Func, a.Distinct, a.Arg)
	}
	fmt.Fprintf(&b, "; %d ops; batches %d", len(c.specs), len(c.rows))
	c.desc = b.String()
	return c
}

// genSnapRows draws 1–8 batches of 0–40 rows, with late rows and NULLs,
// and the watermark after each batch (max event time − a delay).
func genSnapRows(r *rand.Rand, c *snapCase, span int64) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	if r.IntN(4) == 0 {
		base = -3 * span // before 1970
	}
	delay := r.Int64N(2 * span)
	big := r.IntN(8) == 0
	strs := []string{"a", "b", "", "a\x00", "é", "long key long key long key"}
	wm, maxTS := int64(math.MinInt64), int64(math.MinInt64)
	cursor := base
	for range 1 + r.IntN(8) {
		var rows [][]any
		for range r.IntN(41) {
			cursor += r.Int64N(span / 2)
			ts := cursor - r.Int64N(delay+span)
			maxTS = max(maxTS, ts)
			null := func(v any) any {
				if r.IntN(6) == 0 {
					return nil
				}
				return v
			}
			bigV := r.Int64N(1000)
			if big {
				bigV = math.MaxInt64/4 + r.Int64N(1000)
				if r.IntN(2) == 0 {
					bigV = -bigV
				}
			}
			f := []float64{0, math.Copysign(0, -1), 1.5, -2.25, math.NaN(), 1e300}[r.IntN(6)]
			rows = append(rows, []any{
				null(ts), null(strs[r.IntN(len(strs))]), null(r.Int64N(4)), null(r.Int64N(50) - 10), null(f),
				null(decimal128.FromI64(r.Int64N(100000) - 500)), null(r.IntN(2) == 0), null(int32(r.IntN(7) - 3)),
				null([]byte(strs[r.IntN(len(strs))])), null(bigV), null(float32(f)), null(int16(r.IntN(9) - 4)),
				null(arrow.Date32(r.IntN(3) + 19000)),
			})
		}
		c.rows = append(c.rows, rows)
		if r.IntN(4) > 0 && maxTS > math.MinInt64 {
			wm = max(wm, maxTS-delay)
		}
		c.wms = append(c.wms, wm)
	}
}

// snapBatch builds one input batch of rows.
func snapBatch(mem memory.Allocator, rows [][]any) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, snapSchema)
	defer b.Release()
	for _, row := range rows {
		for i, v := range row {
			f := b.Field(i)
			if v == nil {
				f.AppendNull()
				continue
			}
			switch x := f.(type) {
			case *array.TimestampBuilder:
				x.Append(arrow.Timestamp(v.(int64)))
			case *array.StringBuilder:
				x.Append(v.(string))
			case *array.Int64Builder:
				x.Append(v.(int64))
			case *array.Float64Builder:
				x.Append(v.(float64))
			case *array.Decimal128Builder:
				x.Append(v.(decimal128.Num))
			case *array.BooleanBuilder:
				x.Append(v.(bool))
			case *array.Int32Builder:
				x.Append(v.(int32))
			case *array.BinaryBuilder:
				x.Append(v.([]byte))
			case *array.Float32Builder:
				x.Append(v.(float32))
			case *array.Int16Builder:
				x.Append(v.(int16))
			case *array.Date32Builder:
				x.Append(v.(arrow.Date32))
			}
		}
	}
	return b.NewRecordBatch()
}

// renderBatch renders b's rows, NULL as NULL.
func renderBatch(b arrow.RecordBatch) []string {
	if b == nil {
		return nil
	}
	rows := make([]string, b.NumRows())
	for i := range rows {
		vals := make([]string, b.NumCols())
		for c := range vals {
			if col := b.Column(c); col.IsNull(i) {
				vals[c] = "NULL"
			} else {
				vals[c] = col.ValueStr(i)
			}
		}
		rows[i] = strings.Join(vals, "|")
	}
	return rows
}

// snapRun is what a run emitted: per batch its rows (or error), late rows.
type snapRun struct {
	out  []string
	late int64
}

// snapSplit says where a run snapshots and restores: before batch at
// (mid: after its push, before its flush); at < 0 never.
type snapSplit struct {
	at    int
	mid   bool
	limit int // chunk limit
}

func newSnapPipeline(t testing.TB, mem memory.Allocator, specs []OpSpec) *pipeline {
	t.Helper()
	p, err := newPipeline(mem, buildOperator, specs, snapSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// snapshotChunks snapshots p and returns copies of its chunks.
func snapshotChunks(t testing.TB, p *pipeline) [][]byte {
	t.Helper()
	var chunks [][]byte
	if err := p.snapshot(func(c []byte) error {
		chunks = append(chunks, bytes.Clone(c))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return chunks
}

// currentRows renders p.current().
func currentRows(t testing.TB, p *pipeline) []string {
	t.Helper()
	b, err := p.current(context.Background())
	if err != nil {
		return []string{"error: " + err.Error()}
	}
	if b != nil {
		defer b.Release()
	}
	return renderBatch(b)
}

// runSnap runs c, swapping the pipeline for a restored one at split.
func runSnap(t *testing.T, mem memory.Allocator, c *snapCase, split snapSplit) snapRun {
	t.Helper()
	ctx := context.Background()
	p := newSnapPipeline(t, mem, c.specs)
	defer func() { p.close() }()
	swap := func() {
		before := currentRows(t, p)
		p.chunkLimit = split.limit
		chunks := snapshotChunks(t, p)
		p.close()
		p = newSnapPipeline(t, mem, c.specs)
		if err := p.restore(chunks); err != nil {
			t.Fatalf("%s\nrestore: %v", c, err)
		}
		if after := currentRows(t, p); !slices.Equal(before, after) {
			t.Fatalf("%s\ncurrent() before snapshot:\n%s\nafter restore:\n%s", c, strings.Join(before, "\n"), strings.Join(after, "\n"))
		}
	}
	return runSplitBatches(ctx, mem, &p, c, split, swap, nil)
}

// runSplitBatches pushes c's batches through *p, flushing each at its
// watermark and rendering what it takes into the run. swap replaces *p
// at split: before the batch, or between its push and its flush when
// split.mid. each, when set, adds to the run after every batch that did
// not fail. The run stops at the first error, which it records.
func runSplitBatches(ctx context.Context, mem memory.Allocator, p **pipeline, c *snapCase, split snapSplit, swap func(), each func(run *snapRun)) snapRun {
	var run snapRun
	for i, rows := range c.rows {
		if i == split.at && !split.mid {
			swap()
		}
		in := snapBatch(mem, rows)
		err := (*p).push(ctx, in)
		in.Release()
		if err == nil && i == split.at && split.mid {
			swap()
		}
		if err == nil {
			err = (*p).flush(ctx, c.wms[i])
		}
		out, terr := (*p).take()
		run.out = append(run.out, fmt.Sprintf("batch %d:", i))
		run.out = append(run.out, renderBatch(out)...)
		if out != nil {
			out.Release()
		}
		if err = errors.Join(err, terr); err != nil {
			run.out = append(run.out, "error: "+err.Error())
			break
		}
		if each != nil {
			each(&run)
		}
	}
	run.late = (*p).stats().LateRows
	return run
}

func TestSnapshotRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	n := 150
	if testing.Short() || diffRaceEnabled {
		n = 30
	}
	for _, kind := range []WindowKind{Tumble, Hop, Session, NoWindow} {
		t.Run(fmt.Sprintf("kind=%d", kind), func(t *testing.T) {
			for seed := range uint64(n) {
				r := rand.New(rand.NewPCG(seed, uint64(kind)))
				c := genSnapCase(r, kind)
				want := runSnap(t, mem, c, snapSplit{at: -1})
				split := snapSplit{at: r.IntN(len(c.rows) + 1), mid: r.IntN(3) == 0, limit: []int{0, 64, 300}[r.IntN(3)]}
				got := runSnap(t, mem, c, split)
				if !slices.Equal(got.out, want.out) || got.late != want.late {
					t.Fatalf("seed %d, split %+v: %s\nuninterrupted (late %d):\n%s\nrestored (late %d):\n%s", seed, split, c,
						want.late, strings.Join(want.out, "\n"), got.late, strings.Join(got.out, "\n"))
				}
			}
		})
	}
}

// TestSnapshotCurrent checks that current() reports what EMIT CHANGES
// would for every group: after one micro-batch, every open (window,
// group) changed.
func TestSnapshotCurrent(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	n := 60
	if testing.Short() || diffRaceEnabled {
		n = 20
	}
	for seed := range uint64(n) {
		r := rand.New(rand.NewPCG(seed, 9))
		c := genSnapCase(r, []WindowKind{Tumble, Hop, Session, NoWindow}[seed%4])
		agg := *c.specs[0].(*WindowAggSpec)
		agg.Emit = EmitChanges
		changes := append([]OpSpec{&agg}, c.specs[1:]...)
		p, q := newSnapPipeline(t, mem, c.specs), newSnapPipeline(t, mem, changes)
		var failed bool
		for _, rows := range c.rows {
			in := snapBatch(mem, rows)
			failed = failed || p.push(ctx, in) != nil || q.push(ctx, in) != nil
			in.Release()
		}
		if !failed && q.flush(ctx, math.MinInt64) == nil {
			out, err := q.take()
			if err != nil {
				t.Fatal(err)
			}
			want := renderBatch(out)
			if out != nil {
				out.Release()
			}
			if got := currentRows(t, p); !slices.Equal(got, want) {
				t.Errorf("seed %d: %s\ncurrent():\n%s\nEMIT CHANGES:\n%s", seed, c, strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		}
		p.close()
		q.close()
	}
	// Without an aggregate there is nothing current.
	proj := &ProjectSpec{Exprs: []Expr{snapCol(sV)}, Names: []string{"v"}}
	p := newSnapPipeline(t, mem, []OpSpec{proj})
	defer p.close()
	if b, err := p.current(ctx); b != nil || err != nil {
		t.Fatalf("current() without an aggregate = %v, %v", b, err)
	}
}

// snapFixture returns a pipeline holding some state, and its chunks.
func snapFixture(t testing.TB, mem memory.Allocator, seed uint64, limit int) (*snapCase, [][]byte) {
	r := rand.New(rand.NewPCG(seed, 3))
	c := genSnapCase(r, []WindowKind{Tumble, Hop, Session, NoWindow}[seed%4])
	p := newSnapPipeline(t, mem, c.specs)
	defer p.close()
	for i, rows := range c.rows {
		in := snapBatch(mem, rows)
		err := errors.Join(p.push(context.Background(), in), p.flush(context.Background(), c.wms[i]))
		in.Release()
		if err != nil {
			break
		}
		if out, _ := p.take(); out != nil {
			out.Release()
		}
	}
	p.chunkLimit = limit
	return c, snapshotChunks(t, p)
}

func TestSnapshotIncompatible(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	c, chunks := snapFixture(t, mem, 1, 200)
	restore := func(specs []OpSpec, chunks [][]byte) error {
		p := newSnapPipeline(t, mem, specs)
		defer p.close()
		return p.restore(chunks)
	}
	if err := restore(c.specs, chunks); err != nil {
		t.Fatalf("restore: %v", err)
	}
	// Another version.
	v2 := slices.Clone(chunks)
	v2[0] = bytes.Clone(v2[0])
	binary.LittleEndian.PutUint16(v2[0][4:], snapshotVersion+1)
	if err := restore(c.specs, v2); !errors.Is(err, ErrStateFormat) {
		t.Fatalf("other version: %v, want ErrStateFormat", err)
	}
	// Another plan: each change of the aggregate is refused.
	agg := c.specs[0].(*WindowAggSpec)
	changes := map[string]func(a *WindowAggSpec){
		"window size": func(a *WindowAggSpec) { a.Window.Size *= 2; a.Window.Slide *= 2; a.Window.Gap *= 2 },
		"emit":        func(a *WindowAggSpec) { a.Emit = 1 - a.Emit },
		"key":         func(a *WindowAggSpec) { a.Keys = append(a.Keys, snapCol(sV)) },
		"agg":         func(a *WindowAggSpec) { a.Aggs = append(a.Aggs, AggSpec{Func: "sum", Arg: snapCol(sV)}) },
		"distinct":    func(a *WindowAggSpec) { a.Aggs[0] = AggSpec{Func: "count", Distinct: true, Arg: snapCol(sV)} },
	}
	for name, change := range changes {
		other := *agg
		other.Keys, other.Aggs = slices.Clone(agg.Keys), slices.Clone(agg.Aggs)
		change(&other)
		specs := []OpSpec{&other} // no HAVING or projection: fewer columns too
		err := restore(specs, chunks)
		if !errors.Is(err, ErrStateFormat) {
			t.Errorf("%s changed: %v, want ErrStateFormat", name, err)
		}
	}
}

func TestSnapshotCorrupt(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	c, chunks := snapFixture(t, mem, 2, 64)
	if len(chunks) < 3 {
		t.Fatalf("fixture has %d chunks, want several", len(chunks))
	}
	cases := map[string][][]byte{
		"none":          nil,
		"last missing":  chunks[:len(chunks)-1],
		"first missing": chunks[1:],
		"reordered":     append([][]byte{chunks[0], chunks[len(chunks)-1]}, chunks[1:len(chunks)-1]...),
		"repeated":      append(slices.Clone(chunks), chunks[len(chunks)-1]),
		"truncated":     append(slices.Clone(chunks[:len(chunks)-1]), chunks[len(chunks)-1][:len(chunks[len(chunks)-1])-1]),
		"garbage":       {[]byte("not a snapshot at all")},
		"empty chunk":   {{}},
	}
	flip := slices.Clone(chunks)
	flip[1] = bytes.Clone(flip[1])
	flip[1][len(flip[1])/2] ^= 0x40
	cases["bit flip"] = flip
	for name, cs := range cases {
		p := newSnapPipeline(t, mem, c.specs)
		err := p.restore(cs)
		p.close()
		if !errors.Is(err, ErrCorruptState) {
			t.Errorf("%s: %v, want ErrCorruptState", name, err)
		}
	}
}

// TestSnapshotChunks checks the chunk bound on a large state of small
// slots and that the restored state equals the original.
func TestSnapshotChunks(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	p := snapPipelineN(t, mem, 120_000)
	defer p.close()
	chunks := snapshotChunks(t, p)
	if len(chunks) < 3 {
		t.Fatalf("%d chunks, want several", len(chunks))
	}
	for i, c := range chunks {
		if len(c) > snapshotChunkLimit {
			t.Fatalf("chunk %d of %d bytes, limit %d", i, len(c), snapshotChunkLimit)
		}
	}
	q, err := newPipeline(mem, buildOperator, snap1MSpecs(), benchSchema, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.close()
	if err := q.restore(chunks); err != nil {
		t.Fatal(err)
	}
	// The restored slots are in snapshot order: the same state snapshots
	// to the same bytes.
	if again := snapshotChunks(t, q); !slices.EqualFunc(again, chunks, bytes.Equal) {
		t.Fatalf("the restored state snapshots differently")
	}
}

func TestWatermarkerState(t *testing.T) {
	w := &watermarker{cur: 12345, lastData: time.UnixMicro(987654321)}
	b := w.marshalState()
	var r watermarker
	if err := r.restoreState(b); err != nil || r.cur != w.cur || !r.lastData.Equal(w.lastData) {
		t.Fatalf("restored %d %v (%v), want %d %v", r.cur, r.lastData, err, w.cur, w.lastData)
	}
	if err := r.restoreState(b[:5]); !errors.Is(err, ErrCorruptState) {
		t.Fatalf("truncated: %v", err)
	}
	b[0]++
	if err := r.restoreState(b); !errors.Is(err, ErrStateFormat) {
		t.Fatalf("other version: %v", err)
	}
}

// sealBody frames a chunk body as chunk 0 with a valid checksum, so the
// fuzzer reaches the record decoder.
func sealBody(body []byte) []byte {
	c := append([]byte(snapshotMagic), 0, 0, 0, 0, 0, 0)
	binary.LittleEndian.PutUint16(c[4:], snapshotVersion)
	binary.LittleEndian.PutUint32(c[6:], crc32.Checksum(body, crcTable))
	return append(c, body...)
}

// FuzzRestore restores checksummed garbage into the pipelines of a few
// plans: restore must fail with ErrCorruptState or ErrStateFormat or
// succeed, never panic, and a restored pipeline must keep working.
func FuzzRestore(f *testing.F) {
	mem := memory.NewGoAllocator()
	var cases []*snapCase
	for seed := range uint64(4) {
		c, chunks := snapFixture(f, mem, seed, 0)
		cases = append(cases, c)
		for _, ch := range chunks[:1] {
			body := ch[6+4:]
			f.Add(uint8(seed), bytes.Clone(body))
		}
	}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		c := cases[int(which)%len(cases)]
		p := newSnapPipeline(t, mem, c.specs)
		defer p.close()
		err := p.restore([][]byte{sealBody(body)})
		if err != nil {
			if !errors.Is(err, ErrCorruptState) && !errors.Is(err, ErrStateFormat) {
				t.Fatalf("restore: %v, want ErrCorruptState or ErrStateFormat", err)
			}
			return
		}
		if b, err := p.current(ctx); err == nil && b != nil {
			b.Release()
		}
		in := snapBatch(mem, c.rows[0])
		defer in.Release()
		_ = p.push(ctx, in)
		_ = p.flush(ctx, math.MaxInt64/2)
		if out, _ := p.take(); out != nil {
			out.Release()
		}
	})
}

// TestSnapshotHLLDense round-trips sketches past the sparse limit, which
// the random plans are too small to reach.
func TestSnapshotHLLDense(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	bld := array.NewInt64Builder(mem)
	for i := range 10_000 {
		bld.Append(int64(i))
	}
	vals := bld.NewArray()
	bld.Release()
	defer vals.Release()
	groups := make([]int32, vals.Len())
	for i := range groups {
		groups[i] = int32(i % 3 / 2) // slot 0 dense (2/3 of the values), slot 1 sparse… then dense too
	}
	groups[len(groups)-1] = 2 // slot 2 holds one value
	a := &hllAcc{}
	a.resetAll(4)
	if err := a.update(groups, vals); err != nil {
		t.Fatal(err)
	}
	var buf []byte
	for s := range int32(4) {
		buf = a.appendState(buf, s)
	}
	b := &hllAcc{}
	b.resetAll(4)
	r := &stateReader{b: buf}
	for s := range int32(4) {
		b.readState(r, s)
	}
	if r.err != nil || r.len() != 0 {
		t.Fatalf("read: %v, %d bytes left", r.err, r.len())
	}
	for s := range int32(4) {
		if a.estimate(s) != b.estimate(s) || !slices.Equal(a.sparse[s], b.sparse[s]) || !bytes.Equal(a.dense[s], b.dense[s]) {
			t.Fatalf("slot %d: estimate %d, restored %d", s, a.estimate(s), b.estimate(s))
		}
	}
	if a.dense[0] == nil || a.dense[2] != nil || len(a.sparse[2]) != 1 {
		t.Fatalf("fixture does not cover dense and sparse sketches")
	}
}
