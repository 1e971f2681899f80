package ingest

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// commit appends the parsed row to the builders. It cannot fail: every
// value was validated while parsing, which is what makes Append
// all-or-nothing.
func (d *Decoder) commit() {
	for i := range d.cols {
		c, s := &d.cols[i], &d.slots[i]
		if !s.valid {
			c.bld.AppendNull()
			continue
		}
		switch c.kind {
		case kBool:
			c.bld.(*array.BooleanBuilder).Append(s.i != 0)
		case kInt16:
			c.bld.(*array.Int16Builder).Append(int16(s.i))
		case kInt32, kPartition:
			c.bld.(*array.Int32Builder).Append(int32(s.i))
		case kInt64, kOffset:
			c.bld.(*array.Int64Builder).Append(s.i)
		case kFloat32:
			c.bld.(*array.Float32Builder).Append(float32(s.f))
		case kFloat64:
			c.bld.(*array.Float64Builder).Append(s.f)
		case kDecimal:
			c.bld.(*array.Decimal128Builder).Append(s.dec)
		case kString, kJSON:
			c.bld.(*array.StringBuilder).BinaryBuilder.Append(s.b)
		case kBinary, kKey:
			c.bld.(*array.BinaryBuilder).Append(s.b)
		case kTimestamp, kRecordTime:
			c.bld.(*array.TimestampBuilder).Append(arrow.Timestamp(s.i))
		case kDate32:
			c.bld.(*array.Date32Builder).Append(arrow.Date32(s.i))
		}
	}
}
