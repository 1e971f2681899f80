package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Arrow types of the SQL types. TIMESTAMP is microseconds without a zone;
// TIMESTAMPTZ is microseconds in UTC.
var (
	typeBool   = arrow.FixedWidthTypes.Boolean
	typeInt2   = arrow.PrimitiveTypes.Int16
	typeInt4   = arrow.PrimitiveTypes.Int32
	typeInt8   = arrow.PrimitiveTypes.Int64
	typeFloat4 = arrow.PrimitiveTypes.Float32
	typeFloat8 = arrow.PrimitiveTypes.Float64
	typeText   = arrow.BinaryTypes.String
	typeBytea  = arrow.BinaryTypes.Binary
	typeDate   = arrow.FixedWidthTypes.Date32
	// typeTimestamp has no zone (arrow.FixedWidthTypes.Timestamp_us is UTC).
	typeTimestamp   = &arrow.TimestampType{Unit: arrow.Microsecond}
	typeTimestampTZ = &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	typeInterval    = arrow.FixedWidthTypes.Duration_us
	typeNull        = arrow.Null
	// typeNumeric is unconstrained NUMERIC.
	typeNumeric = &arrow.Decimal128Type{Precision: 38, Scale: 9}
)

// SQLTypeKey is the arrow.Field metadata key holding a column's SQL type
// name (ColumnDef.TypeName); it is the engine's StreamDef.Schema convention.
const SQLTypeKey = "sql_type"

// TypeFromName maps a SQL type name (any case, words separated by single or
// multiple spaces) and its modifiers to the Arrow type and PostgreSQL's
// canonical name. NUMERIC takes (precision[, scale]); other modifiers, such as
// VARCHAR(n), are accepted and ignored. An unknown name is 42704.
func TypeFromName(name string, args ...int) (arrow.DataType, string, error) {
	n := strings.Join(strings.Fields(strings.ToLower(name)), " ")
	switch n {
	case "boolean", "bool":
		return typeBool, "boolean", nil
	case "smallint", "int2":
		return typeInt2, "smallint", nil
	case "integer", "int", "int4":
		return typeInt4, "integer", nil
	case "bigint", "int8":
		return typeInt8, "bigint", nil
	case "real", "float4":
		return typeFloat4, "real", nil
	case "double precision", "float8", "float", "double":
		return typeFloat8, "double precision", nil
	case "numeric", "decimal":
		return numericType(args)
	case "varchar", "character varying":
		return typeText, "character varying", nil
	case "text", "string":
		return typeText, "text", nil
	case "timestamp", "timestamp without time zone":
		return typeTimestamp, "timestamp without time zone", nil
	case "timestamptz", "timestamp with time zone":
		return typeTimestampTZ, "timestamp with time zone", nil
	case "date":
		return typeDate, "date", nil
	case "bytea":
		return typeBytea, "bytea", nil
	case "jsonb", "json":
		return typeText, "jsonb", nil
	}
	return nil, "", Errorf(CodeUndefinedObject, "type %q does not exist", strings.ToLower(name))
}

// numericType builds NUMERIC(p, s); Arrow's Decimal128 caps precision at 38.
func numericType(args []int) (arrow.DataType, string, error) {
	if len(args) == 0 {
		return typeNumeric, "numeric", nil
	}
	p, s := args[0], 0
	if len(args) > 1 {
		s = args[1]
	}
	if p < 1 || p > 38 {
		return nil, "", Errorf(CodeInvalidParameter, "NUMERIC precision %d must be between 1 and 38", p)
	}
	if s < 0 || s > p {
		return nil, "", Errorf(CodeInvalidParameter, "NUMERIC scale %d must be between 0 and precision %d", s, p)
	}
	return &arrow.Decimal128Type{Precision: int32(p), Scale: int32(s)}, "numeric", nil
}

// PGTypeName returns PostgreSQL's name for an Arrow type as the binder uses
// it (String is "text", Duration is "interval", Null is "unknown").
func PGTypeName(t arrow.DataType) string {
	if t == nil {
		return "unknown"
	}
	switch t.ID() {
	case arrow.BOOL:
		return "boolean"
	case arrow.INT16:
		return "smallint"
	case arrow.INT32:
		return "integer"
	case arrow.INT64:
		return "bigint"
	case arrow.FLOAT32:
		return "real"
	case arrow.FLOAT64:
		return "double precision"
	case arrow.DECIMAL128:
		return "numeric"
	case arrow.STRING, arrow.LARGE_STRING:
		return "text"
	case arrow.TIMESTAMP:
		if t.(*arrow.TimestampType).TimeZone == "" {
			return "timestamp without time zone"
		}
		return "timestamp with time zone"
	case arrow.DATE32:
		return "date"
	case arrow.BINARY, arrow.LARGE_BINARY:
		return "bytea"
	case arrow.DURATION:
		return "interval"
	case arrow.NULL:
		return "unknown"
	}
	return t.String()
}

// ColumnField returns the Arrow field of a CREATE STREAM column: nullable,
// with the SQL type name under SQLTypeKey in the field metadata.
func ColumnField(cd ColumnDef) arrow.Field {
	return arrow.Field{
		Name:     cd.Name,
		Type:     cd.Type,
		Nullable: true,
		Metadata: arrow.NewMetadata([]string{SQLTypeKey}, []string{cd.TypeName}),
	}
}

// parseType reads a type name with its modifiers from the cursor:
// "double precision", "character varying(20)", "timestamp(3) with time zone",
// "numeric(10, 2)". Arrays are 0A000.
func parseType(c *cursor) (arrow.DataType, string, error) {
	start := c.peek()
	first, err := c.ident()
	if err != nil {
		return nil, "", err
	}
	name := first
	switch first {
	case "double":
		if err := c.expect("precision"); err != nil {
			return nil, "", err
		}
		name = "double precision"
	case "character":
		if c.accept("varying") {
			name = "character varying"
		}
	}
	args, err := parseTypeArgs(c)
	if err != nil {
		return nil, "", err
	}
	if first == "timestamp" || first == "time" {
		if c.acceptSeq("with", "time", "zone") {
			name = first + " with time zone"
		} else if c.acceptSeq("without", "time", "zone") {
			name = first + " without time zone"
		}
	}
	if c.peek().isOp("[") {
		return nil, "", notSupported(c.src, c.peek().start, "array types")
	}
	t, canon, err := TypeFromName(name, args...)
	if err != nil {
		e := err.(*Error)
		e.Pos = charPos(c.src, start.start)
		return nil, "", e
	}
	return t, canon, nil
}

// parseTypeArgs reads an optional "(n[, m])" type modifier list.
func parseTypeArgs(c *cursor) ([]int, error) {
	if !c.acceptOp("(") {
		return nil, nil
	}
	var args []int
	for {
		t := c.peek()
		if t.kind != tkNumber {
			return nil, c.errHere()
		}
		n, ok := smallInt(t.val)
		if !ok {
			return nil, c.errHere()
		}
		c.next()
		args = append(args, n)
		if c.acceptOp(")") {
			return args, nil
		}
		if err := c.expectOp(","); err != nil {
			return nil, err
		}
	}
}

// smallInt parses a non-negative decimal integer below one million.
func smallInt(s string) (int, bool) {
	if s == "" || len(s) > 6 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
