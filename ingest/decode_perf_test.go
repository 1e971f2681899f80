package ingest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// bidSchema is the demo bids stream as exec would ask for it, with two
// pseudo-columns.
func bidSchema() *arrow.Schema {
	ts := arrow.FixedWidthTypes.Timestamp_us
	return arrow.NewSchema([]arrow.Field{
		{Name: "auction", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "bidder", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "price", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "channel", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "url", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "date_time", Type: ts, Nullable: true},
		{Name: "extra", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: ColPartition, Type: arrow.PrimitiveTypes.Int32},
		{Name: ColOffset, Type: arrow.PrimitiveTypes.Int64},
	}, nil)
}

// bidRecords makes n Nexmark-bid-like JSON records (about 200 bytes).
func bidRecords(n int) []*Record {
	r := rand.New(rand.NewPCG(1, 2))
	recs := make([]*Record, n)
	for i := range recs {
		v := fmt.Appendf(nil, `{"auction":%d,"bidder":%d,"price":%d,"channel":"channel-%d",`+
			`"url":"https://www.nexmark.com/abcde/fghij/klmno/item.htm?query=1&channel_id=%d",`+
			`"date_time":"2024-01-01 00:%02d:%02d.%06d","extra":"%s"}`,
			1000+r.IntN(100), 2000+r.IntN(1000), r.IntN(1e6), r.IntN(10000), r.IntN(1<<20),
			r.IntN(60), r.IntN(60), r.IntN(1e6), "padpadpadpadpadpadpadpadpadpad")
		recs[i] = &Record{Partition: 0, Offset: int64(i), Value: v}
	}
	return recs
}

func TestDecodeSteadyStateAllocs(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dec, err := NewDecoder(mem, bidSchema())
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	recs := bidRecords(64)
	// Warm the builders and scratch buffers, then measure within one batch
	// whose builders have capacity reserved.
	for _, r := range recs {
		if err := dec.Append(r); err != nil {
			t.Fatal(err)
		}
	}
	dec.NewRecordBatch().Release()
	for i := range dec.cols {
		dec.cols[i].bld.Reserve(4096)
	}
	for i := range dec.cols {
		if bb, ok := dec.cols[i].bld.(interface{ ReserveData(int) }); ok {
			bb.ReserveData(4096 * 256)
		}
	}
	i := 0
	allocs := testing.AllocsPerRun(1000, func() {
		if err := dec.Append(recs[i%len(recs)]); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs != 0 {
		t.Fatalf("Append allocates %.2f times per record, want 0", allocs)
	}
	b := dec.NewRecordBatch()
	defer b.Release()
	if b.NumRows() != 1001 {
		t.Fatalf("batch has %d rows, want 1001", b.NumRows())
	}
}

func TestDecodeInvalidUTF8(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	dec, err := NewDecoder(mem, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	for _, v := range []string{"{\"s\": \"a\xffb\"}", "{\"s\": \"\xc3\"}", "{\"s\": [\"\xff\"]}"} {
		err := dec.Append(&Record{Value: []byte(v)})
		if !errors.Is(err, ErrDecode) {
			t.Errorf("%q: %v, want ErrDecode", v, err)
		}
	}
	// Invalid UTF-8 in a skipped field is not looked at.
	if err := dec.Append(&Record{Value: []byte("{\"x\": \"\xff\", \"s\": \"ok\"}")}); err != nil {
		t.Fatal(err)
	}
	if dec.Len() != 1 {
		t.Fatalf("Len = %d, want 1", dec.Len())
	}
	dec.NewRecordBatch().Release()
}

// projectedBidSchema is what a query reading three of the bid's fields
// decodes (projection pushdown): the other keys are skipped.
func projectedBidSchema() *arrow.Schema {
	full := bidSchema()
	return arrow.NewSchema([]arrow.Field{full.Field(0), full.Field(2), full.Field(5)}, nil)
}

func BenchmarkDecode(b *testing.B) {
	for _, tc := range []struct {
		cols   string
		schema *arrow.Schema
	}{{"all", bidSchema()}, {"3", projectedBidSchema()}} {
		for _, rows := range []int{1024, 65536} {
			b.Run(fmt.Sprintf("cols=%s/rows=%d", tc.cols, rows), func(b *testing.B) {
				benchmarkDecode(b, tc.schema, rows)
			})
		}
	}
}

func benchmarkDecode(b *testing.B, schema *arrow.Schema, rows int) {
	recs := bidRecords(rows)
	var size int64
	for _, r := range recs {
		size += int64(len(r.Value))
	}
	dec, err := NewDecoder(memory.NewGoAllocator(), schema)
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Release()
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		for _, r := range recs {
			if err := dec.Append(r); err != nil {
				b.Fatal(err)
			}
		}
		dec.NewRecordBatch().Release()
	}
	b.ReportMetric(float64(b.N)*float64(rows)/b.Elapsed().Seconds(), "records/s")
}

func FuzzDecode(f *testing.F) {
	for _, r := range bidRecords(4) {
		f.Add(r.Value)
	}
	for _, s := range []string{`{}`, `{"price": "12"}`, `{"extra": {"a": [1, {"b": null}]}}`,
		`{"date_time": 1704067200000}`, `{"url": "\ud83d\ude00"}`, `{"auction": 1e3}`, `[`, `{"a":`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		dec, err := NewDecoder(mem, bidSchema())
		if err != nil {
			t.Fatal(err)
		}
		defer dec.Release()
		err = dec.Append(&Record{Value: data})
		want := 1
		if err != nil {
			want = 0
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("error does not wrap ErrDecode: %v", err)
			}
		}
		b := dec.NewRecordBatch()
		defer b.Release()
		if int(b.NumRows()) != want {
			t.Fatalf("err=%v but batch has %d rows", err, b.NumRows())
		}
		for i := range b.NumCols() {
			if b.Column(int(i)).Len() != want {
				t.Fatalf("column %d has %d rows, want %d", i, b.Column(int(i)).Len(), want)
			}
		}
	})
}
