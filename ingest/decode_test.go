package ingest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/cockroachdb/datadriven"
)

// testType maps the type names used in testdata/decode to Arrow fields.
func testField(name, typ string) (arrow.Field, error) {
	f := arrow.Field{Name: name, Nullable: true}
	switch typ {
	case "bool":
		f.Type = arrow.FixedWidthTypes.Boolean
	case "int16":
		f.Type = arrow.PrimitiveTypes.Int16
	case "int32":
		f.Type = arrow.PrimitiveTypes.Int32
	case "int64":
		f.Type = arrow.PrimitiveTypes.Int64
	case "float32":
		f.Type = arrow.PrimitiveTypes.Float32
	case "float64":
		f.Type = arrow.PrimitiveTypes.Float64
	case "text":
		f.Type = arrow.BinaryTypes.String
	case "jsonb":
		f.Type = arrow.BinaryTypes.String
		f.Metadata = arrow.NewMetadata([]string{sqlTypeKey}, []string{"jsonb"})
	case "bytea":
		f.Type = arrow.BinaryTypes.Binary
	case "timestamp":
		f.Type = arrow.FixedWidthTypes.Timestamp_us
	case "timestamptz":
		f.Type = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case "date":
		f.Type = arrow.FixedWidthTypes.Date32
	default:
		var p, s int32
		if _, err := fmt.Sscanf(typ, "numeric_%d_%d", &p, &s); err != nil {
			return f, fmt.Errorf("unknown test type %q", typ)
		}
		f.Type = &arrow.Decimal128Type{Precision: p, Scale: s}
	}
	return f, nil
}

// testSchema parses cols=(name:type, ...).
func testSchema(t *testing.T, d *datadriven.TestData) *arrow.Schema {
	var fields []arrow.Field
	for _, arg := range d.CmdArgs {
		if arg.Key != "cols" {
			continue
		}
		for _, v := range arg.Vals {
			name, typ, _ := strings.Cut(v, ":")
			f, err := testField(name, typ)
			if err != nil {
				d.Fatalf(t, "%v", err)
			}
			fields = append(fields, f)
		}
	}
	return arrow.NewSchema(fields, nil)
}

// renderRow prints one row as name=value pairs.
func renderRow(b arrow.RecordBatch, row int) string {
	var sb strings.Builder
	for i, f := range b.Schema().Fields() {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(f.Name + "=")
		col := b.Column(i)
		if col.IsNull(row) {
			sb.WriteString("NULL")
			continue
		}
		switch a := col.(type) {
		case *array.String:
			fmt.Fprintf(&sb, "%q", a.Value(row))
		case *array.Binary:
			fmt.Fprintf(&sb, `\x%x`, a.Value(row))
		case *array.Timestamp:
			sb.WriteString(time.UnixMicro(int64(a.Value(row))).UTC().Format(time.RFC3339Nano))
		default:
			sb.WriteString(col.ValueStr(row))
		}
	}
	return sb.String()
}

// testRecord makes the Kafka record for input line i.
func testRecord(i int, line string) *Record {
	return &Record{
		Partition: 3,
		Offset:    int64(100 + i),
		Timestamp: time.Date(2024, 1, 2, 3, 4, 5, 6000, time.UTC),
		Key:       fmt.Appendf(nil, "k%d", i),
		Value:     []byte(line),
	}
}

func TestDecodeGolden(t *testing.T) {
	datadriven.RunTest(t, "testdata/decode", func(t *testing.T, d *datadriven.TestData) string {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		dec, err := NewDecoder(mem, testSchema(t, d))
		if err != nil {
			return "error: " + err.Error() + "\n"
		}
		defer dec.Release()
		lines := strings.Split(d.Input, "\n")
		errs := make([]string, len(lines))
		for i, line := range lines {
			if err := dec.Append(testRecord(i, line)); err != nil {
				errs[i] = "error: " + err.Error()
			}
		}
		b := dec.NewRecordBatch()
		defer b.Release()
		var out strings.Builder
		row := 0
		for i := range lines {
			switch {
			case errs[i] != "":
				out.WriteString(errs[i])
			case d.Cmd == "roundtrip":
				out.WriteString(roundTrip(t, mem, b, row))
				row++
			default:
				out.WriteString(renderRow(b, row))
				row++
			}
			out.WriteByte('\n')
		}
		if row != int(b.NumRows()) || dec.Len() != 0 {
			t.Fatalf("batch has %d rows, %d lines decoded; Len after batch %d", b.NumRows(), row, dec.Len())
		}
		return out.String()
	})
}

// roundTrip encodes row of b, decodes the JSON with b's schema and checks
// the decoded row renders identically; it returns the JSON.
func roundTrip(t *testing.T, mem memory.Allocator, b arrow.RecordBatch, row int) string {
	js := EncodeJSON(b, row, nil)
	dec, err := NewDecoder(mem, b.Schema())
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Release()
	if err := dec.Append(testRecord(row, string(js))); err != nil {
		t.Fatalf("decode(encode(row %d)) = %v\njson: %s", row, err, js)
	}
	b2 := dec.NewRecordBatch()
	defer b2.Release()
	if got, want := renderRow(b2, 0), renderRow(b, row); got != want {
		t.Fatalf("round trip of row %d:\n got  %s\n want %s\n json %s", row, got, want, js)
	}
	return string(js)
}
