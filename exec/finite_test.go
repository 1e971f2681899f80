package exec

import (
	"context"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var finiteSchema = arrow.NewSchema([]arrow.Field{
	{Name: "k", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
}, nil)

func finiteInput(t *testing.T, mem memory.Allocator, parts ...[][]any) []arrow.RecordBatch {
	t.Helper()
	var in []arrow.RecordBatch
	for _, rows := range parts {
		b, err := BuildBatch(mem, finiteSchema, rows)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, b)
	}
	return in
}

func mustCall(t *testing.T, fn string, typ arrow.DataType, args ...Expr) Expr {
	t.Helper()
	e, err := Call(fn, typ, args...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// renderFinite prints the result rows, one line per row, columns joined by spaces.
func renderFinite(out []arrow.RecordBatch) string {
	var lines []string
	for _, b := range out {
		for r := range int(b.NumRows()) {
			vals := make([]string, b.NumCols())
			for c := range vals {
				vals[c] = renderValue(b.Column(c), r)
			}
			lines = append(lines, strings.Join(vals, " "))
		}
	}
	return strings.Join(lines, "\n")
}

func runFiniteCase(t *testing.T, in []arrow.RecordBatch, ops []OpSpec, limit int64, mem memory.Allocator) string {
	t.Helper()
	out, err := RunFinite(context.Background(), mem, in, ops, limit)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, b := range out {
			b.Release()
		}
	}()
	return renderFinite(out)
}

// TestRunFiniteSortIsGlobal checks that ORDER BY and LIMIT apply across
// input batches, after WHERE.
func TestRunFiniteSortIsGlobal(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := finiteInput(t, mem,
		[][]any{{"a", int64(5)}, {"b", int64(1)}, {"c", nil}},
		[][]any{{"d", int64(3)}, {"e", int64(9)}, {"f", int64(-2)}})
	defer releaseBatches(in)
	v := Col(1, arrow.PrimitiveTypes.Int64)
	ops := []OpSpec{
		&FilterSpec{Pred: mustCall(t, "gt", arrow.FixedWidthTypes.Boolean, v, Lit(int64(0), arrow.PrimitiveTypes.Int64))},
		&SortSpec{Keys: []SortKey{{Expr: v, Desc: true}}},
		&ProjectSpec{Exprs: []Expr{Col(0, arrow.BinaryTypes.String), v}, Names: []string{"k", "v"}},
	}
	got := runFiniteCase(t, in, ops, 3, mem)
	want := `"e" 9` + "\n" + `"a" 5` + "\n" + `"d" 3`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := runFiniteCase(t, in, ops, 0, mem); got != "" {
		t.Fatalf("LIMIT 0 gave %q", got)
	}
}

func groupedOps(t *testing.T, keyed bool) []OpSpec {
	v := Col(1, arrow.PrimitiveTypes.Int64)
	agg := &WindowAggSpec{Window: WindowSpec{Kind: NoWindow}, Emit: EmitChanges, Aggs: []AggSpec{
		{Func: "count_star", Type: arrow.PrimitiveTypes.Int64},
		{Func: "sum", Arg: v, Type: arrow.PrimitiveTypes.Int64},
		{Func: "approx_count_distinct", Arg: v, Type: arrow.PrimitiveTypes.Int64},
	}}
	first := 0
	if keyed {
		agg.Keys = []Expr{Col(0, arrow.BinaryTypes.String)}
		first = 1
	}
	cnt := Col(first, arrow.PrimitiveTypes.Int64)
	ops := []OpSpec{agg,
		&FilterSpec{Pred: mustCall(t, "ge", arrow.FixedWidthTypes.Boolean, cnt, Lit(int64(0), arrow.PrimitiveTypes.Int64))},
		&SortSpec{Keys: []SortKey{{Expr: Col(first+1, arrow.PrimitiveTypes.Int64), NullsFirst: true}}},
	}
	return ops
}

// TestRunFiniteAggregate checks GROUP BY over several input batches, HAVING
// and a global sort of the groups.
func TestRunFiniteAggregate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := finiteInput(t, mem,
		[][]any{{"a", int64(5)}, {"b", int64(1)}, {"a", nil}},
		[][]any{{"b", int64(3)}, {nil, int64(9)}, {"a", int64(-2)}, {"c", nil}})
	defer releaseBatches(in)
	got := runFiniteCase(t, in, groupedOps(t, true), -1, mem)
	want := strings.Join([]string{`"c" 1 NULL 0`, `"a" 3 3 2`, `"b" 2 4 2`, `NULL 1 9 1`}, "\n")
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	got = runFiniteCase(t, in, groupedOps(t, false), -1, mem)
	if want := "7 16 5"; got != want {
		t.Fatalf("ungrouped: got %q, want %q", got, want)
	}
}

// TestRunFiniteEmptyAggregate checks PostgreSQL's answer over no rows: one
// row (count 0, sum NULL) without GROUP BY, no rows with it.
func TestRunFiniteEmptyAggregate(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := finiteInput(t, mem, [][]any{})
	defer releaseBatches(in)
	if got, want := runFiniteCase(t, in, groupedOps(t, false), -1, mem), "0 NULL 0"; got != want {
		t.Fatalf("ungrouped: got %q, want %q", got, want)
	}
	if got := runFiniteCase(t, in, groupedOps(t, true), -1, mem); got != "" {
		t.Fatalf("grouped: got %q, want no rows", got)
	}
	if got := runFiniteCase(t, in, nil, -1, mem); got != "" {
		t.Fatalf("no ops: got %q, want no rows", got)
	}
}

// TestRunFiniteRefusesWindows checks that a windowed aggregate, which a
// finite input cannot close, is an error rather than an empty result.
func TestRunFiniteRefusesWindows(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := finiteInput(t, mem, [][]any{{"a", int64(1)}})
	defer releaseBatches(in)
	ops := []OpSpec{&WindowAggSpec{Window: WindowSpec{Kind: NoWindow}, Emit: EmitOnClose,
		Aggs: []AggSpec{{Func: "count_star", Type: arrow.PrimitiveTypes.Int64}}}}
	if _, err := RunFinite(context.Background(), mem, in, ops, -1); err == nil {
		t.Fatal("EmitOnClose aggregate accepted")
	}
	if _, err := RunFinite(context.Background(), mem, nil, ops, -1); err == nil {
		t.Fatal("no input accepted")
	}
}

func releaseBatches(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}
