package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// produceEvents writes n events, ids 0…n-1, round-robin over partitions,
// and returns their rows as the pass-through query renders them.
func produceEvents(t *testing.T, env *testEnv, partitions int32, n int) []string {
	t.Helper()
	var want []string
	for i := range n {
		env.produce(t, "events", int32(i)%partitions, event(i, fmt.Sprintf("n%d", i), i))
		want = append(want, fmt.Sprintf("%d|n%d|2024-01-01T00:00:%02d", i, i, i))
	}
	slices.Sort(want)
	return want
}

func TestPassThroughBatchSizes(t *testing.T) {
	for _, maxRecords := range []int64{0, 1, 7} {
		t.Run(fmt.Sprintf("max=%d", maxRecords), func(t *testing.T) {
			ctx := testCtx(t)
			env := newTestEnv(t, Options{ManualTrigger: true, MaxRecordsPerPartition: maxRecords})
			def := env.createEvents(t, 3, nil)
			want := produceEvents(t, env, 3, 20)
			q := env.start(t, ctx, passSpec(def))
			if err := q.ProcessAllAvailable(ctx); err != nil {
				t.Fatal(err)
			}
			got, batches := drain(t, q)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("rows\n%v\nwant\n%v", got, want)
			}
			// 20 records over 3 partitions: 7, 7 and 6 per partition.
			wantBatches := map[int64]int{0: 1, 1: 7, 7: 1}[maxRecords]
			info := q.Info()
			if batches != wantBatches || info.Batches != int64(wantBatches) {
				t.Fatalf("%d result batches, %d batches run; want %d", batches, info.Batches, wantBatches)
			}
			if info.InputRows != 20 || info.OutputRows != 20 || info.LagRows != 0 || info.State != StateRunning {
				t.Fatalf("info %+v", info)
			}
			wantWM := time.Date(2024, 1, 1, 0, 0, 19, 0, time.UTC)
			if !info.Watermark.Equal(wantWM) {
				t.Fatalf("watermark %v, want %v", info.Watermark, wantWM)
			}
			// Nothing new: one more batch runs, and emits nothing.
			if err := q.ProcessAllAvailable(ctx); err != nil {
				t.Fatal(err)
			}
			if got, _ := drain(t, q); len(got) != 0 {
				t.Fatalf("rows without new input: %v", got)
			}
			if q.Info().Batches != info.Batches+1 {
				t.Fatalf("batches %d after an empty catch-up, want %d", q.Info().Batches, info.Batches+1)
			}
		})
	}
}

func TestStartLatest(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{ManualTrigger: true})
	def := env.createEvents(t, 2, func(d *StreamDef) { d.Start = "latest" })
	produceEvents(t, env, 2, 4)
	q := env.start(t, ctx, passSpec(def))
	env.produce(t, "events", 1, event(9, "late", 9))
	if err := q.ProcessAllAvailable(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := drain(t, q)
	if want := []string{"9|late|2024-01-01T00:00:09"}; !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}

func TestLimitEndsWithEOF(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{ManualTrigger: true, MaxRecordsPerPartition: 2})
	def := env.createEvents(t, 1, nil)
	produceEvents(t, env, 1, 10)
	spec := passSpec(def)
	spec.Limit = 5
	q := env.start(t, ctx, spec)
	if err := q.ProcessAllAvailable(ctx); err != nil {
		t.Fatalf("ProcessAllAvailable after LIMIT: %v", err)
	}
	var rows []string
	for {
		b, err := q.Next(ctx)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, rowStrings(b)...)
		b.Release()
	}
	if len(rows) != 5 || !strings.HasPrefix(rows[4], "4|") {
		t.Fatalf("rows %v, want ids 0…4", rows)
	}
	if info := q.Info(); info.State != StateFinished || info.OutputRows != 5 {
		t.Fatalf("info %+v", info)
	}
	if _, err := q.Next(ctx); err != io.EOF {
		t.Fatalf("Next after EOF: %v", err)
	}
	if n := len(env.eng.Queries()); n != 0 {
		t.Fatalf("%d queries still registered after LIMIT", n)
	}
}

func TestDecodeErrors(t *testing.T) {
	bad := []string{`{"id": 1, "name": "a", "ts": "2024-01-01 00:00:01"}`, `not json`, `{"id": "x"}`,
		`{"id": 4, "name": "d", "ts": "2024-01-01 00:00:04"}`}
	t.Run("skip", func(t *testing.T) {
		ctx := testCtx(t)
		env := newTestEnv(t, Options{ManualTrigger: true})
		def := env.createEvents(t, 1, nil)
		env.produce(t, "events", 0, bad...)
		q := env.start(t, ctx, passSpec(def))
		if err := q.ProcessAllAvailable(ctx); err != nil {
			t.Fatal(err)
		}
		got, _ := drain(t, q)
		if want := []string{"1|a|2024-01-01T00:00:01", "4|d|2024-01-01T00:00:04"}; !slices.Equal(got, want) {
			t.Fatalf("rows %v, want %v", got, want)
		}
		info := q.Info()
		if info.DecodeErrors != 2 || info.InputRows != 2 || !strings.Contains(info.LastError, "offset 2") {
			t.Fatalf("info %+v: want 2 decode errors, last at offset 2", info)
		}
	})
	t.Run("fail", func(t *testing.T) {
		ctx := testCtx(t)
		env := newTestEnv(t, Options{ManualTrigger: true})
		def := env.createEvents(t, 1, func(d *StreamDef) { d.OnDecodeError = "fail" })
		env.produce(t, "events", 0, bad...)
		q := env.start(t, ctx, passSpec(def))
		err := q.ProcessAllAvailable(ctx)
		if !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), "partition 0 offset 1") {
			t.Fatalf("ProcessAllAvailable: %v, want ErrDecode at partition 0 offset 1", err)
		}
		if _, err := q.Next(ctx); !errors.Is(err, ErrDecode) {
			t.Fatalf("Next: %v, want ErrDecode", err)
		}
		if info := q.Info(); info.State != StateFailed || !strings.Contains(info.LastError, "offset 1") {
			t.Fatalf("info %+v", info)
		}
	})
}

func TestCloseUnblocksNext(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{BatchInterval: 10 * time.Millisecond})
	def := env.createEvents(t, 1, nil)
	q, err := env.eng.StartQuery(ctx, passSpec(def))
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		b, err := q.Next(ctx)
		if b != nil {
			b.Release()
		}
		errc <- err
	}()
	time.Sleep(50 * time.Millisecond) // let Next block
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after Close: %v, want ErrClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("Next still blocked after Close")
	}
	if st := q.Info().State; st != StateCancelled {
		t.Fatalf("state %q after Close", st)
	}
	if err := q.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestSlowConsumerIsBounded(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{BatchInterval: time.Millisecond, MaxRecordsPerPartition: 1})
	def := env.createEvents(t, 1, nil)
	want := produceEvents(t, env, 1, 30)
	q := env.start(t, ctx, passSpec(def))
	// Without a reader the driver runs at most bound+1 batches (one
	// queued, one waiting to be queued) and reads no further.
	time.Sleep(100 * time.Millisecond)
	if n, batches := q.out.len(), q.Info().Batches; n > tickerOutboxBound || batches > int64(tickerOutboxBound)+1 {
		t.Fatalf("slow consumer: %d batches queued, %d run; want ≤ %d queued", n, batches, tickerOutboxBound)
	}
	if lag := q.Info().LagRows; lag < 27 {
		t.Fatalf("lag %d: the source read ahead of the consumer", lag)
	}
	var got []string
	for len(got) < len(want) {
		if n := q.out.len(); n > tickerOutboxBound {
			t.Fatalf("%d batches queued", n)
		}
		b, err := q.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, rowStrings(b)...)
		b.Release()
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}

func TestTickerProcessAllAvailable(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{BatchInterval: 5 * time.Millisecond, MaxRecordsPerPartition: 3})
	def := env.createEvents(t, 2, nil)
	want := produceEvents(t, env, 2, 20)
	q := env.start(t, ctx, passSpec(def))
	rowsc := make(chan []string, 1)
	go func() { // the concurrent reader the ticker mode needs
		var rows []string
		for len(rows) < len(want) {
			b, err := q.Next(ctx)
			if err != nil {
				break
			}
			rows = append(rows, rowStrings(b)...)
			b.Release()
		}
		rowsc <- rows
	}()
	if err := q.ProcessAllAvailable(ctx); err != nil {
		t.Fatal(err)
	}
	if info := q.Info(); info.InputRows != 20 || info.LagRows != 0 {
		t.Fatalf("after ProcessAllAvailable: %+v", info)
	}
	got := <-rowsc
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
}

// driverGoroutines counts goroutines running a query driver (goleak
// style: the broker's and client's own goroutines come and go).
func driverGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "exec.(*driver).run(")
}

// waitDrivers waits up to a second for exactly n driver goroutines.
func waitDrivers(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Second)
	for driverGoroutines() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d driver goroutines, want %d", driverGoroutines(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestQueryCloseLeavesNoGoroutine(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{BatchInterval: time.Millisecond})
	def := env.createEvents(t, 1, nil)
	produceEvents(t, env, 1, 5)
	var qs []*Query
	for range 5 {
		q, err := env.eng.StartQuery(ctx, passSpec(def))
		if err != nil {
			t.Fatal(err)
		}
		qs = append(qs, q)
	}
	waitDrivers(t, 5) // the go statements may not have been scheduled yet
	for _, q := range qs {
		if err := q.Close(); err != nil {
			t.Fatal(err)
		}
	}
	// Close waits for done, which the driver closes as its last act; allow
	// it the instant it needs to return.
	waitDrivers(t, 0)
	if n := len(env.eng.Queries()); n != 0 {
		t.Fatalf("%d queries registered after Close", n)
	}
}

func TestEngineCloseStopsQueries(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{BatchInterval: time.Millisecond, MaxQueries: 2})
	def := env.createEvents(t, 1, nil)
	q1, err := env.eng.StartQuery(ctx, passSpec(def))
	if err != nil {
		t.Fatal(err)
	}
	q2, err := env.eng.StartQuery(ctx, passSpec(def))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.eng.StartQuery(ctx, passSpec(def)); !errors.Is(err, ErrTooManyQueries) {
		t.Fatalf("third query: %v, want ErrTooManyQueries", err)
	}
	if ids := []string{env.eng.Queries()[0].ID, env.eng.Queries()[1].ID}; ids[0] == ids[1] {
		t.Fatalf("duplicate ids %v", ids)
	}
	if err := env.eng.Close(); err != nil {
		t.Fatal(err)
	}
	for _, q := range []*Query{q1, q2} {
		if _, err := q.Next(ctx); !errors.Is(err, ErrClosed) {
			t.Fatalf("Next after engine Close: %v", err)
		}
	}
	if _, err := env.eng.StartQuery(ctx, passSpec(def)); !errors.Is(err, ErrClosed) {
		t.Fatalf("StartQuery after Close: %v", err)
	}
}

func TestStartQueryCtxScopesQuery(t *testing.T) {
	env := newTestEnv(t, Options{BatchInterval: time.Millisecond})
	def := env.createEvents(t, 1, nil)
	qctx, cancel := context.WithCancel(testCtx(t))
	q := env.start(t, qctx, passSpec(def))
	cancel()
	if _, err := q.Next(testCtx(t)); !errors.Is(err, context.Canceled) {
		t.Fatalf("Next after the query's ctx ended: %v", err)
	}
	if st := q.Info().State; st != StateCancelled {
		t.Fatalf("state %q", st)
	}
}

func TestDropStreamFailsRunningQuery(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{ManualTrigger: true})
	def := env.createEvents(t, 1, nil)
	q := env.start(t, ctx, passSpec(def))
	if err := env.eng.DropStream(ctx, "events", false); err != nil {
		t.Fatal(err)
	}
	if err := q.ProcessAllAvailable(ctx); !errors.Is(err, ErrUnknownStream) {
		t.Fatalf("query over a dropped stream: %v, want ErrUnknownStream", err)
	}
}

// probeOp is a test operator: it counts rows, emits on Flush one row with
// the watermark it was given, and panics on Push when told to.
type probeOp struct {
	mem   memory.Allocator
	panic bool
	rows  int64
}

type probeSpec struct{ panic bool }

func (*probeSpec) opSpec() {}

var probeSchema = arrow.NewSchema([]arrow.Field{{Name: "rows", Type: arrow.PrimitiveTypes.Int64}, {Name: "wm", Type: arrow.PrimitiveTypes.Int64}}, nil)

func (p *probeOp) Push(_ context.Context, in arrow.RecordBatch, _ EmitFunc) error {
	if p.panic {
		panic("probe: boom")
	}
	p.rows += in.NumRows()
	return nil
}

func (p *probeOp) Flush(ctx context.Context, wm int64, emit EmitFunc) error {
	if p.rows == 0 {
		return nil
	}
	b := recordOf(p.mem, probeSchema, []int64{p.rows}, []int64{wm})
	defer b.Release()
	p.rows = 0
	return emit(ctx, b)
}

func (p *probeOp) Stats() OpStats { return OpStats{LateRows: 3} }
func (p *probeOp) Close()         {}

func probeBuilder(mem memory.Allocator, spec OpSpec, in *arrow.Schema) (Operator, *arrow.Schema, error) {
	if s, ok := spec.(*probeSpec); ok {
		return &probeOp{mem: mem, panic: s.panic}, probeSchema, nil
	}
	return buildOperator(mem, spec, in)
}

func TestPanicFailsOnlyTheQuery(t *testing.T) {
	ctx := testCtx(t)
	opts := Options{ManualTrigger: true}
	opts.private.buildOperator = probeBuilder
	env := newTestEnv(t, opts)
	def := env.createEvents(t, 1, nil)
	produceEvents(t, env, 1, 3)
	spec := passSpec(def)
	spec.Ops = []OpSpec{&probeSpec{panic: true}}
	q := env.start(t, ctx, spec)
	if err := q.ProcessAllAvailable(ctx); err == nil || !strings.Contains(err.Error(), "probe: boom") {
		t.Fatalf("ProcessAllAvailable: %v, want the recovered panic", err)
	}
	if info := q.Info(); info.State != StateFailed {
		t.Fatalf("state %q", info.State)
	}
	// The engine still serves other queries.
	spec.Ops = []OpSpec{&probeSpec{}}
	q2, err := env.eng.StartQuery(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	if err := q2.ProcessAllAvailable(ctx); err != nil {
		t.Fatal(err)
	}
	got, _ := drain(t, q2)
	wm := time.Date(2024, 1, 1, 0, 0, 2, 0, time.UTC).UnixMicro()
	if want := []string{fmt.Sprintf("3|%d", wm)}; !slices.Equal(got, want) {
		t.Fatalf("probe rows %v, want %v", got, want)
	}
	if info := q2.Info(); info.LateRows != 3 {
		t.Fatalf("late rows %d, want the operators' 3", info.LateRows)
	}
}
