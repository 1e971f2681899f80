package exec

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/datadriven"
)

// TestOps runs the goldens in testdata/ops. Commands:
//
//	schema            input: one "name type" per line
//	batch             input: rows of |-separated values (NULL for null)
//	expr              input: one s-expression per line; prints the column
//	op kind=…         input: operator description (see buildTestOp)
//	push              pushes the batch through the op, prints emitted rows
//	flush wm=<ts>     flushes, prints emitted rows
//	stats             prints OpStats
func TestOps(t *testing.T) {
	datadriven.Walk(t, "testdata/ops", func(t *testing.T, path string) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		h := &opsHarness{mem: mem}
		defer h.close()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out, err := h.run(t, d)
			if err != nil {
				return "error: " + err.Error() + "\n"
			}
			return out
		})
	})
}

type opsHarness struct {
	mem    *memory.CheckedAllocator
	schema *arrow.Schema
	batch  arrow.RecordBatch
	op     Operator
}

func (h *opsHarness) close() {
	if h.batch != nil {
		h.batch.Release()
	}
	if h.op != nil {
		h.op.Close()
	}
}

func (h *opsHarness) run(t *testing.T, d *datadriven.TestData) (string, error) {
	ctx := context.Background()
	switch d.Cmd {
	case "schema":
		return "", h.setSchema(d.Input)
	case "batch":
		return "", h.setBatch(d.Input)
	case "expr":
		return h.evalExprs(ctx, d.Input)
	case "op":
		return h.buildOp(t, d)
	case "push":
		var sb strings.Builder
		err := h.op.Push(ctx, h.batch, printer(&sb))
		return sb.String(), err
	case "flush":
		wm := int64(math.MinInt64)
		if d.HasArg("wm") {
			var s string
			d.ScanArgs(t, "wm", &s)
			v, err := parseTimestampText(s, false)
			if err != nil {
				return "", err
			}
			wm = v
		}
		var sb strings.Builder
		err := h.op.Flush(ctx, wm, printer(&sb))
		return sb.String(), err
	case "stats":
		st := h.op.Stats()
		return fmt.Sprintf("late=%d null_time=%d open=%d\n", st.LateRows, st.NullTimeRows, st.OpenGroups), nil
	}
	return "", fmt.Errorf("unknown command %s", d.Cmd)
}

func (h *opsHarness) setSchema(in string) error {
	var fields []arrow.Field
	for _, line := range strings.Split(strings.TrimSpace(in), "\n") {
		name, typ, _ := strings.Cut(strings.TrimSpace(line), " ")
		t, err := parseTestType(strings.TrimSpace(typ))
		if err != nil {
			return err
		}
		fields = append(fields, arrow.Field{Name: name, Type: t, Nullable: true})
	}
	h.schema = arrow.NewSchema(fields, nil)
	return nil
}

func parseTestType(s string) (arrow.DataType, error) {
	switch s {
	case "int16":
		return arrow.PrimitiveTypes.Int16, nil
	case "int32":
		return arrow.PrimitiveTypes.Int32, nil
	case "int64":
		return arrow.PrimitiveTypes.Int64, nil
	case "float32":
		return arrow.PrimitiveTypes.Float32, nil
	case "float64":
		return arrow.PrimitiveTypes.Float64, nil
	case "bool":
		return arrow.FixedWidthTypes.Boolean, nil
	case "text":
		return arrow.BinaryTypes.String, nil
	case "bytea":
		return arrow.BinaryTypes.Binary, nil
	case "timestamp":
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case "timestamptz":
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	case "date":
		return arrow.FixedWidthTypes.Date32, nil
	}
	var p, sc int32
	if _, err := fmt.Sscanf(s, "decimal_%d_%d", &p, &sc); err == nil {
		return &arrow.Decimal128Type{Precision: p, Scale: sc}, nil
	}
	return nil, fmt.Errorf("unknown type %q", s)
}

func (h *opsHarness) setBatch(in string) error {
	bld := array.NewRecordBuilder(h.mem, h.schema)
	defer bld.Release()
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(in), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		vals := strings.Split(line, "|")
		if len(vals) != h.schema.NumFields() {
			return fmt.Errorf("row %q: want %d values", line, h.schema.NumFields())
		}
		for i, v := range vals {
			v = strings.TrimSpace(v)
			var cv any
			if v != "NULL" {
				var err error
				if cv, err = parseText(v, h.schema.Field(i).Type); err != nil {
					return err
				}
			}
			if err := appendCanonical(bld.Field(i), cv); err != nil {
				return err
			}
		}
		n++
	}
	if h.batch != nil {
		h.batch.Release()
	}
	h.batch = bld.NewRecordBatch()
	return nil
}

func (h *opsHarness) evalExprs(ctx context.Context, in string) (string, error) {
	var sb strings.Builder
	for _, line := range strings.Split(strings.TrimSpace(in), "\n") {
		e, err := parseTestExpr(line, h.schema)
		if err != nil {
			fmt.Fprintf(&sb, "%s: build error: %v\n", line, err)
			continue
		}
		col, err := e.Eval(ctx, h.mem, h.batch)
		if err != nil {
			fmt.Fprintf(&sb, "%s: error: %v\n", e, err)
			continue
		}
		vals := make([]string, col.Len())
		for i := range vals {
			vals[i] = renderValue(col, i)
		}
		fmt.Fprintf(&sb, "%s -> %s: %s\n", e, testTypeName(col.DataType()), strings.Join(vals, ", "))
		col.Release()
	}
	return sb.String(), nil
}

func testTypeName(t arrow.DataType) string {
	if ts, ok := t.(*arrow.TimestampType); ok && ts.TimeZone != "" {
		return "timestamptz"
	}
	return t.String()
}

func renderValue(col arrow.Array, i int) string {
	v := scalarAt(col, i)
	if v == nil {
		return "NULL"
	}
	s, err := formatScalar(v, col.DataType())
	if err != nil {
		return "?" + err.Error()
	}
	if col.DataType().ID() == arrow.STRING {
		return strconv.Quote(s)
	}
	return s
}

// printer renders each emitted batch as a header and one line per row.
func printer(sb *strings.Builder) EmitFunc {
	return func(_ context.Context, b arrow.RecordBatch) error {
		names := make([]string, b.NumCols())
		for i, f := range b.Schema().Fields() {
			names[i] = f.Name
		}
		sb.WriteString(strings.Join(names, " | ") + "\n")
		for r := range int(b.NumRows()) {
			vals := make([]string, b.NumCols())
			for c := range vals {
				vals[c] = renderValue(b.Column(c), r)
			}
			sb.WriteString(strings.Join(vals, " | ") + "\n")
		}
		return nil
	}
}
