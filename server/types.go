package server

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/jackc/pgx/v5/pgproto3"
)

// PostgreSQL type OIDs Sluice sends and accepts (pg_type.dat).
const (
	oidBool        uint32 = 16
	oidBytea       uint32 = 17
	oidName        uint32 = 19
	oidInt8        uint32 = 20
	oidInt2        uint32 = 21
	oidInt4        uint32 = 23
	oidText        uint32 = 25
	oidJSON        uint32 = 114
	oidFloat4      uint32 = 700
	oidFloat8      uint32 = 701
	oidUnknown     uint32 = 705
	oidBpchar      uint32 = 1042
	oidVarchar     uint32 = 1043
	oidDate        uint32 = 1082
	oidTimestamp   uint32 = 1114
	oidTimestamptz uint32 = 1184
	oidNumeric     uint32 = 1700
	oidJSONB       uint32 = 3802
)

// sqlTypeKey is the Arrow field metadata key that keeps the SQL type name
// (see exec.StreamDef.Schema).
const sqlTypeKey = "sql_type"

// pgEpochMicros is 2000-01-01 00:00:00 UTC in microseconds since the UNIX
// epoch: the zero of PostgreSQL's binary timestamps.
const (
	pgEpochMicros = 946684800 * 1000000
	pgEpochDays   = 10957
)

// pgType is what RowDescription says about one column.
type pgType struct {
	oid     uint32
	size    int16
	typmod  int32
	oidName string // for error messages: "bigint", "text", …
}

// sqlTypeOf returns the "sql_type" metadata of f, or "".
func sqlTypeOf(f arrow.Field) string {
	if i := f.Metadata.FindKey(sqlTypeKey); i >= 0 {
		return f.Metadata.Values()[i]
	}
	return ""
}

// pgTypeOfField maps an Arrow field to its PostgreSQL type. Types Sluice does
// not produce map to text (their values are sent with Arrow's ValueStr).
func pgTypeOfField(f arrow.Field) pgType {
	t := pgTypeOf(f.Type)
	switch sqlTypeOf(f) {
	case "character varying", "varchar":
		if t.oid == oidText {
			t = pgType{oid: oidVarchar, size: -1, typmod: -1, oidName: "character varying"}
		}
	case "jsonb":
		if t.oid == oidText || t.oid == oidBytea {
			t = pgType{oid: oidJSONB, size: -1, typmod: -1, oidName: "jsonb"}
		}
	}
	return t
}

// pgTypeOf maps an Arrow type to its PostgreSQL type.
func pgTypeOf(dt arrow.DataType) pgType {
	if dt == nil {
		return pgType{oid: oidText, size: -1, typmod: -1, oidName: "text"}
	}
	switch dt := dt.(type) {
	case *arrow.BooleanType:
		return pgType{oidBool, 1, -1, "boolean"}
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Uint8Type:
		return pgType{oidInt2, 2, -1, "smallint"}
	case *arrow.Int32Type, *arrow.Uint16Type:
		return pgType{oidInt4, 4, -1, "integer"}
	case *arrow.Int64Type, *arrow.Uint32Type:
		return pgType{oidInt8, 8, -1, "bigint"}
	case *arrow.Float16Type, *arrow.Float32Type:
		return pgType{oidFloat4, 4, -1, "real"}
	case *arrow.Float64Type:
		return pgType{oidFloat8, 8, -1, "double precision"}
	case *arrow.Decimal128Type:
		return pgType{oidNumeric, -1, (dt.Precision<<16 | dt.Scale) + 4, "numeric"}
	case *arrow.Uint64Type, *arrow.Decimal256Type:
		return pgType{oidNumeric, -1, -1, "numeric"}
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType:
		return pgType{oidText, -1, -1, "text"}
	case *arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return pgType{oidBytea, -1, -1, "bytea"}
	case *arrow.TimestampType:
		if dt.TimeZone != "" {
			return pgType{oidTimestamptz, 8, -1, "timestamp with time zone"}
		}
		return pgType{oidTimestamp, 8, -1, "timestamp without time zone"}
	case *arrow.Date32Type, *arrow.Date64Type:
		return pgType{oidDate, 4, -1, "date"}
	}
	return pgType{oidText, -1, -1, "text"}
}

// arrowTypeOfOID maps a client-declared parameter OID to the Arrow type the
// planner binds $n to. nil means "infer" (OID 0, unknown, or a type without
// a fixed Arrow counterpart such as numeric, whose scale the client does not
// declare).
func arrowTypeOfOID(oid uint32) arrow.DataType {
	switch oid {
	case oidBool:
		return arrow.FixedWidthTypes.Boolean
	case oidInt2:
		return arrow.PrimitiveTypes.Int16
	case oidInt4:
		return arrow.PrimitiveTypes.Int32
	case oidInt8:
		return arrow.PrimitiveTypes.Int64
	case oidFloat4:
		return arrow.PrimitiveTypes.Float32
	case oidFloat8:
		return arrow.PrimitiveTypes.Float64
	case oidText, oidVarchar, oidBpchar, oidName, oidJSON, oidJSONB:
		return arrow.BinaryTypes.String
	case oidBytea:
		return arrow.BinaryTypes.Binary
	case oidTimestamp:
		return &arrow.TimestampType{Unit: arrow.Microsecond}
	case oidTimestamptz:
		return &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	case oidDate:
		return arrow.FixedWidthTypes.Date32
	}
	return nil
}

// fieldDescriptions builds RowDescription fields for schema; formats are the
// per-column result formats (nil = all text).
func fieldDescriptions(schema *arrow.Schema, formats []int16) []pgproto3.FieldDescription {
	fds := make([]pgproto3.FieldDescription, schema.NumFields())
	for i, f := range schema.Fields() {
		t := pgTypeOfField(f)
		var format int16
		if formats != nil {
			format = formats[i]
		}
		fds[i] = pgproto3.FieldDescription{
			Name:         []byte(f.Name),
			DataTypeOID:  t.oid,
			DataTypeSize: t.size,
			TypeModifier: t.typmod,
			Format:       format,
		}
	}
	return fds
}

// colEncoder appends the wire form of row i of one column, including its
// int32 length prefix (-1 for NULL), to dst.
type colEncoder func(dst []byte, i int) []byte

// appendNull appends a NULL value.
func appendNull(dst []byte) []byte { return binary.BigEndian.AppendUint32(dst, math.MaxUint32) }

// withLen appends the length prefix for a value that enc appends. It writes
// a placeholder, appends the value, then patches the length in place, so no
// intermediate buffer is needed.
func withLen(dst []byte, enc func([]byte) []byte) []byte {
	sp := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = enc(dst)
	binary.BigEndian.PutUint32(dst[sp:], uint32(len(dst)-sp-4))
	return dst
}

// newColEncoder returns the encoder of column col (of field f) in the given
// format (pgproto3.TextFormat or BinaryFormat). Encoders append straight into
// the output buffer: no allocation per value except for numerics that do not
// fit in 64 bits and types Sluice does not produce.
func newColEncoder(f arrow.Field, col arrow.Array, format int16) colEncoder {
	bin := format == pgproto3.BinaryFormat
	pt := pgTypeOfField(f)
	nulls := func(enc colEncoder) colEncoder {
		return func(dst []byte, i int) []byte {
			if col.IsNull(i) {
				return appendNull(dst)
			}
			return enc(dst, i)
		}
	}
	switch a := col.(type) {
	case *array.Boolean:
		return nulls(func(dst []byte, i int) []byte {
			dst = binary.BigEndian.AppendUint32(dst, 1)
			v := a.Value(i)
			switch {
			case bin && v:
				return append(dst, 1)
			case bin:
				return append(dst, 0)
			case v:
				return append(dst, 't')
			}
			return append(dst, 'f')
		})
	case *array.Int8:
		return nulls(func(dst []byte, i int) []byte { return appendInt(dst, int64(a.Value(i)), 2, bin) })
	case *array.Uint8:
		return nulls(func(dst []byte, i int) []byte { return appendInt(dst, int64(a.Value(i)), 2, bin) })
	case *array.Int16:
		return nulls(func(dst []byte, i int) []byte { return appendInt(dst, int64(a.Value(i)), 2, bin) })
	case *array.Uint16:
		return nulls(func(dst []byte, i int) []byte { return appendInt(dst, int64(a.Value(i)), 4, bin) })
	case *array.Int32:
		return nulls(func(dst []byte, i int) []byte { return appendInt(dst, int64(a.Value(i)), 4, bin) })
	case *array.Uint32:
		return nulls(func(dst []byte, i int) []byte { return appendInt(dst, int64(a.Value(i)), 8, bin) })
	case *array.Int64:
		return nulls(func(dst []byte, i int) []byte { return appendInt(dst, a.Value(i), 8, bin) })
	case *array.Uint64:
		return nulls(func(dst []byte, i int) []byte {
			return withLen(dst, func(d []byte) []byte {
				var tmp [24]byte
				s := strconv.AppendUint(tmp[:0], a.Value(i), 10)
				if bin {
					return appendNumericBinary(d, s, 0)
				}
				return append(d, s...)
			})
		})
	case *array.Float16:
		return nulls(func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i).Float32()), 32, bin) })
	case *array.Float32:
		return nulls(func(dst []byte, i int) []byte { return appendFloat(dst, float64(a.Value(i)), 32, bin) })
	case *array.Float64:
		return nulls(func(dst []byte, i int) []byte { return appendFloat(dst, a.Value(i), 64, bin) })
	case *array.Decimal128:
		scale := a.DataType().(*arrow.Decimal128Type).Scale
		return nulls(func(dst []byte, i int) []byte {
			return withLen(dst, func(d []byte) []byte {
				var tmp [48]byte
				s := appendDecimal128(tmp[:0], a.Value(i), scale)
				if bin {
					return appendNumericBinary(d, s, int(max(scale, 0)))
				}
				return append(d, s...)
			})
		})
	case *array.String:
		return nulls(func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), bin && pt.oid == oidJSONB) })
	case *array.LargeString:
		return nulls(func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), bin && pt.oid == oidJSONB) })
	case *array.StringView:
		return nulls(func(dst []byte, i int) []byte { return appendText(dst, a.Value(i), bin && pt.oid == oidJSONB) })
	case *array.Binary:
		return nulls(func(dst []byte, i int) []byte { return appendBytea(dst, a.Value(i), bin, pt.oid == oidJSONB) })
	case *array.LargeBinary:
		return nulls(func(dst []byte, i int) []byte { return appendBytea(dst, a.Value(i), bin, pt.oid == oidJSONB) })
	case *array.BinaryView:
		return nulls(func(dst []byte, i int) []byte { return appendBytea(dst, a.Value(i), bin, pt.oid == oidJSONB) })
	case *array.FixedSizeBinary:
		return nulls(func(dst []byte, i int) []byte { return appendBytea(dst, a.Value(i), bin, false) })
	case *array.Timestamp:
		tt := a.DataType().(*arrow.TimestampType)
		tz := tt.TimeZone != ""
		unit := tt.Unit
		return nulls(func(dst []byte, i int) []byte {
			return appendTimestamp(dst, toMicros(int64(a.Value(i)), unit), tz, bin)
		})
	case *array.Date32:
		return nulls(func(dst []byte, i int) []byte { return appendDate(dst, int64(a.Value(i)), bin) })
	case *array.Date64:
		return nulls(func(dst []byte, i int) []byte {
			return appendDate(dst, floorDiv(int64(a.Value(i)), 86400000), bin)
		})
	}
	// Anything else travels as text.
	return nulls(func(dst []byte, i int) []byte {
		return withLen(dst, func(d []byte) []byte { return append(d, col.ValueStr(i)...) })
	})
}

func appendInt(dst []byte, v int64, size int, bin bool) []byte {
	if bin {
		switch size {
		case 2:
			dst = binary.BigEndian.AppendUint32(dst, 2)
			return binary.BigEndian.AppendUint16(dst, uint16(int16(v)))
		case 4:
			dst = binary.BigEndian.AppendUint32(dst, 4)
			return binary.BigEndian.AppendUint32(dst, uint32(int32(v)))
		}
		dst = binary.BigEndian.AppendUint32(dst, 8)
		return binary.BigEndian.AppendUint64(dst, uint64(v))
	}
	return withLen(dst, func(d []byte) []byte { return strconv.AppendInt(d, v, 10) })
}

func appendFloat(dst []byte, v float64, bits int, bin bool) []byte {
	if bin {
		if bits == 32 {
			dst = binary.BigEndian.AppendUint32(dst, 4)
			return binary.BigEndian.AppendUint32(dst, math.Float32bits(float32(v)))
		}
		dst = binary.BigEndian.AppendUint32(dst, 8)
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(v))
	}
	return withLen(dst, func(d []byte) []byte { return appendFloatText(d, v, bits) })
}

// appendFloatText appends v as PostgreSQL 15 prints float4/float8 with the
// default extra_float_digits (1): the shortest text that round-trips, in
// fixed notation when the decimal exponent is in [-4, 15) for float8 and
// [-4, 6) for float4 (PostgreSQL's Ryu thresholds), otherwise as 1.5e+20.
func appendFloatText(dst []byte, v float64, bits int) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, "NaN"...)
	case math.IsInf(v, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(v, -1):
		return append(dst, "-Infinity"...)
	}
	var tmp [40]byte
	e := strconv.AppendFloat(tmp[:0], v, 'e', -1, bits)
	exp := 0
	for j := len(e) - 1; j >= 0; j-- {
		if e[j] == 'e' {
			n, _ := strconv.Atoi(string(e[j+1:]))
			exp = n
			break
		}
	}
	hi := 15
	if bits == 32 {
		hi = 6
	}
	if exp >= -4 && exp < hi {
		return strconv.AppendFloat(dst, v, 'f', -1, bits)
	}
	return append(dst, e...)
}

// appendDecimal128 appends n scaled by scale as decimal text ("-12.50").
func appendDecimal128(dst []byte, n decimal128.Num, scale int32) []byte {
	neg := n.Sign() < 0
	abs := n.Abs()
	var digits []byte
	var tmp [48]byte
	if abs.HighBits() == 0 {
		digits = strconv.AppendUint(tmp[:0], abs.LowBits(), 10)
	} else {
		digits = abs.BigInt().Append(tmp[:0], 10)
	}
	if neg {
		dst = append(dst, '-')
	}
	if scale <= 0 {
		dst = append(dst, digits...)
		for range -scale {
			dst = append(dst, '0')
		}
		return dst
	}
	s := int(scale)
	if len(digits) <= s {
		dst = append(dst, '0', '.')
		for range s - len(digits) {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	dst = append(dst, digits[:len(digits)-s]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-s:]...)
}

// appendNumericBinary appends the binary numeric form of the decimal text s
// ("-123.45"): ndigits, weight, sign, dscale and base-10000 digits.
func appendNumericBinary(dst []byte, s []byte, dscale int) []byte {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	intPart, frac := s, []byte(nil)
	for j, c := range s {
		if c == '.' {
			intPart, frac = s[:j], s[j+1:]
			break
		}
	}
	for len(intPart) > 0 && intPart[0] == '0' {
		intPart = intPart[1:]
	}
	// Base-10000 digits: the integer part is grouped from the decimal point
	// leftwards, the fraction rightwards (padded with zeros).
	var groups [64]int16
	n := 0
	lead := len(intPart) % 4
	if lead == 0 && len(intPart) > 0 {
		lead = 4
	}
	weight := -1
	if len(intPart) > 0 {
		weight = (len(intPart)+3)/4 - 1
		g := 0
		for j := 0; j < len(intPart); {
			w := 4
			if j == 0 {
				w = lead
			}
			g = 0
			for k := 0; k < w; k++ {
				g = g*10 + int(intPart[j+k]-'0')
			}
			if n < len(groups) {
				groups[n] = int16(g)
				n++
			}
			j += w
		}
	}
	for j := 0; j < len(frac); j += 4 {
		g := 0
		for k := 0; k < 4; k++ {
			g *= 10
			if j+k < len(frac) {
				g += int(frac[j+k] - '0')
			}
		}
		if n < len(groups) {
			groups[n] = int16(g)
			n++
		}
	}
	// Strip leading zero groups (adjusting the weight) and trailing ones.
	start := 0
	for start < n && groups[start] == 0 {
		start++
		weight--
	}
	for n > start && groups[n-1] == 0 {
		n--
	}
	if start == n {
		weight = 0
	}
	var sign uint16
	if neg && start < n {
		sign = 0x4000
	}
	return withLen(dst, func(d []byte) []byte {
		d = binary.BigEndian.AppendUint16(d, uint16(n-start))
		d = binary.BigEndian.AppendUint16(d, uint16(int16(weight)))
		d = binary.BigEndian.AppendUint16(d, sign)
		d = binary.BigEndian.AppendUint16(d, uint16(dscale))
		for _, g := range groups[start:n] {
			d = binary.BigEndian.AppendUint16(d, uint16(g))
		}
		return d
	})
}

func appendText(dst []byte, s string, jsonbBinary bool) []byte {
	if jsonbBinary {
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)+1))
		dst = append(dst, 1) // jsonb binary format version
		return append(dst, s...)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

func appendBytea(dst []byte, b []byte, bin, jsonb bool) []byte {
	switch {
	case jsonb && bin:
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)+1))
		dst = append(dst, 1)
		return append(dst, b...)
	case jsonb || bin:
		dst = binary.BigEndian.AppendUint32(dst, uint32(len(b)))
		return append(dst, b...)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(2+2*len(b)))
	dst = append(dst, '\\', 'x')
	return hex.AppendEncode(dst, b)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// toMicros converts a timestamp in unit to microseconds since the epoch
// (flooring nanoseconds, so instants before 1970 stay in their microsecond).
func toMicros(v int64, unit arrow.TimeUnit) int64 {
	switch unit {
	case arrow.Second:
		return v * 1000000
	case arrow.Millisecond:
		return v * 1000
	case arrow.Nanosecond:
		return floorDiv(v, 1000)
	}
	return v
}

// appendTimestamp appends µs since the UNIX epoch as a PostgreSQL
// timestamp[tz]: text 'YYYY-MM-DD HH:MM:SS[.ffffff][+00][ BC]' or binary µs
// since 2000-01-01. math.MaxInt64/MinInt64 are infinity/-infinity.
func appendTimestamp(dst []byte, us int64, tz, bin bool) []byte {
	if bin {
		dst = binary.BigEndian.AppendUint32(dst, 8)
		if us == math.MaxInt64 || us == math.MinInt64 {
			return binary.BigEndian.AppendUint64(dst, uint64(us))
		}
		return binary.BigEndian.AppendUint64(dst, uint64(us-pgEpochMicros))
	}
	return withLen(dst, func(d []byte) []byte { return appendTimestampText(d, us, tz) })
}

func appendTimestampText(d []byte, us int64, tz bool) []byte {
	switch us {
	case math.MaxInt64:
		return append(d, "infinity"...)
	case math.MinInt64:
		return append(d, "-infinity"...)
	}
	sec := floorDiv(us, 1000000)
	frac := us - sec*1000000
	t := time.Unix(sec, 0).UTC()
	d, bc := appendYMD(d, t)
	h, m, s := t.Clock()
	d = append(d, ' ')
	d = appendPadded(d, int64(h), 2)
	d = append(d, ':')
	d = appendPadded(d, int64(m), 2)
	d = append(d, ':')
	d = appendPadded(d, int64(s), 2)
	if frac != 0 {
		d = append(d, '.')
		digits := 6
		for frac%10 == 0 {
			frac /= 10
			digits--
		}
		d = appendPadded(d, frac, digits)
	}
	if tz {
		d = append(d, '+', '0', '0')
	}
	if bc {
		d = append(d, " BC"...)
	}
	return d
}

// appendYMD appends t's date as YYYY-MM-DD, with years before 1 AD
// counted the way PostgreSQL prints them (year 0 is 1 BC); bc reports
// whether the caller must append " BC".
func appendYMD(d []byte, t time.Time) (_ []byte, bc bool) {
	year, month, day := t.Date()
	bc = year <= 0
	if bc {
		year = 1 - year
	}
	d = appendPadded(d, int64(year), 4)
	d = append(d, '-')
	d = appendPadded(d, int64(month), 2)
	d = append(d, '-')
	return appendPadded(d, int64(day), 2), bc
}

// appendDate appends days since the UNIX epoch as a PostgreSQL date.
func appendDate(dst []byte, days int64, bin bool) []byte {
	if bin {
		dst = binary.BigEndian.AppendUint32(dst, 4)
		return binary.BigEndian.AppendUint32(dst, uint32(int32(days-pgEpochDays)))
	}
	return withLen(dst, func(d []byte) []byte {
		d, bc := appendYMD(d, time.Unix(days*86400, 0).UTC())
		if bc {
			d = append(d, " BC"...)
		}
		return d
	})
}

// appendPadded appends non-negative v with at least width digits.
func appendPadded(d []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for range width - len(s) {
		d = append(d, '0')
	}
	return append(d, s...)
}

// dataRows is a pgproto3.BackendMessage that encodes rows [lo, hi) of a
// record batch as consecutive DataRow messages, straight from the Arrow
// columns into the backend's send buffer.
type dataRows struct {
	encs   []colEncoder
	lo, hi int
	// size is set by Encode to the number of bytes it appended.
	size int
}

var _ pgproto3.BackendMessage = (*dataRows)(nil)

// Backend implements pgproto3.BackendMessage.
func (*dataRows) Backend() {}

// Decode implements pgproto3.Message; dataRows is send-only.
func (*dataRows) Decode([]byte) error { return errSendOnly }

// Encode implements pgproto3.Message.
func (m *dataRows) Encode(dst []byte) ([]byte, error) {
	start := len(dst)
	defer func() { m.size = len(dst) - start }()
	for i := m.lo; i < m.hi; i++ {
		dst = append(dst, 'D')
		sp := len(dst)
		dst = append(dst, 0, 0, 0, 0)
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(m.encs)))
		for _, enc := range m.encs {
			dst = enc(dst, i)
		}
		binary.BigEndian.PutUint32(dst[sp:], uint32(len(dst)-sp))
	}
	return dst, nil
}

// newEncoders returns the column encoders of rec for the given per-column
// formats (nil = text).
func newEncoders(rec arrow.RecordBatch, formats []int16) []colEncoder {
	schema := rec.Schema()
	encs := make([]colEncoder, rec.NumCols())
	for i := range encs {
		var format int16
		if formats != nil {
			format = formats[i]
		}
		encs[i] = newColEncoder(schema.Field(i), rec.Column(i), format)
	}
	return encs
}
