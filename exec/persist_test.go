package exec

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicedb/sluice/ingest"
	"github.com/sluicedb/sluice/state"
)

// persistEnv is an engine over an on-disk Pebble directory and a kfake
// broker, both of which outlive the engine: restart and crash replace the
// engine (and reopen the store) as a server restart would. Every batch
// comes from one checked allocator, back to zero when the test ends.
type persistEnv struct {
	mem     *memory.CheckedAllocator
	cluster *kfake.Cluster
	kafka   *ingest.Client
	kopts   ingest.Options
	dir     string
	opts    Options
	store   *state.Store
	eng     *Engine
}

func newPersistEnv(t *testing.T, opts Options) *persistEnv {
	t.Helper()
	pe := &persistEnv{mem: memory.NewCheckedAllocator(memory.NewGoAllocator()), dir: t.TempDir(), opts: opts}
	t.Cleanup(func() { pe.mem.AssertSize(t, 0) })
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	pe.cluster = cluster
	pe.kopts = ingest.Options{Brokers: cluster.ListenAddrs()}
	pe.kafka, err = ingest.NewClient(testCtx(t), pe.kopts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pe.kafka.Close)
	pe.open(t)
	t.Cleanup(func() { pe.shutdown(t, true) })
	return pe
}

// open opens the store and a new engine on it (not resumed).
func (pe *persistEnv) open(t *testing.T) {
	t.Helper()
	store, err := state.Open(testCtx(t), pe.dir, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	opts := pe.opts
	opts.Store, opts.Kafka, opts.KafkaOptions, opts.Allocator = store, pe.kafka, pe.kopts, pe.mem
	// Batches run only in ProcessAllAvailable, unless the test sets a
	// batch interval for the ticker.
	opts.ManualTrigger = opts.BatchInterval == 0
	eng, err := NewEngine(testCtx(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	pe.store, pe.eng = store, eng
}

// shutdown closes the engine, gracefully or as a crash, then the store.
func (pe *persistEnv) shutdown(t *testing.T, graceful bool) {
	t.Helper()
	if pe.eng == nil {
		return
	}
	if graceful {
		if err := pe.eng.Close(); err != nil {
			t.Errorf("engine close: %v", err)
		}
	} else {
		pe.eng.crash()
	}
	if err := pe.store.Close(); err != nil {
		t.Errorf("store close: %v", err)
	}
	pe.eng, pe.store = nil, nil
}

// restart shuts the engine down and opens and resumes a new one.
func (pe *persistEnv) restart(t *testing.T, graceful bool, plan func(kind, name, sql string) (*QuerySpec, error)) {
	t.Helper()
	pe.shutdown(t, graceful)
	pe.open(t)
	if err := pe.eng.Resume(testCtx(t), plan); err != nil {
		t.Fatal(err)
	}
}

// crash stops every query at once with neither a graceful stop nor a
// checkpoint, as kill -9 would; the engine is closed afterwards.
func (e *Engine) crash() {
	e.mu.Lock()
	e.mu.closed = true
	qs := make([]*Query, 0, len(e.mu.queries))
	for _, q := range e.mu.queries {
		qs = append(qs, q)
	}
	e.mu.Unlock()
	for _, q := range qs {
		q.cancel(errSimulatedCrash)
		<-q.done
		q.out.drain()
	}
	e.bgCancel(errSimulatedCrash)
}

// persistQueries are the views and the sink the recovery tests run over
// the events stream: a windowed aggregate, a filter, a running aggregate
// and a pass-through sink.
var persistQueries = []struct{ kind, name string }{
	{kindView, "win"}, {kindView, "big"}, {kindView, "tot"}, {kindSink, "copy"},
}

// persistPlan plans the queries of persistQueries by name, as the planner
// would from their SQL (which names the query here).
func persistPlan(kind, name, sqlText string) (*QuerySpec, error) {
	def := eventsDef(3)
	def.WatermarkDelay = 2 * time.Second
	i64, str := arrow.PrimitiveTypes.Int64, arrow.BinaryTypes.String
	spec := &QuerySpec{SQL: sqlText, Source: SourceSpec{Stream: "events", Columns: def.Schema.Fields(),
		EventTimeCol: 2, WatermarkDelay: def.WatermarkDelay}}
	switch name {
	case "win":
		spec.Ops = []OpSpec{&WindowAggSpec{
			Window: WindowSpec{Kind: Tumble, TimeCol: 2, Size: 10 * time.Second},
			Keys:   []Expr{Col(1, str)},
			Aggs:   []AggSpec{{Func: "count_star"}, {Func: "sum", Arg: Col(0, i64)}},
			Emit:   EmitChanges, // a view forces EMIT ON WINDOW CLOSE
		}}
	case "big":
		gt, err := Call("gt", arrow.FixedWidthTypes.Boolean, Col(0, i64), Lit(int64(40), i64))
		if err != nil {
			return nil, err
		}
		spec.Ops = []OpSpec{&FilterSpec{Pred: gt}}
	case "tot":
		spec.Ops = []OpSpec{&WindowAggSpec{Window: WindowSpec{Kind: NoWindow}, Keys: []Expr{Col(1, str)},
			Aggs: []AggSpec{{Func: "count_star"}, {Func: "max", Arg: Col(0, i64)}}, Emit: EmitChanges}}
	case "copy":
		spec.Ops = []OpSpec{&ProjectSpec{Exprs: []Expr{Col(0, i64), Col(1, str), Col(2, tsType)}, Names: []string{"id", "name", "ts"}}}
		spec.Output = def.Schema
	default:
		return nil, fmt.Errorf("no plan for %s %q", kind, name)
	}
	return spec, nil
}

// createPersistQueries creates the queries of persistQueries.
func (pe *persistEnv) createPersistQueries(t *testing.T) {
	t.Helper()
	ctx := testCtx(t)
	for _, pq := range persistQueries {
		spec, err := persistPlan(pq.kind, pq.name, pq.name)
		if err != nil {
			t.Fatal(err)
		}
		if pq.kind == kindView {
			err = pe.eng.CreateView(ctx, ViewDef{Name: pq.name}, spec, false)
		} else {
			err = pe.eng.CreateSink(ctx, StreamDef{Name: pq.name, Partitions: 2}, spec, false)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// produceRound writes n events with ids from first, over 3 partitions,
// event times roughly increasing (a few seconds out of order) from
// second start.
func (pe *persistEnv) produceRound(t *testing.T, r *rand.Rand, first, n, start int) {
	t.Helper()
	for i := range n {
		id := first + i
		sec := start + i/2 + r.IntN(5) - 2
		recs := []*ingest.Record{{Partition: int32(r.IntN(3)), Value: []byte(event(id, fmt.Sprintf("k%d", r.IntN(4)), sec))}}
		if err := pe.kafka.Produce(testCtx(t), "events", recs); err != nil {
			t.Fatal(err)
		}
	}
}

// contents returns every view's ScanView rows and the sink topic's
// committed records, each sorted, keyed by query name.
func (pe *persistEnv) contents(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, pq := range persistQueries {
		if pq.kind == kindView {
			out[pq.name] = pe.scanView(t, pq.name)
		} else {
			out[pq.name] = readCommitted(t, pe.kafka, pq.name)
		}
	}
	return out
}

func (pe *persistEnv) scanView(t *testing.T, name string) []string {
	t.Helper()
	bs, err := pe.eng.ScanView(testCtx(t), name)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, b := range bs {
		rows = append(rows, rowStrings(b)...)
		b.Release()
	}
	slices.Sort(rows)
	return rows
}

// readCommitted returns the values of every committed record of topic,
// sorted (Fetch reads read_committed up to the last stable offset).
func readCommitted(t *testing.T, kafka *ingest.Client, topic string) []string {
	t.Helper()
	ctx := testCtx(t)
	ends, err := kafka.EndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var ranges []ingest.Range
	for p, end := range ends {
		if end > 0 {
			ranges = append(ranges, ingest.Range{Partition: int32(p), End: end})
		}
	}
	var vals []string
	if len(ranges) > 0 {
		err = kafka.Fetch(ctx, topic, ranges, func(r *ingest.Record) error {
			vals = append(vals, string(r.Value))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(vals)
	return vals
}

// persistScenario runs rounds of produced events through the persistent
// queries; crash, when set, decides the simulated crashes.
type persistScenario struct {
	seed   uint64
	rounds int
	// crashAt is installed as Options.private.crashAt; it returns true at
	// most once per armed crash.
	crashAt func(id string, point crashPoint, b uint64) bool
	// between, when it returns true after a round, crashes the engine
	// abruptly between two rounds.
	between func(round int) bool
	// setup, when set, runs once the queries exist; check, when set, runs
	// after the last round, before the contents are read.
	setup, check func(pe *persistEnv)
}

func runPersistScenario(t *testing.T, sc persistScenario) (map[string][]string, int) {
	opts := Options{MaxRecordsPerPartition: 4}
	opts.private.checkpointAfter = func(id string, b uint64) bool { return (b+uint64(len(id)))%3 == 0 }
	if sc.crashAt != nil {
		var mu sync.Mutex // replays run on several drivers at once
		opts.private.crashAt = func(id string, point crashPoint, b uint64) bool {
			mu.Lock()
			defer mu.Unlock()
			return sc.crashAt(id, point, b)
		}
	}
	pe := newPersistEnv(t, opts)
	def := eventsDef(3)
	def.WatermarkDelay = 2 * time.Second
	if err := pe.eng.CreateStream(testCtx(t), def, false); err != nil {
		t.Fatal(err)
	}
	pe.createPersistQueries(t)
	if sc.setup != nil {
		sc.setup(pe)
	}
	r := rand.New(rand.NewPCG(sc.seed, 7))
	crashes := 0
	for round := range sc.rounds {
		pe.produceRound(t, r, round*20, 20, round*10)
		for {
			err := pe.eng.ProcessAllAvailable(testCtx(t))
			if err == nil {
				break
			}
			if !errors.Is(err, errSimulatedCrash) {
				t.Fatalf("round %d: %v", round, err)
			}
			crashes++
			pe.restart(t, false, persistPlan)
		}
		if sc.between != nil && sc.between(round) {
			crashes++
			pe.restart(t, false, persistPlan)
		}
	}
	if sc.check != nil {
		sc.check(pe)
	}
	return pe.contents(t), crashes
}

// TestPersistCrashRecovery crashes the engine at random batches and
// points (after the offset-log write, after the batch, between a sink's
// Kafka commit and the Pebble commit, right after a checkpoint, and
// between rounds), restarts it on the same Pebble directory and broker,
// and requires every view's contents and the sink's committed records to
// equal those of a run without crashes, exactly.
func TestPersistCrashRecovery(t *testing.T) {
	const rounds = 5
	want, _ := runPersistScenario(t, persistScenario{seed: 1, rounds: rounds})
	for name, rows := range want {
		if len(rows) == 0 {
			t.Fatalf("reference run: %s is empty", name)
		}
		t.Logf("reference %s: %d rows", name, len(rows))
	}
	points := []crashPoint{crashLogged, crashEmitted, crashPrepared, crashCheckpointed}
	for trial := range 10 {
		t.Run(fmt.Sprintf("trial=%d", trial), func(t *testing.T) {
			r := rand.New(rand.NewPCG(uint64(trial), 99))
			type armed struct {
				id    string
				point crashPoint
				batch uint64
			}
			var plan []armed
			for range 3 {
				pq := persistQueries[r.IntN(len(persistQueries))]
				plan = append(plan, armed{pq.kind + ":" + pq.name, points[r.IntN(len(points))], uint64(1 + r.IntN(10))})
			}
			sc := persistScenario{seed: 1, rounds: rounds,
				crashAt: func(id string, point crashPoint, b uint64) bool {
					for i, a := range plan {
						if a.id == id && a.point == point && a.batch == b {
							t.Logf("crash: %s at %s of batch %d", id, point, b)
							plan = slices.Delete(plan, i, i+1)
							return true
						}
					}
					return false
				},
				between: func(round int) bool { return round == trial%rounds },
			}
			got, crashes := runPersistScenario(t, sc)
			if crashes < 1 {
				t.Fatal("no crash happened")
			}
			for name := range want {
				if !slices.Equal(got[name], want[name]) {
					t.Errorf("%s after %d crashes:\n%s\nwant:\n%s", name, crashes,
						strings.Join(got[name], "\n"), strings.Join(want[name], "\n"))
				}
			}
		})
	}
}

// newPersistQueriesEnv is a persistEnv with the events stream and the
// persistQueries created, checkpointing only when stopped.
func newPersistQueriesEnv(t *testing.T, opts Options) *persistEnv {
	t.Helper()
	opts.CheckpointInterval = time.Hour
	pe := newPersistEnv(t, opts)
	def := eventsDef(3)
	def.WatermarkDelay = 2 * time.Second
	if err := pe.eng.CreateStream(testCtx(t), def, false); err != nil {
		t.Fatal(err)
	}
	pe.createPersistQueries(t)
	return pe
}

func (pe *persistEnv) processAll(t *testing.T) {
	t.Helper()
	if err := pe.eng.ProcessAllAvailable(testCtx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestPersistGracefulRestart: Close checkpoints every query, so a restart
// replays nothing and reads no offset again: batch ids continue, the
// counters carry over, and the contents are unchanged.
func TestPersistGracefulRestart(t *testing.T) {
	pe := newPersistQueriesEnv(t, Options{})
	r := rand.New(rand.NewPCG(3, 3))
	pe.produceRound(t, r, 0, 30, 0)
	pe.processAll(t)
	before := pe.contents(t)
	infos := map[string]QueryInfo{}
	for _, in := range pe.eng.Queries() {
		infos[in.ID] = in
	}
	pe.restart(t, true, persistPlan)
	for _, pq := range persistQueries {
		id := pq.kind + ":" + pq.name
		raw, err := pe.store.Checkpoint(id)
		if err != nil {
			t.Fatal(err)
		}
		rec, err := decodeCheckpointRecord(raw)
		if err != nil {
			t.Fatal(err)
		}
		if want := uint64(infos[id].Batches); rec.Batch != want || want == 0 {
			t.Errorf("%s: checkpoint of batch %d, want the last batch %d", id, rec.Batch, want)
		}
		err = pe.store.ScanOffsetLog(id, 0, func(b uint64, _ []byte) error {
			return fmt.Errorf("offset log entry %d left after a graceful stop", b)
		})
		if err != nil {
			t.Error(err)
		}
	}
	pe.processAll(t) // nothing new: no batch runs
	for _, in := range pe.eng.Queries() {
		old := infos[in.ID]
		if in.State != StateRunning || in.Batches != old.Batches || in.InputRows != old.InputRows || in.OutputRows != old.OutputRows {
			t.Errorf("%s after restart: %+v\nbefore: %+v", in.ID, in, old)
		}
	}
	if h := pe.eng.Batches(); len(h) != 0 {
		t.Errorf("batches ran after a graceful restart: %+v", h)
	}
	after := pe.contents(t)
	// The sink's rows become visible with the checkpoint of the stop.
	if n := len(before["copy"]); n != 0 {
		t.Errorf("sink rows visible before any checkpoint: %d", n)
	}
	if n := len(after["copy"]); n != 30 {
		t.Errorf("sink holds %d committed rows after the graceful stop, want 30", n)
	}
	delete(before, "copy")
	for name := range before {
		if !slices.Equal(after[name], before[name]) {
			t.Errorf("%s changed across a graceful restart:\n%v\nwant\n%v", name, after[name], before[name])
		}
	}
	// New input continues with the next batch id.
	pe.produceRound(t, r, 30, 5, 15)
	pe.processAll(t)
	h := pe.eng.Batches()
	if len(h) == 0 || h[0].BatchID != infos[h[0].QueryID].Batches+1 {
		t.Fatalf("first batch after restart %+v, want id %d", h, infos[h[0].QueryID].Batches+1)
	}
}

// TestPersistObserving: persistent queries show up in Queries, Batches
// and Partitions with their kind, batch ids, ranges and checkpoints.
func TestPersistObserving(t *testing.T) {
	opts := Options{}
	opts.private.checkpointAfter = func(_ string, b uint64) bool { return b == 1 }
	pe := newPersistQueriesEnv(t, opts)
	pe.produceRound(t, rand.New(rand.NewPCG(5, 5)), 0, 12, 0)
	pe.processAll(t)
	var kinds []string
	for _, in := range pe.eng.Queries() {
		kinds = append(kinds, in.ID+"/"+in.Kind)
		if in.Batches != 1 || in.InputRows != 12 || in.Checkpoints != 1 {
			t.Errorf("%s: %+v", in.ID, in)
		}
	}
	if want := []string{"sink:copy/sink", "view:big/view", "view:tot/view", "view:win/view"}; !slices.Equal(kinds, want) {
		t.Fatalf("queries %v, want %v", kinds, want)
	}
	h := pe.eng.Batches()
	if len(h) != 4 || h[0].QueryID != "sink:copy" || h[0].BatchID != 1 || !h[0].Checkpointed || len(h[0].Ranges) == 0 {
		t.Fatalf("batches %+v", h)
	}
	parts, err := pe.eng.Partitions(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 12 {
		t.Fatalf("partitions %+v, want 3 per query", parts)
	}
	for _, p := range parts {
		if p.Stream != "events" || p.NextOffset != p.EndOffset || p.Lag != 0 {
			t.Errorf("partition %+v", p)
		}
	}
}

// TestPersistDropView: DropView stops the query and deletes its state and
// catalog entry; a view created again under the name starts afresh.
// Dropping a sink's output stream drops the sink.
func TestPersistDropView(t *testing.T) {
	opts := Options{}
	opts.private.checkpointAfter = func(string, uint64) bool { return true }
	pe := newPersistQueriesEnv(t, opts)
	ctx := testCtx(t)
	pe.produceRound(t, rand.New(rand.NewPCG(9, 9)), 0, 30, 0)
	pe.processAll(t)
	want := pe.scanView(t, "win")
	if err := pe.eng.DropView(ctx, "win", false); err != nil {
		t.Fatal(err)
	}
	pe.requireNoState(t, "view:win")
	if _, ok := pe.eng.View("win"); ok {
		t.Fatal("view still defined")
	}
	if _, err := pe.store.GetCatalog(catalogKindView, "win"); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("catalog entry after drop: %v", err)
	}
	if _, err := pe.eng.ScanView(ctx, "win"); !errors.Is(err, ErrUnknownView) {
		t.Fatalf("ScanView after drop: %v", err)
	}
	if err := pe.eng.DropView(ctx, "win", false); !errors.Is(err, ErrUnknownView) {
		t.Fatalf("second drop: %v", err)
	}
	if err := pe.eng.DropView(ctx, "win", true); err != nil {
		t.Fatalf("drop if exists: %v", err)
	}
	for _, in := range pe.eng.Queries() {
		if in.ID == "view:win" {
			t.Fatalf("dropped view still listed: %+v", in)
		}
	}
	spec, _ := persistPlan(kindView, "win", "win")
	if err := pe.eng.CreateView(ctx, ViewDef{Name: "win"}, spec, false); err != nil {
		t.Fatal(err)
	}
	pe.processAll(t)
	if got := pe.scanView(t, "win"); !slices.Equal(got, want) {
		t.Fatalf("recreated view\n%v\nwant\n%v", got, want)
	}
	if err := pe.eng.DropStream(ctx, "copy", false); err != nil {
		t.Fatal(err)
	}
	if _, ok := pe.eng.Stream("copy"); ok || len(pe.eng.Sinks()) != 0 {
		t.Fatalf("sink survives DROP STREAM of its output: %v", pe.eng.Sinks())
	}
	pe.requireNoState(t, "sink:copy")
}

// requireNoState fails unless nothing is stored for query id.
func (pe *persistEnv) requireNoState(t *testing.T, id string) {
	t.Helper()
	if _, err := pe.store.Checkpoint(id); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("%s: checkpoint record after drop: %v", id, err)
	}
	if chunks, err := pe.store.Snapshot(id); err != nil || chunks != nil {
		t.Errorf("%s: snapshot after drop: %d chunks, %v", id, len(chunks), err)
	}
	found := func(what string) func(uint64, []byte) error {
		return func(seq uint64, _ []byte) error { return fmt.Errorf("%s: %s %d left", id, what, seq) }
	}
	if err := pe.store.ScanViewRows(id, found("view rows")); err != nil {
		t.Error(err)
	}
	if err := pe.store.ScanOffsetLog(id, 0, found("offset log entry")); err != nil {
		t.Error(err)
	}
}

// TestPersistDropViewDuringCheckpoint drops a view while its driver is in
// the middle of a checkpoint: the drop waits for the checkpoint, then
// deletes everything, so nothing of the view survives.
func TestPersistDropViewDuringCheckpoint(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	opts := Options{}
	opts.private.checkpointAfter = func(string, uint64) bool { return true }
	opts.private.crashAt = func(id string, point crashPoint, b uint64) bool {
		if id == "view:big" && point == crashPrepared && b == 1 {
			close(entered)
			<-release
		}
		return false
	}
	pe := newPersistQueriesEnv(t, opts)
	ctx := testCtx(t)
	pe.produceRound(t, rand.New(rand.NewPCG(4, 4)), 0, 60, 0)
	processed := make(chan error, 1)
	go func() { processed <- pe.eng.ProcessAllAvailable(ctx) }()
	<-entered
	dropped := make(chan error, 1)
	go func() { dropped <- pe.eng.DropView(ctx, "big", false) }()
	time.Sleep(20 * time.Millisecond) // let the drop reach the wait
	select {
	case err := <-dropped:
		t.Fatalf("drop returned during the checkpoint: %v", err)
	default:
	}
	close(release)
	if err := <-dropped; err != nil {
		t.Fatal(err)
	}
	if err := <-processed; err != nil && !errors.Is(err, ErrClosed) {
		t.Fatal(err)
	}
	pe.requireNoState(t, "view:big")
	pe.processAll(t)
	if rows := pe.scanView(t, "win"); len(rows) == 0 {
		t.Fatal("the other views stopped")
	}
}

// TestPersistDamagedState: a query whose checkpoint is damaged or missing,
// or whose plan changed, fails at Resume with an error naming it (and
// never panics or misreads state); it stays listed as failed and the
// other queries run normally.
func TestPersistDamagedState(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		damage   func(t *testing.T, s *state.Store, id string)
		plan     func(kind, name, sql string) (*QuerySpec, error)
		want     error
		text     string
	}{
		{name: "garbage record", id: "view:win", want: ErrCorruptState, text: "checkpoint record",
			damage: func(t *testing.T, s *state.Store, id string) { setCheckpoint(t, s, id, []byte("{garbage")) }},
		{name: "record of another version", id: "sink:copy", want: ErrStateFormat, text: "version 99",
			damage: func(t *testing.T, s *state.Store, id string) { setCheckpoint(t, s, id, []byte(`{"version":99}`)) }},
		{name: "missing record", id: "view:big", want: ErrCorruptState, text: "checkpoint record missing",
			damage: func(t *testing.T, s *state.Store, id string) {
				pb := s.NewBatch()
				defer pb.Close()
				pb.Delete(append([]byte{0x03}, id+"\x00\x01"...))
				if err := pb.Commit(true); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "corrupt snapshot", id: "view:tot", want: ErrCorruptState, text: "checksum",
			damage: func(t *testing.T, s *state.Store, id string) {
				chunks, err := s.Snapshot(id)
				if err != nil || len(chunks) == 0 {
					t.Fatalf("snapshot: %d chunks, %v", len(chunks), err)
				}
				chunks[0][len(chunks[0])-1] ^= 0xff
				pb := s.NewBatch()
				defer pb.Close()
				pb.SetSnapshotChunk(id, 0, chunks[0])
				if err := pb.Commit(true); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "plan changed", id: "view:win", want: ErrStateFormat, text: "another plan",
			plan: func(kind, name, sqlText string) (*QuerySpec, error) {
				spec, err := persistPlan(kind, name, sqlText)
				if name == "win" {
					spec.Ops[0].(*WindowAggSpec).Window.Size = 20 * time.Second
				}
				return spec, err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pe := newPersistQueriesEnv(t, Options{})
			pe.produceRound(t, rand.New(rand.NewPCG(2, 2)), 0, 30, 0)
			pe.processAll(t)
			pe.shutdown(t, true)
			pe.open(t)
			if tc.damage != nil {
				tc.damage(t, pe.store, tc.id)
			}
			plan := tc.plan
			if plan == nil {
				plan = persistPlan
			}
			if err := pe.eng.Resume(testCtx(t), plan); err != nil {
				t.Fatal(err)
			}
			err := pe.eng.ProcessAllAvailable(testCtx(t))
			if !errors.Is(err, ErrQueryFailed) || !errors.Is(err, tc.want) ||
				!strings.Contains(err.Error(), tc.id) || !strings.Contains(err.Error(), tc.text) {
				t.Fatalf("ProcessAllAvailable: %v\nwant an error wrapping %v naming %s and saying %q", err, tc.want, tc.id, tc.text)
			}
			for _, in := range pe.eng.Queries() {
				failed := in.ID == tc.id
				if failed != (in.State == StateFailed) || failed != strings.Contains(in.LastError, tc.text) ||
					failed != strings.Contains(in.LastError, pe.store.Dir()) {
					t.Errorf("query %+v", in)
				}
			}
			if kind, name, _ := strings.Cut(tc.id, ":"); kind == kindView {
				if _, err := pe.eng.ScanView(testCtx(t), name); !errors.Is(err, tc.want) {
					t.Errorf("ScanView of the failed view: %v", err)
				}
			}
		})
	}
}

func setCheckpoint(t *testing.T, s *state.Store, id string, rec []byte) {
	t.Helper()
	pb := s.NewBatch()
	defer pb.Close()
	pb.SetCheckpoint(id, rec)
	if err := pb.Commit(true); err != nil {
		t.Fatal(err)
	}
}

// TestPersistCreateErrors covers the catalog rules of CreateView and
// CreateSink.
func TestPersistCreateErrors(t *testing.T) {
	pe := newPersistQueriesEnv(t, Options{})
	ctx := testCtx(t)
	spec, _ := persistPlan(kindView, "big", "big")
	if err := pe.eng.CreateView(ctx, ViewDef{Name: "big"}, spec, false); !errors.Is(err, ErrViewExists) {
		t.Errorf("second CreateView: %v", err)
	}
	if err := pe.eng.CreateView(ctx, ViewDef{Name: "big"}, spec, true); err != nil {
		t.Errorf("CreateView IF NOT EXISTS: %v", err)
	}
	if err := pe.eng.CreateView(ctx, ViewDef{Name: "events"}, spec, false); !errors.Is(err, ErrViewExists) {
		t.Errorf("CreateView named like a stream: %v", err)
	}
	if err := pe.eng.CreateStream(ctx, StreamDef{Name: "big", Schema: eventsDef(1).Schema}, false); !errors.Is(err, ErrStreamExists) {
		t.Errorf("CreateStream named like a view: %v", err)
	}
	limited := *spec
	limited.Limit = 3
	if err := pe.eng.CreateView(ctx, ViewDef{Name: "lim"}, &limited, false); err == nil || !strings.Contains(err.Error(), "LIMIT") {
		t.Errorf("CreateView with LIMIT: %v", err)
	}
	copySpec, _ := persistPlan(kindSink, "copy", "copy")
	if err := pe.eng.CreateSink(ctx, StreamDef{Name: "copy"}, copySpec, false); !errors.Is(err, ErrStreamExists) {
		t.Errorf("second CreateSink: %v", err)
	}
	if _, err := pe.eng.ScanView(ctx, "nope"); !errors.Is(err, ErrUnknownView) {
		t.Errorf("ScanView of a missing view: %v", err)
	}
	if err := pe.eng.DropSink(ctx, "nope", false); !errors.Is(err, ErrUnknownStream) {
		t.Errorf("DropSink of a missing sink: %v", err)
	}
	// The definitions survive a restart.
	pe.restart(t, true, persistPlan)
	var names []string
	for _, v := range pe.eng.Views() {
		names = append(names, v.Name+"="+v.QueryID)
		if v.Schema == nil || v.SQL != v.Name || v.Created.IsZero() {
			t.Errorf("view %+v", v)
		}
	}
	for _, s := range pe.eng.Sinks() {
		names = append(names, s.Name+"="+s.QueryID+"@"+s.Topic)
	}
	if want := []string{"big=view:big", "tot=view:tot", "win=view:win", "copy=sink:copy@copy"}; !slices.Equal(names, want) {
		t.Errorf("catalog after restart %v, want %v", names, want)
	}
	if def, ok := pe.eng.Stream("copy"); !ok || def.Partitions != 2 || def.Schema.NumFields() != 3 {
		t.Errorf("sink output stream %+v", def)
	}
}

// TestPersistTicker runs the persistent queries on the ticker, with the
// rate controller and interval checkpoints, then restarts gracefully.
func TestPersistTicker(t *testing.T) {
	pe := newPersistEnv(t, Options{BatchInterval: 5 * time.Millisecond, CheckpointInterval: 20 * time.Millisecond})
	def := eventsDef(3)
	def.WatermarkDelay = 2 * time.Second
	if err := pe.eng.CreateStream(testCtx(t), def, false); err != nil {
		t.Fatal(err)
	}
	pe.createPersistQueries(t)
	pe.produceRound(t, rand.New(rand.NewPCG(8, 8)), 0, 40, 0)
	pe.processAll(t) // with the ticker: waits for the ticker's batches
	deadline := time.Now().Add(5 * time.Second)
	checkpointed := func() bool {
		for _, in := range pe.eng.Queries() {
			if in.InputRows != 40 || in.Checkpoints == 0 || in.State != StateRunning {
				return false
			}
		}
		return true
	}
	for !checkpointed() || len(readCommitted(t, pe.kafka, "copy")) < 40 {
		if time.Now().After(deadline) {
			t.Fatalf("no interval checkpoint after the last batch: %+v", pe.eng.Queries())
		}
		time.Sleep(10 * time.Millisecond)
	}
	before := pe.contents(t)
	pe.restart(t, true, persistPlan)
	pe.processAll(t)
	after := pe.contents(t)
	for name := range before {
		if !slices.Equal(after[name], before[name]) {
			t.Errorf("%s changed across a restart:\n%v\nwant\n%v", name, after[name], before[name])
		}
	}
}
