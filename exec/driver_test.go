package exec

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestFilterProjectQuery runs SELECT upper(name) AS up, id * 10 AS x FROM
// events WHERE id > 2 through the real operators, with batch sizes that
// must not change the result.
func TestFilterProjectQuery(t *testing.T) {
	for _, maxRecords := range []int64{0, 1, 7} {
		t.Run(fmt.Sprintf("max=%d", maxRecords), func(t *testing.T) {
			ctx := testCtx(t)
			env := newTestEnv(t, Options{ManualTrigger: true, MaxRecordsPerPartition: maxRecords})
			def := env.createEvents(t, 2, nil)
			produceEvents(t, env, 2, 10)
			i64 := arrow.PrimitiveTypes.Int64
			gt, err := Call("gt", arrow.FixedWidthTypes.Boolean, Col(0, i64), Lit(int64(2), i64))
			if err != nil {
				t.Fatal(err)
			}
			up, err := Call("upper", arrow.BinaryTypes.String, Col(1, arrow.BinaryTypes.String))
			if err != nil {
				t.Fatal(err)
			}
			times10, err := Call("mul", i64, Col(0, i64), Lit(int64(10), i64))
			if err != nil {
				t.Fatal(err)
			}
			spec := passSpec(def)
			spec.Ops = []OpSpec{
				&FilterSpec{Pred: gt},
				&ProjectSpec{Exprs: []Expr{up, times10}, Names: []string{"up", "x"}},
			}
			spec.Output = arrow.NewSchema([]arrow.Field{
				{Name: "up", Type: arrow.BinaryTypes.String, Nullable: true},
				{Name: "x", Type: i64, Nullable: true},
			}, nil)
			q := env.start(t, ctx, spec)
			if !q.Schema().Equal(spec.Output) {
				t.Fatalf("schema %s, want %s", q.Schema(), spec.Output)
			}
			if err := q.ProcessAllAvailable(ctx); err != nil {
				t.Fatal(err)
			}
			got, _ := drain(t, q)
			slices.Sort(got)
			var want []string
			for i := 3; i < 10; i++ {
				want = append(want, fmt.Sprintf("N%d|%d", i, i*10))
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("rows %v, want %v", got, want)
			}
			if info := q.Info(); info.InputRows != 10 || info.OutputRows != 7 {
				t.Fatalf("info %+v", info)
			}
		})
	}
}

func TestOutputSchemaMismatch(t *testing.T) {
	env := newTestEnv(t, Options{ManualTrigger: true})
	def := env.createEvents(t, 1, nil)
	spec := passSpec(def)
	spec.Output = arrow.NewSchema([]arrow.Field{{Name: "only", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if _, err := env.eng.StartQuery(testCtx(t), spec); err == nil {
		t.Fatal("plan with 3 columns accepted for a 1-column Output")
	}
	if n := len(env.eng.Queries()); n != 0 {
		t.Fatalf("%d queries registered after a failed start", n)
	}
}

func TestBatchCap(t *testing.T) {
	for _, tc := range []struct {
		max, rate int64
		secs      float64
		want      int64
	}{
		{0, 0, 1, 0}, {5, 0, 1, 5}, {0, 100, 0.5, 50}, {7, 100, 1, 7}, {70, 10, 2, 20}, {0, 1, 0.001, 1},
	} {
		d := durationOf(tc.secs)
		if got := batchCap(tc.max, tc.rate, d); got != tc.want {
			t.Errorf("batchCap(%d, %d, %v) = %d, want %d", tc.max, tc.rate, d, got, tc.want)
		}
	}
}

// TestBacklogCatchesUpInBoundedBatches: a backlog larger than
// MaxBatchRecords is read as several bounded batches run back to back,
// not one per tick (the interval here is an hour) and not one batch
// holding the whole backlog.
func TestBacklogCatchesUpInBoundedBatches(t *testing.T) {
	ctx := testCtx(t)
	env := newTestEnv(t, Options{BatchInterval: time.Hour, MaxBatchRecords: 4})
	def := env.createEvents(t, 2, nil)
	want := produceEvents(t, env, 2, 20)
	q := env.start(t, ctx, passSpec(def))
	var got []string
	for len(got) < len(want) {
		b, err := q.Next(ctx) // ends by testCtx's deadline if batches wait for ticks
		if err != nil {
			t.Fatalf("after %d rows: %v", len(got), err)
		}
		if b.NumRows() > 4 {
			t.Errorf("a batch of %d rows, want at most MaxBatchRecords = 4", b.NumRows())
		}
		got = append(got, rowStrings(b)...)
		b.Release()
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("rows %v, want %v", got, want)
	}
	// A batch's figures are recorded just after its rows are queued for
	// Next, so the last batch's may not be in yet.
	deadline := time.Now().Add(10 * time.Second)
	for q.Info().Batches < 5 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if info := q.Info(); info.Batches < 5 {
		t.Fatalf("%d batches for 20 records at 4 per batch", info.Batches)
	}
}

func TestPartitionCap(t *testing.T) {
	for _, tc := range []struct {
		cap, batchMax int64
		n             int
		want          int64
	}{{0, 0, 3, 0}, {0, 10, 3, 4}, {2, 10, 3, 2}, {0, 10, 0, 0}, {0, 1, 4, 1}, {5, 100, 4, 5}} {
		s := &source{cap: tc.cap, batchMax: tc.batchMax}
		if got := s.partitionCap(tc.n); got != tc.want {
			t.Errorf("partitionCap(cap=%d, batchMax=%d, n=%d) = %d, want %d", tc.cap, tc.batchMax, tc.n, got, tc.want)
		}
	}
}
