package exec

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// snap1MSpecs is a TUMBLE aggregate by an int64 key with count(*) and max.
func snap1MSpecs() []OpSpec {
	i64 := arrow.PrimitiveTypes.Int64
	return []OpSpec{&WindowAggSpec{Window: WindowSpec{Kind: Tumble, TimeCol: 0, Size: time.Hour},
		Keys: []Expr{Col(1, i64)}, Aggs: []AggSpec{{Func: "count_star"}, {Func: "max", Arg: Col(2, i64)}}}}
}

// snapPipelineN returns a pipeline holding groups open groups.
func snapPipelineN(b testing.TB, mem memory.Allocator, groups int) *pipeline {
	p, err := newPipeline(mem, buildOperator, snap1MSpecs(), benchSchema, nil)
	if err != nil {
		b.Fatal(err)
	}
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
	ctx := context.Background()
	const rows = 1 << 16
	for lo := 0; lo < groups; lo += rows {
		bld := array.NewRecordBuilder(mem, benchSchema)
		for k := lo; k < min(lo+rows, groups); k++ {
			bld.Field(0).(*array.TimestampBuilder).Append(arrow.Timestamp(base + int64(k)))
			bld.Field(1).(*array.Int64Builder).Append(int64(k))
			bld.Field(2).(*array.Int64Builder).Append(int64(k) * 7)
		}
		in := bld.NewRecordBatch()
		bld.Release()
		err := p.push(ctx, in)
		in.Release()
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := p.flush(ctx, math.MinInt64); err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkSnapshot1M(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	p := snapPipelineN(b, mem, 1_000_000)
	defer p.close()
	var total, chunks int
	b.ReportAllocs()
	for b.Loop() {
		total, chunks = 0, 0
		if err := p.snapshot(func(c []byte) error { total += len(c); chunks++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(total))
	b.ReportMetric(float64(total), "state_bytes")
	b.ReportMetric(float64(chunks), "chunks")
}

func BenchmarkRestore1M(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	p := snapPipelineN(b, mem, 1_000_000)
	var chunks [][]byte
	if err := p.snapshot(func(c []byte) error { chunks = append(chunks, append([]byte(nil), c...)); return nil }); err != nil {
		b.Fatal(err)
	}
	p.close()
	b.ReportAllocs()
	for b.Loop() {
		q, err := newPipeline(mem, buildOperator, snap1MSpecs(), benchSchema, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := q.restore(chunks); err != nil {
			b.Fatal(err)
		}
		if n := q.stats().OpenGroups; n != 1_000_000 {
			b.Fatalf("restored %d groups", n)
		}
		q.close()
	}
}
