package exec

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var benchSchema = arrow.NewSchema([]arrow.Field{
	{Name: "ts", Type: windowTimeType},
	{Name: "k", Type: arrow.PrimitiveTypes.Int64},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// benchBatch has rows over one minute of event time and 1k keys.
func benchBatch(mem memory.Allocator, rows int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, benchSchema)
	defer b.Release()
	r := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	for i := range rows {
		b.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(base + int64(i)*60_000_000/int64(rows)))
		b.Field(1).(*array.Int64Builder).Append(int64(r.IntN(1000)))
		b.Field(2).(*array.Int64Builder).Append(r.Int64N(1_000_000))
	}
	return b.NewRecordBatch()
}

func BenchmarkWindowAgg(b *testing.B) {
	i64 := arrow.PrimitiveTypes.Int64
	kinds := map[string]WindowSpec{
		"tumble":  {Kind: Tumble, Size: 10 * time.Second},
		"hop":     {Kind: Hop, Size: 10 * time.Second, Slide: 2 * time.Second},
		"session": {Kind: Session, Gap: 5 * time.Second},
	}
	for _, kind := range []string{"tumble", "hop", "session"} {
		for _, rows := range []int{1024, 65536} {
			b.Run(fmt.Sprintf("kind=%s/rows=%d", kind, rows), func(b *testing.B) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(b, 0)
				spec := &WindowAggSpec{Window: kinds[kind], Keys: []Expr{Col(1, i64)},
					Aggs: []AggSpec{{Func: "count_star"}, {Func: "max", Arg: Col(2, i64)}}}
				op, _, err := buildOperator(mem, spec, benchSchema)
				if err != nil {
					b.Fatal(err)
				}
				defer op.Close()
				benchPushFlush(b, mem, op, rows)
			})
		}
	}
}

func benchOperator(b *testing.B, spec OpSpec) {
	for _, rows := range []int{1024, 65536} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(b, 0)
			op, _, err := buildOperator(mem, spec, benchSchema)
			if err != nil {
				b.Fatal(err)
			}
			defer op.Close()
			in := benchBatch(mem, rows)
			defer in.Release()
			ctx := context.Background()
			noop := func(context.Context, arrow.RecordBatch) error { return nil }
			b.ReportAllocs()
			b.SetBytes(int64(rows) * 24)
			for b.Loop() {
				if err := op.Push(ctx, in, noop); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
		})
	}
}

func BenchmarkFilter(b *testing.B) {
	i64 := arrow.PrimitiveTypes.Int64
	pred, err := Call("gt", nil, Col(2, i64), Lit(int64(500_000), i64))
	if err != nil {
		b.Fatal(err)
	}
	benchOperator(b, &FilterSpec{Pred: pred})
}

func BenchmarkProject(b *testing.B) {
	i64 := arrow.PrimitiveTypes.Int64
	mul, err := Call("mul", nil, Col(2, i64), Lit(int64(2), i64))
	if err != nil {
		b.Fatal(err)
	}
	add, err := Call("add", nil, mul, Col(1, i64))
	if err != nil {
		b.Fatal(err)
	}
	benchOperator(b, &ProjectSpec{Exprs: []Expr{Col(0, windowTimeType), add}, Names: []string{"ts", "x"}})
}

// benchPushFlush pushes one batch of rows and flushes, b.N times.
func benchPushFlush(b *testing.B, mem memory.Allocator, op Operator, rows int) {
	in := benchBatch(mem, rows)
	defer in.Release()
	ctx := context.Background()
	noop := func(context.Context, arrow.RecordBatch) error { return nil }
	b.ReportAllocs()
	b.SetBytes(int64(rows) * 24)
	b.ResetTimer()
	for b.Loop() {
		if err := op.Push(ctx, in, noop); err != nil {
			b.Fatal(err)
		}
		if err := op.Flush(ctx, math.MinInt64, noop); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(rows), "ns/row")
}
