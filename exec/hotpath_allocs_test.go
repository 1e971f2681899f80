package exec

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/ingest"
)

// TestHotPathAllocsPerEvent checks issue 6's "steady state allocates
// nothing per event" over the decode → aggregate loop of a micro-batch:
// JSON records decoded into one Arrow batch, pushed through a TUMBLE
// count/max by key, flushed. Allocations per batch must not grow with the
// batch's records: what a batch allocates (new builders, the batch and its
// buffers, per-batch scratch) is per batch, never per event.
func TestHotPathAllocsPerEvent(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ctx := context.Background()
	dec, err := ingest.NewDecoder(mem, benchSchema)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	op := tumbleCountMax(t, mem)
	defer op.Close()
	noop := func(context.Context, arrow.RecordBatch) error { return nil }
	perBatch := func(recs []*ingest.Record) float64 {
		run := func() {
			for _, r := range recs {
				if err := dec.Append(r); err != nil {
					t.Fatal(err)
				}
			}
			b := dec.NewRecordBatch()
			defer b.Release()
			if err := op.Push(ctx, b, noop); err != nil {
				t.Fatal(err)
			}
			if err := op.Flush(ctx, math.MinInt64, noop); err != nil {
				t.Fatal(err)
			}
		}
		run() // sizes the decoder's scratch and the state
		return testing.AllocsPerRun(5, run)
	}
	small, large := hotPathRecords(4<<10), hotPathRecords(64<<10)
	a, b := perBatch(small), perBatch(large)
	perEvent := (b - a) / float64(len(large)-len(small))
	t.Logf("allocations per batch: %.0f at %d records, %.0f at %d; %.4f per event", a, len(small), b, len(large), perEvent)
	if perEvent > 0.001 {
		t.Fatalf("the decode → aggregate loop allocates %.4f times per event, want 0", perEvent)
	}
}

// hotPathRecords are n JSON bids over one open 10 s window and 1k keys.
func hotPathRecords(n int) []*ingest.Record {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	recs := make([]*ingest.Record, n)
	for i := range recs {
		at := base.Add(time.Duration(i) * 5 * time.Second / time.Duration(n)).Format("2006-01-02 15:04:05.000000")
		recs[i] = &ingest.Record{Offset: int64(i), Value: fmt.Appendf(nil, `{"ts":"%s","k":%d,"v":%d}`, at, (i*7919)%1000, i)}
	}
	return recs
}
