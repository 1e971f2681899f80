package ingest

import (
	"encoding/base64"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// timestampLayout is how EncodeJSON writes timestamps; the Decoder reads it
// back as UTC.
const timestampLayout = "2006-01-02 15:04:05.000000"

// EncodeJSON appends row of b to dst as one JSON object keyed by field
// name and returns the extended slice. NULL is null, timestamps are
// "YYYY-MM-DD HH:MM:SS.ffffff" (UTC), dates "YYYY-MM-DD", bytea base64,
// numerics unquoted numbers, NaN and ±Inf the strings "NaN", "Infinity"
// and "-Infinity", and JSONB columns their JSON text. Pseudo-columns
// (_partition, _offset, _timestamp, _key) describe the Kafka record, not
// its payload, and are left out. A Decoder with b's schema decodes the
// result back to the same row.
func EncodeJSON(b arrow.RecordBatch, row int, dst []byte) []byte {
	dst = append(dst, '{')
	first := true
	for i, f := range b.Schema().Fields() {
		switch f.Name {
		case ColPartition, ColOffset, ColTimestamp, ColKey:
			continue
		}
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, f.Name)
		dst = append(dst, ':')
		dst = appendJSONValue(dst, f, b.Column(i), row)
	}
	return append(dst, '}')
}

// appendJSONValue writes one cell. The type switch is the dispatcher for
// every column type the Decoder accepts.
func appendJSONValue(dst []byte, f arrow.Field, col arrow.Array, row int) []byte {
	if col.IsNull(row) {
		return append(dst, "null"...)
	}
	switch a := col.(type) {
	case *array.Boolean:
		return strconv.AppendBool(dst, a.Value(row))
	case *array.Int16:
		return strconv.AppendInt(dst, int64(a.Value(row)), 10)
	case *array.Int32:
		return strconv.AppendInt(dst, int64(a.Value(row)), 10)
	case *array.Int64:
		return strconv.AppendInt(dst, a.Value(row), 10)
	case *array.Float32:
		return appendFloat(dst, float64(a.Value(row)), 32)
	case *array.Float64:
		return appendFloat(dst, a.Value(row), 64)
	case *array.Decimal128:
		return appendDecimal(dst, a.Value(row), a.DataType().(*arrow.Decimal128Type).Scale)
	case *array.String:
		v := a.Value(row)
		if isJSONB(f) && validJSON([]byte(v)) {
			return append(dst, v...)
		}
		return appendJSONString(dst, v)
	case *array.Binary:
		dst = append(dst, '"')
		dst = base64.StdEncoding.AppendEncode(dst, a.Value(row))
		return append(dst, '"')
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		t := a.Value(row).ToTime(unit)
		dst = append(dst, '"')
		dst = t.UTC().AppendFormat(dst, timestampLayout)
		return append(dst, '"')
	case *array.Date32:
		dst = append(dst, '"')
		dst = time.UnixMicro(int64(a.Value(row))*microsPerDay).UTC().AppendFormat(dst, "2006-01-02")
		return append(dst, '"')
	}
	return appendJSONString(dst, col.ValueStr(row))
}

func isJSONB(f arrow.Field) bool {
	v, ok := f.Metadata.GetValue(sqlTypeKey)
	return ok && (v == "jsonb" || v == "JSONB")
}

// validJSON reports whether b is exactly one JSON value.
func validJSON(b []byte) bool {
	s := scanner{b: b}
	s.ws()
	if s.skipValue(0) != nil {
		return false
	}
	return s.end() == nil
}

func appendFloat(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, `"NaN"`...)
	case math.IsInf(f, 1):
		return append(dst, `"Infinity"`...)
	case math.IsInf(f, -1):
		return append(dst, `"-Infinity"`...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, bits)
}

func appendDecimal(dst []byte, n decimal128.Num, scale int32) []byte {
	return append(dst, n.ToString(scale)...)
}

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as a JSON string. Invalid UTF-8 becomes
// U+FFFD, as in encoding/json.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				dst = append(dst, '\\', c)
			case c == '\n':
				dst = append(dst, '\\', 'n')
			case c == '\r':
				dst = append(dst, '\\', 'r')
			case c == '\t':
				dst = append(dst, '\\', 't')
			case c < 0x20:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				dst = append(dst, c)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			dst = append(dst, `\ufffd`...)
		} else {
			dst = append(dst, s[i:i+n]...)
		}
		i += n
	}
	return append(dst, '"')
}
