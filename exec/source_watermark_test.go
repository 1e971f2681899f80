package exec

import (
	"math"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recordOf builds a batch of int64 columns (math.MinInt64 is NULL) with
// schema s, whose columns must be Int64 or Timestamp.
func recordOf(mem memory.Allocator, s *arrow.Schema, cols ...[]int64) arrow.RecordBatch {
	bld := array.NewRecordBuilder(mem, s)
	defer bld.Release()
	for i, col := range cols {
		for _, v := range col {
			switch b := bld.Field(i).(type) {
			case *array.Int64Builder:
				if v == math.MinInt64 {
					b.AppendNull()
				} else {
					b.Append(v)
				}
			case *array.TimestampBuilder:
				if v == math.MinInt64 {
					b.AppendNull()
				} else {
					b.Append(arrow.Timestamp(v))
				}
			}
		}
	}
	return bld.NewRecordBatch()
}

// fakeClock is a Clock moved by hand; its tickers never fire.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func (c *fakeClock) NewTicker(time.Duration) Ticker { return stoppedTicker{} }

type stoppedTicker struct{}

func (stoppedTicker) C() <-chan time.Time { return nil }
func (stoppedTicker) Stop()               {}

func TestWatermarker(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "ts", Type: tsType, Nullable: true}}, nil)
	spec := SourceSpec{Columns: schema.Fields(), EventTimeCol: 0, WatermarkDelay: 2 * time.Second}
	start := time.Unix(1000, 0)
	w, err := newWatermarker(spec, 10*time.Second, start)
	if err != nil {
		t.Fatal(err)
	}
	const s = int64(time.Second / time.Microsecond)
	null := int64(math.MinInt64)
	steps := []struct {
		name    string
		ts      []int64
		records int64
		punct   int64
		now     time.Time
		want    int64
	}{
		{"empty start", nil, 0, noWatermark, start, noWatermark},
		{"only NULLs", []int64{null}, 1, noWatermark, start.Add(time.Second), noWatermark},
		{"max minus delay", []int64{5 * s, null, 9 * s, 7 * s}, 4, noWatermark, start.Add(2 * time.Second), 7 * s},
		{"never backwards", []int64{1 * s}, 1, noWatermark, start.Add(3 * time.Second), 7 * s},
		{"punctuation", nil, 0, 20 * s, start.Add(4 * time.Second), 20 * s},
		{"not idle yet", nil, 0, noWatermark, start.Add(12 * time.Second), 20 * s},
		{"idle: clock minus delay", nil, 0, noWatermark, start.Add(13 * time.Second), 1011 * s},
		{"undecodable records count as data", nil, 2, noWatermark, start.Add(30 * time.Second), 1011 * s},
		{"idle again after data", nil, 0, noWatermark, start.Add(40 * time.Second), 1038 * s},
	}
	for _, st := range steps {
		b := recordOf(mem, schema, st.ts)
		got := w.advance([]arrow.RecordBatch{b}, st.records, st.punct, st.now)
		b.Release()
		if got != st.want {
			t.Fatalf("%s: watermark %d, want %d", st.name, got, st.want)
		}
	}
}

func TestWatermarkerValidation(t *testing.T) {
	cols := []arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}
	if _, err := newWatermarker(SourceSpec{Columns: cols, EventTimeCol: 0}, 0, time.Time{}); err == nil {
		t.Fatal("int64 event-time column accepted")
	}
	if _, err := newWatermarker(SourceSpec{Columns: cols, EventTimeCol: 3}, 0, time.Time{}); err == nil {
		t.Fatal("out-of-range event-time column accepted")
	}
	w, err := newWatermarker(SourceSpec{Columns: cols, EventTimeCol: -1}, time.Second, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if got := w.advance(nil, 0, noWatermark, time.Unix(100, 0)); got != noWatermark {
		t.Fatalf("no event time: watermark %d, want none", got)
	}
}

func TestMaxEventTimeUnits(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range []struct {
		unit arrow.TimeUnit
		v    int64
		want int64
	}{
		{arrow.Second, -3, -3_000_000},
		{arrow.Millisecond, 5, 5_000},
		{arrow.Nanosecond, -1_500, -2}, // floor, before 1970 too
	} {
		s := arrow.NewSchema([]arrow.Field{{Name: "t", Type: &arrow.TimestampType{Unit: tc.unit}}}, nil)
		b := recordOf(mem, s, []int64{tc.v})
		got, ok := maxEventTime(b.Column(0))
		b.Release()
		if !ok || got != tc.want {
			t.Fatalf("%s: %d, %v; want %d", tc.unit, got, ok, tc.want)
		}
	}
}

func TestIdleTimeoutAndPunctuation(t *testing.T) {
	ctx := testCtx(t)
	clock := &fakeClock{now: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}
	env := newTestEnv(t, Options{ManualTrigger: true, Clock: clock})
	def := env.createEvents(t, 1, func(d *StreamDef) { d.IdleTimeout = 30 * time.Second })
	spec := passSpec(def)
	spec.Source.WatermarkDelay = 5 * time.Second
	q := env.start(t, ctx, spec)
	step := func(want time.Time) {
		t.Helper()
		if err := q.ProcessAllAvailable(ctx); err != nil {
			t.Fatal(err)
		}
		if got := q.Info().Watermark; !got.Equal(want) {
			t.Fatalf("watermark %v, want %v", got, want)
		}
	}
	step(time.Time{})
	env.produce(t, "events", 0, event(1, "a", 10))
	step(time.Date(2024, 1, 1, 0, 0, 5, 0, time.UTC))
	q.AdvanceWatermark(time.Date(2024, 1, 1, 0, 1, 0, 0, time.UTC))
	q.AdvanceWatermark(time.Date(2024, 1, 1, 0, 0, 30, 0, time.UTC)) // lower: ignored
	step(time.Date(2024, 1, 1, 0, 1, 0, 0, time.UTC))
	clock.Advance(29 * time.Second)
	step(time.Date(2024, 1, 1, 0, 1, 0, 0, time.UTC))
	clock.Advance(time.Second)
	step(clock.Now().Add(-5 * time.Second))
}
