package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// scalarAt returns row i of a as its canonical Go value (see Lit). It boxes,
// so only row-wise paths (text casts, key decoding) use it.
func scalarAt(a arrow.Array, i int) any {
	if a.IsNull(i) {
		return nil
	}
	switch x := a.(type) {
	case *array.Int16:
		return int64(x.Value(i))
	case *array.Int32:
		return int64(x.Value(i))
	case *array.Int64:
		return x.Value(i)
	case *array.Float32:
		return float64(x.Value(i))
	case *array.Float64:
		return x.Value(i)
	case *array.Decimal128:
		return x.Value(i)
	case *array.Boolean:
		return x.Value(i)
	case *array.String:
		return x.Value(i)
	case *array.Binary:
		return x.Value(i)
	case *array.Timestamp:
		return int64(x.Value(i))
	case *array.Date32:
		return int64(x.Value(i))
	}
	return nil
}

// appendCanonical appends canonical value v (nil = NULL) to builder b.
func appendCanonical(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch x := b.(type) {
	case *array.Int16Builder:
		x.Append(int16(v.(int64)))
	case *array.Int32Builder:
		x.Append(int32(v.(int64)))
	case *array.Int64Builder:
		x.Append(v.(int64))
	case *array.Float32Builder:
		x.Append(float32(v.(float64)))
	case *array.Float64Builder:
		x.Append(v.(float64))
	case *array.Decimal128Builder:
		x.Append(v.(decimal128.Num))
	case *array.BooleanBuilder:
		x.Append(v.(bool))
	case *array.StringBuilder:
		x.Append(v.(string))
	case *array.BinaryBuilder:
		x.Append(v.([]byte))
	case *array.TimestampBuilder:
		x.Append(arrow.Timestamp(v.(int64)))
	case *array.Date32Builder:
		x.Append(arrow.Date32(v.(int64)))
	default:
		return fmt.Errorf("append to %T not supported", b)
	}
	return nil
}
