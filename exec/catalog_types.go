package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Names of the Arrow types a stream column may have, as stored in the
// catalog. They are Sluice's own spelling, independent of arrow-go's
// String() output, so a library upgrade cannot change stored catalogs.
const (
	typeBool        = "bool"
	typeInt16       = "int16"
	typeInt32       = "int32"
	typeInt64       = "int64"
	typeFloat32     = "float32"
	typeFloat64     = "float64"
	typeString      = "utf8"
	typeBinary      = "binary"
	typeDate32      = "date32"
	typeTimestamp   = "timestamp_us"
	typeTimestampTZ = "timestamp_us_utc"
	typeDecimalFmt  = "decimal128(%d,%d)"
)

// typeName returns the catalog name of t, or an error for a type streams
// do not support.
func typeName(t arrow.DataType) (string, error) {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return typeBool, nil
	case *arrow.Int16Type:
		return typeInt16, nil
	case *arrow.Int32Type:
		return typeInt32, nil
	case *arrow.Int64Type:
		return typeInt64, nil
	case *arrow.Float32Type:
		return typeFloat32, nil
	case *arrow.Float64Type:
		return typeFloat64, nil
	case *arrow.StringType:
		return typeString, nil
	case *arrow.BinaryType:
		return typeBinary, nil
	case *arrow.Date32Type:
		return typeDate32, nil
	case *arrow.Decimal128Type:
		if _, err := arrow.NewDecimalType(arrow.DECIMAL128, t.Precision, t.Scale); err != nil {
			return "", fmt.Errorf("exec: column type %s: %w", t, err)
		}
		return fmt.Sprintf(typeDecimalFmt, t.Precision, t.Scale), nil
	case *arrow.TimestampType:
		if t.Unit != arrow.Microsecond {
			break
		}
		switch t.TimeZone {
		case "":
			return typeTimestamp, nil
		case "UTC":
			return typeTimestampTZ, nil
		}
	}
	return "", fmt.Errorf("exec: column type %s is not supported in streams", t)
}

// typeFromName is the inverse of typeName.
func typeFromName(name string) (arrow.DataType, error) {
	switch name {
	case typeBool:
		return arrow.FixedWidthTypes.Boolean, nil
	case typeInt16:
		return arrow.PrimitiveTypes.Int16, nil
	case typeInt32:
		return arrow.PrimitiveTypes.Int32, nil
	case typeInt64:
		return arrow.PrimitiveTypes.Int64, nil
	case typeFloat32:
		return arrow.PrimitiveTypes.Float32, nil
	case typeFloat64:
		return arrow.PrimitiveTypes.Float64, nil
	case typeString:
		return arrow.BinaryTypes.String, nil
	case typeBinary:
		return arrow.BinaryTypes.Binary, nil
	case typeDate32:
		return arrow.FixedWidthTypes.Date32, nil
	case typeTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}, nil
	case typeTimestampTZ:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, nil
	}
	var p, s int32
	if n, err := fmt.Sscanf(name, typeDecimalFmt, &p, &s); err == nil && n == 2 {
		t, err := arrow.NewDecimalType(arrow.DECIMAL128, p, s)
		if err != nil {
			return nil, fmt.Errorf("exec: catalog type %q: %w", name, err)
		}
		return t, nil
	}
	return nil, fmt.Errorf("exec: unknown catalog type %q", name)
}

// isEventTimeType reports whether a column of type t can drive a
// watermark: a timestamp of any unit or a date.
func isEventTimeType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.TIMESTAMP, arrow.DATE32:
		return true
	}
	return false
}
