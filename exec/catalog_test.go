package exec

import (
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

func durationOf(secs float64) time.Duration { return time.Duration(secs * float64(time.Second)) }

func TestTypeNames(t *testing.T) {
	dec, _ := arrow.NewDecimalType(arrow.DECIMAL128, 38, 9)
	for _, typ := range []arrow.DataType{
		arrow.FixedWidthTypes.Boolean, arrow.PrimitiveTypes.Int16, arrow.PrimitiveTypes.Int32,
		arrow.PrimitiveTypes.Int64, arrow.PrimitiveTypes.Float32, arrow.PrimitiveTypes.Float64,
		arrow.BinaryTypes.String, arrow.BinaryTypes.Binary, arrow.FixedWidthTypes.Date32, dec,
		&arrow.TimestampType{Unit: arrow.Microsecond}, &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"},
	} {
		name, err := typeName(typ)
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		back, err := typeFromName(name)
		if err != nil || !arrow.TypeEqual(back, typ) {
			t.Fatalf("%s -> %q -> %v, %v", typ, name, back, err)
		}
	}
	for _, typ := range []arrow.DataType{
		arrow.PrimitiveTypes.Uint32, &arrow.TimestampType{Unit: arrow.Millisecond},
		&arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "Europe/Paris"}, &arrow.Decimal128Type{Precision: 50},
	} {
		if name, err := typeName(typ); err == nil {
			t.Errorf("%s accepted as %q", typ, name)
		}
	}
	for _, name := range []string{"", "int128", "decimal128(0,0)", "decimal128(x,1)"} {
		if typ, err := typeFromName(name); err == nil {
			t.Errorf("%q decoded as %s", name, typ)
		}
	}
}

func TestDecodeStreamDefRejectsNewerVersion(t *testing.T) {
	if _, err := decodeStreamDef([]byte(`{"version": 2, "name": "s"}`)); err == nil {
		t.Fatal("version 2 accepted")
	}
	if _, err := decodeStreamDef([]byte(`{`)); err == nil {
		t.Fatal("bad JSON accepted")
	}
}
