package planner

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// buildBatch builds one record batch of schema from row values (nil, bool,
// int64, float64, string, []byte; int64 µs/days for timestamps/dates, as
// sql.Literal values). The caller releases the batch.
func buildBatch(mem memory.Allocator, schema *arrow.Schema, rows [][]any) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, row := range rows {
		for i, v := range row {
			if err := appendValue(b.Field(i), v); err != nil {
				return nil, fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}

// appendValue appends one Go value to a builder of the matching Arrow type.
func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.BooleanBuilder:
		if x, ok := v.(bool); ok {
			b.Append(x)
			return nil
		}
	case *array.Int16Builder:
		if x, ok := v.(int64); ok {
			b.Append(int16(x))
			return nil
		}
	case *array.Int32Builder:
		if x, ok := v.(int64); ok {
			b.Append(int32(x))
			return nil
		}
	case *array.Int64Builder:
		if x, ok := v.(int64); ok {
			b.Append(x)
			return nil
		}
	case *array.Float32Builder:
		if x, ok := v.(float64); ok {
			b.Append(float32(x))
			return nil
		}
	case *array.Float64Builder:
		if x, ok := v.(float64); ok {
			b.Append(x)
			return nil
		}
	case *array.StringBuilder:
		if x, ok := v.(string); ok {
			b.Append(x)
			return nil
		}
	case *array.BinaryBuilder:
		if x, ok := v.([]byte); ok {
			b.Append(x)
			return nil
		}
	case *array.TimestampBuilder:
		if x, ok := v.(int64); ok {
			b.Append(arrow.Timestamp(x))
			return nil
		}
	case *array.Date32Builder:
		if x, ok := v.(int64); ok {
			b.Append(arrow.Date32(x))
			return nil
		}
	case *array.Decimal128Builder:
		return appendDecimal(b, v)
	}
	return fmt.Errorf("planner: cannot store %T in %s", v, b.Type())
}

func appendDecimal(b *array.Decimal128Builder, v any) error {
	t := b.Type().(*arrow.Decimal128Type)
	var (
		d   decimal128.Num
		err error
	)
	switch x := v.(type) {
	case int64:
		d, err = decimal128.FromI64(x).Mul(decimal128.GetScaleMultiplier(int(t.Scale))), nil
	case float64:
		d, err = decimal128.FromFloat64(x, t.Precision, t.Scale)
	case string:
		d, err = decimal128.FromString(x, t.Precision, t.Scale)
	default:
		err = fmt.Errorf("planner: cannot store %T in %s", v, t)
	}
	if err != nil {
		return err
	}
	b.Append(d)
	return nil
}
