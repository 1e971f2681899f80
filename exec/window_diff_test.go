package exec

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicedb/sluice/ingest"
	"github.com/sluicedb/sluice/state"
)

// The window differential test drives random TUMBLE/HOP/SESSION queries
// end to end (kfake topic → ingest → exec.Engine with manual batches) and
// compares every emitted row with a brute-force reference
// (window_ref_diff_test.go) built from SPEC §2. A failure prints the case
// seed; rerun just that case with
//
//	go test ./exec -run TestWindowDiff/late -window.diff.seed=0x…
//
// and soak with -window.diff.scale=20 -window.diff.base=N.
var (
	windowDiffSeed  = flag.Uint64("window.diff.seed", 0, "run only the window differential case with this seed")
	windowDiffBase  = flag.Uint64("window.diff.base", 1, "base seed of the window differential test's cases")
	windowDiffScale = flag.Float64("window.diff.scale", 1, "multiplies the number of window differential cases (soak runs)")
)

// diffSchema is the stream every case reads.
var diffSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "g", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "ts", Type: windowTimeType, Nullable: true},
}, nil)

// diffEnv runs the cases on one kfake cluster and client, with an engine
// per (batch cap, operator builder) created on first use, all allocating
// from one checked allocator that must be back at zero when the test ends.
type diffEnv struct {
	mem     *memory.CheckedAllocator
	kafka   *ingest.Client
	store   *state.Store
	engines map[diffEngineKey]*Engine
	n       int // streams created, for unique names
	tally   diffTally
}

// diffTally counts what the cases exercised, for the test log.
type diffTally struct {
	cases, rows, late, lateCases int
	kinds                        [4]int // by WindowKind
}

func (d diffTally) since(prev diffTally) string {
	return fmt.Sprintf("%d engine runs (tumble %d, hop %d, session %d): %d rows emitted, %d late rows in %d runs",
		d.cases-prev.cases, d.kinds[Tumble]-prev.kinds[Tumble], d.kinds[Hop]-prev.kinds[Hop],
		d.kinds[Session]-prev.kinds[Session], d.rows-prev.rows, d.late-prev.late, d.lateCases-prev.lateCases)
}

type diffEngineKey struct {
	cap   int64
	build string // "" for the real operators, else a key of brokenBuilders
}

func newDiffEnv(t *testing.T) *diffEnv {
	env := &diffEnv{mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), engines: map[diffEngineKey]*Engine{}}
	t.Cleanup(func() { env.mem.AssertSize(t, 0) })
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	env.kafka, err = ingest.NewClient(context.Background(), ingest.Options{Brokers: cluster.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.kafka.Close)
	store, err := state.Open(context.Background(), "mem", state.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Error(err)
		}
	})
	// Engines close before the store, the client and the cluster.
	t.Cleanup(func() {
		for _, e := range env.engines {
			if err := e.Close(); err != nil {
				t.Error(err)
			}
		}
	})
	env.store = store
	return env
}

// engine returns the engine with MaxRecordsPerPartition cap and the named
// operator builder, creating it on first use. The engines share the store:
// stream names are unique.
func (env *diffEnv) engine(ctx context.Context, key diffEngineKey) (*Engine, error) {
	if e, ok := env.engines[key]; ok {
		return e, nil
	}
	opts := Options{Store: env.store, Kafka: env.kafka, Allocator: env.mem, ManualTrigger: true, MaxRecordsPerPartition: key.cap}
	if key.build != "" {
		opts.private.buildOperator = brokenBuilders[key.build]
	}
	e, err := NewEngine(ctx, opts)
	if err != nil {
		return nil, err
	}
	env.engines[key] = e
	return e, nil
}

// diffResult is what a run emitted: sorted rendered rows and late rows.
type diffResult struct {
	rows []string
	late int64
}

// run feeds c's events to a new stream laid out as cfg and runs c's query
// on the engine for cfg.cap and build: ProcessAllAvailable, then a
// punctuation far in the future and ProcessAllAvailable again to close
// every window, then drains what was emitted.
func (env *diffEnv) run(ctx context.Context, c *diffCase, cfg diffConfig, build string) (diffResult, error) {
	eng, err := env.engine(ctx, diffEngineKey{cap: cfg.cap, build: build})
	if err != nil {
		return diffResult{}, err
	}
	env.n++
	name := fmt.Sprintf("diff_%d", env.n)
	// Streams share one topic per partition count and start at its end
	// offsets: each case reads exactly the records produced after its
	// StartQuery. (A topic per case would make the client's metadata work
	// grow with every case.)
	topic := fmt.Sprintf("diff_p%d", cfg.parts)
	def := StreamDef{Name: name, Schema: diffSchema, Topic: topic, Partitions: int32(cfg.parts), Start: "latest",
		WatermarkColumn: "ts", WatermarkDelay: time.Duration(c.delay) * time.Microsecond}
	if err := eng.CreateStream(ctx, def, false); err != nil {
		return diffResult{}, err
	}
	defer func() { _ = eng.DropStream(ctx, name, true) }()
	spec, err := c.querySpec(def)
	if err != nil {
		return diffResult{}, err
	}
	q, err := eng.StartQuery(ctx, spec)
	if err != nil {
		return diffResult{}, err
	}
	defer q.Close()
	recs := make([]*ingest.Record, len(c.events))
	for i, e := range c.events {
		recs[i] = &ingest.Record{Partition: int32(cfg.assign[i]), Value: eventJSON(e, c.seed+uint64(i))}
	}
	if err := env.kafka.Produce(ctx, topic, recs); err != nil {
		return diffResult{}, err
	}
	if err := q.ProcessAllAvailable(ctx); err != nil {
		return diffResult{}, err
	}
	q.AdvanceWatermark(time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC))
	if err := q.ProcessAllAvailable(ctx); err != nil {
		return diffResult{}, err
	}
	var res diffResult
	done, cancel := context.WithCancel(ctx)
	cancel()
	for {
		b, err := q.Next(done)
		if errors.Is(err, context.Canceled) {
			break
		}
		if err != nil {
			return diffResult{}, err
		}
		res.rows = append(res.rows, diffRows(b)...)
		b.Release()
	}
	info := q.Info()
	if info.State != StateRunning || info.InputRows != int64(len(c.events)) {
		return diffResult{}, fmt.Errorf("query state %q, %d input rows, want running with %d", info.State, info.InputRows, len(c.events))
	}
	res.late = info.LateRows
	slices.Sort(res.rows)
	env.tally.cases++
	env.tally.kinds[c.kind]++
	env.tally.rows += len(res.rows)
	env.tally.late += int(res.late)
	if res.late > 0 {
		env.tally.lateCases++
	}
	return res, nil
}

// eventJSON renders e as the stream's JSON, with NULLs written as null or
// left out and timestamps in one of the formats the decoder accepts.
func eventJSON(e diffEvent, salt uint64) []byte {
	r := rand.New(rand.NewPCG(salt, 7))
	m := map[string]any{}
	put := func(name string, ok bool, v any) {
		switch {
		case ok:
			m[name] = v
		case r.IntN(2) == 0:
			m[name] = nil
		}
	}
	put("k", e.k.ok, e.k.v)
	put("g", e.g.ok, e.g.v)
	put("v", e.v.ok, e.v.v)
	t := time.UnixMicro(e.ts.v).UTC()
	var ts any
	switch {
	case e.ts.v%1000 == 0 && r.IntN(3) == 0:
		ts = e.ts.v / 1000 // epoch milliseconds
	case r.IntN(2) == 0:
		ts = t.Format("2006-01-02T15:04:05.000000Z")
	default:
		ts = t.Format("2006-01-02 15:04:05.000000")
	}
	put("ts", e.ts.ok, ts)
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

// querySpec is c's plan over def: [Filter] → WindowAgg (EMIT ON WINDOW
// CLOSE) → Project (c.perm), built by hand as the planner would.
func (c *diffCase) querySpec(def StreamDef) (*QuerySpec, error) {
	i64, str := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	colTypes := []arrow.DataType{str, i64, i64, windowTimeType}
	spec := &QuerySpec{Source: SourceSpec{Stream: def.Name, Columns: def.Schema.Fields(), EventTimeCol: colTS,
		WatermarkDelay: def.WatermarkDelay}}
	if c.filter != nil {
		pred, err := c.filter.expr()
		if err != nil {
			return nil, err
		}
		spec.Ops = append(spec.Ops, &FilterSpec{Pred: pred})
	}
	us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
	agg := &WindowAggSpec{
		Window: WindowSpec{Kind: c.kind, TimeCol: colTS, Size: us(c.size), Slide: us(c.slide), Gap: us(c.gap)},
		Emit:   EmitOnClose,
	}
	out := []arrow.DataType{windowTimeType, windowTimeType}
	for _, k := range c.keys {
		agg.Keys = append(agg.Keys, Col(k, colTypes[k]))
		out = append(out, colTypes[k])
	}
	for _, a := range c.aggs {
		s := AggSpec{Func: a.fn, Distinct: a.distinct}
		t := i64
		if a.arg >= 0 {
			s.Arg = Col(a.arg, colTypes[a.arg])
			if a.fn == "min" || a.fn == "max" {
				t = colTypes[a.arg]
			}
		}
		if a.fn == "avg" {
			t = arrow.PrimitiveTypes.Float64
		}
		agg.Aggs = append(agg.Aggs, s)
		out = append(out, t)
	}
	spec.Ops = append(spec.Ops, agg)
	proj := &ProjectSpec{}
	var fields []arrow.Field
	for i, p := range c.perm {
		name := "c" + strconv.Itoa(i)
		proj.Exprs = append(proj.Exprs, Col(p, out[p]))
		proj.Names = append(proj.Names, name)
		fields = append(fields, arrow.Field{Name: name, Type: out[p], Nullable: true})
	}
	spec.Ops = append(spec.Ops, proj)
	spec.Output = arrow.NewSchema(fields, nil)
	return spec, nil
}

// expr builds the exec expression of p.
func (p *diffPred) expr() (Expr, error) {
	i64, str, boolean := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String, arrow.FixedWidthTypes.Boolean
	col := Col(colV, i64)
	if p.col == colK {
		col = Col(colK, str)
	}
	switch p.op {
	case "gt", "lt":
		return Call(p.op, boolean, col, Lit(p.i, i64))
	case "is_null", "is_not_null":
		return Call(p.op, boolean, col)
	case "ne":
		return Call("ne", boolean, Col(colK, str), Lit(p.s, str))
	}
	l, err := p.l.expr()
	if err != nil {
		return nil, err
	}
	if p.op == "not" {
		return Call("not", boolean, l)
	}
	r, err := p.r.expr()
	if err != nil {
		return nil, err
	}
	return Call(p.op, boolean, l, r)
}

// diffRows renders every row of b as the reference does.
func diffRows(b arrow.RecordBatch) []string {
	rows := make([]string, b.NumRows())
	for i := range rows {
		vals := make([]string, b.NumCols())
		for c := range vals {
			vals[c] = diffValue(b.Column(c), i)
		}
		rows[i] = strings.Join(vals, "|")
	}
	return rows
}

func diffValue(a arrow.Array, i int) string {
	if a.IsNull(i) {
		return "NULL"
	}
	switch a := a.(type) {
	case *array.Int64:
		return renderI(optI{a.Value(i), true})
	case *array.Float64:
		return renderF(a.Value(i))
	case *array.String:
		return renderS(optS{a.Value(i), true})
	case *array.Timestamp:
		return renderTS(optI{int64(a.Value(i)), true})
	}
	return fmt.Sprintf("?%s:%s", a.DataType(), a.ValueStr(i))
}

// diffCounts scales the number of cases: the full test takes well under
// 20s without -race and 60s with it on two cores.
func diffCounts(full int) int {
	n := int(float64(full) * *windowDiffScale)
	if testing.Short() {
		n /= 4
	}
	if diffRaceEnabled {
		n /= 2
	}
	return max(n, 10)
}

// caseSeeds returns the seeds of n cases of the subtest named salt, or
// just -window.diff.seed when it is set.
func caseSeeds(salt string, n int) []uint64 {
	if *windowDiffSeed != 0 {
		return []uint64{*windowDiffSeed}
	}
	return seedsOf(salt, n)
}

func seedsOf(salt string, n int) []uint64 {
	var h uint64 = 14695981039346656037 // FNV-1a of salt
	for _, b := range []byte(salt) {
		h = (h ^ uint64(b)) * 1099511628211
	}
	r := rand.New(rand.NewPCG(*windowDiffBase, h))
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = r.Uint64()
	}
	return seeds
}

// diffRerun says how to run just the failing case.
func diffRerun(t *testing.T, seed uint64) string {
	return fmt.Sprintf("rerun: go test ./exec -run '^%s$' -window.diff.seed=%#x", t.Name(), seed)
}

// check runs c under cfg and compares the rows and late rows with the
// reference replaying cfg's batches; it returns a readable description of
// any difference ("" when they agree).
func (env *diffEnv) check(ctx context.Context, c *diffCase, cfg diffConfig, build string) (string, error) {
	got, err := env.run(ctx, c, cfg, build)
	if err != nil {
		return "", fmt.Errorf("%s%s: %w", c, cfg, err)
	}
	want, late := referenceBatches(c, cfg)
	d := diffRowsDiff(got.rows, want)
	if d == "" && got.late == late {
		return "", nil
	}
	return fmt.Sprintf("%s%s\nlate rows: engine %d, reference %d\nrows (sorted): %s\n%s",
		c, cfg, got.late, late, c.header(), d), nil
}

// shrinkDiff looks for a smaller input on which fails still holds: one
// partition, no WHERE, then fewer events (halves down to single events,
// removed from every configuration alike), within a budget of tries. It
// returns the smallest failing input found.
func shrinkDiff(c *diffCase, cfgs []diffConfig, fails func(*diffCase, []diffConfig) bool) (*diffCase, []diffConfig) {
	budget := 300
	try := func(c *diffCase, cfgs []diffConfig) bool {
		if budget == 0 {
			return false
		}
		budget--
		return fails(c, cfgs)
	}
	ones := make([]diffConfig, len(cfgs))
	for i, cfg := range cfgs {
		ones[i] = diffConfig{parts: 1, cap: cfg.cap, assign: make([]int, len(cfg.assign))}
	}
	if try(c, ones) {
		cfgs = ones
	}
	if c.filter != nil {
		c2 := *c
		c2.filter = nil
		if try(&c2, cfgs) {
			c = &c2
		}
	}
	for changed := true; changed && budget > 0; {
		changed = false
		for size := max(len(c.events)/2, 1); size >= 1; size /= 2 {
			for i := 0; i+size <= len(c.events); {
				c2, cfgs2 := *c, slices.Clone(cfgs)
				c2.events = slices.Delete(slices.Clone(c.events), i, i+size)
				for j := range cfgs2 {
					cfgs2[j].assign = slices.Delete(slices.Clone(cfgs2[j].assign), i, i+size)
				}
				if try(&c2, cfgs2) {
					c, cfgs, changed = &c2, cfgs2, true
				} else {
					i += size
				}
			}
		}
	}
	return c, cfgs
}

// shrinkCheck shrinks a case that check found wrong and returns the
// description of the smallest failing input found.
func (env *diffEnv) shrinkCheck(ctx context.Context, c *diffCase, cfg diffConfig, build string) string {
	small, cfgs := shrinkDiff(c, []diffConfig{cfg}, func(c *diffCase, cfgs []diffConfig) bool {
		d, err := env.check(ctx, c, cfgs[0], build)
		return err == nil && d != ""
	})
	d, err := env.check(ctx, small, cfgs[0], build)
	if err != nil {
		d = err.Error()
	}
	return fmt.Sprintf("shrunk to %d of %d events:\n%s", len(small.events), len(c.events), d)
}

// invarianceDiff describes how the runs of one case under configurations
// a and b differ, or any late row (there should be none), or "".
func invarianceDiff(c *diffCase, a, b diffConfig, ra, rb diffResult) string {
	d := diffRowsDiff(rb.rows, ra.rows)
	if d == "" && ra.late == 0 && rb.late == 0 {
		return ""
	}
	return fmt.Sprintf("%sA: %s\nB: %s\nlate rows A %d, B %d\nrows (sorted; \"engine only\" = B only, \"reference only\" = A only): %s\n%s",
		c, a, b, ra.late, rb.late, c.header(), d)
}

// diffFailures reports the first failing case of a subtest in full (with
// a shrunk input) and counts the others, so that one bug does not hide
// whether others exist.
type diffFailures struct {
	t      *testing.T
	n      int
	byKind [4]int
}

func newDiffFailures(t *testing.T) *diffFailures { return &diffFailures{t: t} }

// add counts a failing case; describe is called for the first only.
func (f *diffFailures) add(c *diffCase, describe func() string) {
	f.t.Helper()
	f.n++
	f.byKind[c.kind]++
	if f.n == 1 {
		f.t.Error(describe())
	}
}

func (f *diffFailures) summary() {
	if f.n > 0 {
		f.t.Errorf("%d failing cases (tumble %d, hop %d, session %d); the first is reported above",
			f.n, f.byKind[Tumble], f.byKind[Hop], f.byKind[Session])
	}
}

// checkCase runs case c under cfg against the reference; a mismatch is
// recorded in fails with its shrunk form and the command that reruns it.
func (env *diffEnv) checkCase(t *testing.T, ctx context.Context, fails *diffFailures, c *diffCase, cfg diffConfig, seed uint64) {
	t.Helper()
	d, err := env.check(ctx, c, cfg, "")
	if err != nil {
		t.Fatalf("%v\n%s", err, diffRerun(t, seed))
	}
	if d != "" {
		fails.add(c, func() string {
			return fmt.Sprintf("engine differs from the reference:\n%s\n%s\n%s", d, env.shrinkCheck(ctx, c, cfg, ""), diffRerun(t, seed))
		})
	}
}

func TestWindowDiff(t *testing.T) {
	env := newDiffEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// (1) Every row in time (disorder within the watermark delay): the
	// engine's output equals the reference evaluated by definition over
	// all events, with no late row, whatever the partitions and batches.
	t.Run("reference", func(t *testing.T) {
		defer func(prev diffTally) { t.Log(env.tally.since(prev)) }(env.tally)
		fails := newDiffFailures(t)
		defer fails.summary()
		for _, seed := range caseSeeds("reference", diffCounts(2500)) {
			r := rand.New(rand.NewPCG(seed, 1))
			c := genDiffCase(r, seed, genInTime)
			cfg := genDiffConfig(r, len(c.events), true)
			want := referenceAll(c)
			if inc, late := referenceBatches(c, cfg); late != 0 || !slices.Equal(inc, want) {
				t.Fatalf("reference disagrees with itself (late %d):\n%s%s\n%s%s", late, c, cfg, diffRowsDiff(inc, want), diffRerun(t, seed))
			}
			env.checkCase(t, ctx, fails, c, cfg, seed)
		}
	})

	// (2) Invariance, without the reference: the same in-time events under
	// two random partition layouts and batch caps emit the same rows.
	t.Run("invariance", func(t *testing.T) {
		defer func(prev diffTally) { t.Log(env.tally.since(prev)) }(env.tally)
		fails := newDiffFailures(t)
		defer fails.summary()
		for _, seed := range caseSeeds("invariance", diffCounts(600)) {
			r := rand.New(rand.NewPCG(seed, 2))
			c := genDiffCase(r, seed, genInTime)
			a, b := genDiffConfig(r, len(c.events), true), genDiffConfig(r, len(c.events), true)
			ra, err := env.run(ctx, c, a, "")
			if err != nil {
				t.Fatalf("%s%s: %v\n%s", c, a, err, diffRerun(t, seed))
			}
			rb, err := env.run(ctx, c, b, "")
			if err != nil {
				t.Fatalf("%s%s: %v\n%s", c, b, err, diffRerun(t, seed))
			}
			if d := invarianceDiff(c, a, b, ra, rb); d != "" {
				fails.add(c, func() string {
					small, cfgs := shrinkDiff(c, []diffConfig{a, b}, func(c *diffCase, cfgs []diffConfig) bool {
						ra, err1 := env.run(ctx, c, cfgs[0], "")
						rb, err2 := env.run(ctx, c, cfgs[1], "")
						return err1 == nil && err2 == nil && invarianceDiff(c, cfgs[0], cfgs[1], ra, rb) != ""
					})
					ra, _ := env.run(ctx, small, cfgs[0], "")
					rb, _ := env.run(ctx, small, cfgs[1], "")
					return fmt.Sprintf("output depends on batches or partitions:\n%s\nshrunk to %d of %d events:\n%s%s",
						d, len(small.events), len(c.events), invarianceDiff(small, cfgs[0], cfgs[1], ra, rb), diffRerun(t, seed))
				})
			}
		}
	})

	// (3) Late rows: disorder beyond the delay. The reference replays the
	// engine's batches (one record per batch on a single partition, or a
	// random layout), applies the lateness rule per batch and must agree
	// on the rows and on late_rows.
	t.Run("late", func(t *testing.T) {
		defer func(prev diffTally) { t.Log(env.tally.since(prev)) }(env.tally)
		fails := newDiffFailures(t)
		defer fails.summary()
		for _, seed := range caseSeeds("late", diffCounts(1200)) {
			r := rand.New(rand.NewPCG(seed, 3))
			c := genDiffCase(r, seed, genLate)
			cfg := diffConfig{parts: 1, cap: 1, assign: make([]int, len(c.events))}
			if r.IntN(3) == 0 {
				cfg = genDiffConfig(r, len(c.events), false)
			}
			env.checkCase(t, ctx, fails, c, cfg, seed)
		}
	})

	// Hand-written cases: edge cases of SPEC §2 whose expected rows are
	// written out (so they check the reference too) and minimal repros.
	t.Run("fixed", func(t *testing.T) {
		for _, fc := range fixedDiffCases() {
			t.Run(fc.name, func(t *testing.T) {
				want, late := referenceBatches(fc.c, fc.cfg)
				if !slices.Equal(want, fc.want) || late != fc.late {
					t.Fatalf("reference: late %d, want %d; rows (sorted): %s\n%s", late, fc.late, fc.c.header(), diffRowsDiff(want, fc.want))
				}
				d, err := env.check(ctx, fc.c, fc.cfg, "")
				if err != nil {
					t.Fatal(err)
				}
				if d != "" {
					t.Fatalf("engine differs from the reference:\n%s", d)
				}
			})
		}
	})

	// (4) The check can fail: with a deliberately broken window aggregate
	// installed through Options.private.buildOperator, the same
	// differential check must report mismatches.
	t.Run("broken", func(t *testing.T) {
		for _, build := range slices.Sorted(maps.Keys(brokenBuilders)) {
			t.Run(build, func(t *testing.T) {
				n, caught := diffCounts(80), 0
				var first string
				for _, seed := range seedsOf("broken/"+build, n) {
					r := rand.New(rand.NewPCG(seed, 1))
					c := genDiffCase(r, seed, genInTime)
					cfg := genDiffConfig(r, len(c.events), true)
					d, err := env.check(ctx, c, cfg, build)
					if err != nil {
						t.Fatal(err)
					}
					if d != "" {
						caught++
						if first == "" {
							first = d + "\n" + env.shrinkCheck(ctx, c, cfg, build)
						}
					}
				}
				if caught == 0 {
					t.Fatalf("the differential check missed a broken operator in all %d cases", n)
				}
				t.Logf("caught in %d of %d cases; the first:\n%s", caught, n, first)
			})
		}
	})
}

// brokenBuilders install a deliberately wrong window aggregate.
var brokenBuilders = map[string]operatorBuilder{
	// shift_1us moves every event time 1µs later before window
	// assignment: only rows 1µs before a boundary change windows (and
	// every session's bounds move).
	"shift_1us": wrapWindowAgg(func(op Operator, mem memory.Allocator, col int) Operator {
		return &shiftTimeOp{Operator: op, mem: mem, col: col}
	}),
	// drop_last drops the last row of every pushed batch.
	"drop_last": wrapWindowAgg(func(op Operator, _ memory.Allocator, _ int) Operator { return &dropLastOp{Operator: op} }),
}

func wrapWindowAgg(wrap func(op Operator, mem memory.Allocator, timeCol int) Operator) operatorBuilder {
	return func(mem memory.Allocator, spec OpSpec, in *arrow.Schema) (Operator, *arrow.Schema, error) {
		op, out, err := buildOperator(mem, spec, in)
		if w, ok := spec.(*WindowAggSpec); ok && err == nil {
			op = wrap(op, mem, w.Window.TimeCol)
		}
		return op, out, err
	}
}

// shiftTimeOp pushes its input with column col (a µs timestamp) plus 1µs.
type shiftTimeOp struct {
	Operator
	mem memory.Allocator
	col int
}

func (s *shiftTimeOp) Push(ctx context.Context, in arrow.RecordBatch, emit EmitFunc) error {
	ts := in.Column(s.col).(*array.Timestamp)
	b := array.NewTimestampBuilder(s.mem, ts.DataType().(*arrow.TimestampType))
	defer b.Release()
	for i := range ts.Len() {
		if ts.IsNull(i) {
			b.AppendNull()
		} else {
			b.Append(ts.Value(i) + 1)
		}
	}
	shifted := b.NewArray()
	defer shifted.Release()
	cols := slices.Clone(in.Columns())
	cols[s.col] = shifted
	rec := array.NewRecordBatch(in.Schema(), cols, in.NumRows())
	defer rec.Release()
	return s.Operator.Push(ctx, rec, emit)
}

// dropLastOp pushes its input without the last row.
type dropLastOp struct{ Operator }

func (d *dropLastOp) Push(ctx context.Context, in arrow.RecordBatch, emit EmitFunc) error {
	if in.NumRows() == 0 {
		return d.Operator.Push(ctx, in, emit)
	}
	s := in.NewSlice(0, in.NumRows()-1)
	defer s.Release()
	return d.Operator.Push(ctx, s, emit)
}
