package exec

import (
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestBuildBatch(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "d", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}, Nullable: true},
	}, nil)
	b, err := BuildBatch(mem, schema, [][]any{
		{int64(1), "a", int64(1_000_000), "12.5"},
		{nil, nil, "2024-01-01 00:00:01", int64(3)},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	got := ""
	for r := range int(b.NumRows()) {
		for c := range int(b.NumCols()) {
			got += b.Column(c).ValueStr(r) + "|"
		}
	}
	want := "1|a|1970-01-01T00:00:01|12.5|(null)|(null)|2024-01-01T00:00:01|3|"
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	if _, err := BuildBatch(mem, schema, [][]any{{"x", nil, nil, nil}}); err == nil {
		t.Fatal("a non-integer string for an integer column was accepted")
	}
	if _, err := BuildBatch(mem, schema, [][]any{{int64(1)}}); err == nil {
		t.Fatal("a short row was accepted")
	}
}
