package sql

import (
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// convertLiteral converts a constant to type t, as a cast of the constant
// would at run time. Errors are 22P02 (bad text), 22007 (bad date/time),
// 22003 (out of range) and 42846 (no such cast).
func convertLiteral(l *Literal, t arrow.DataType) (*Literal, error) {
	if l.Value == nil {
		return &Literal{T: t}, nil
	}
	v, err := convertValue(l.Value, l.T, t)
	if err != nil {
		return nil, err
	}
	return &Literal{Value: v, T: t}, nil
}

func convertValue(v any, from, to arrow.DataType) (any, error) {
	if isText(to) {
		return literalText(v, from), nil
	}
	switch x := v.(type) {
	case string:
		return parseTextAs(x, to)
	case int64:
		if temporalRank(from) > 0 {
			return convertTemporal(x, from, to)
		}
		if from.ID() == arrow.DURATION && to.ID() == arrow.DURATION {
			return x, nil
		}
		return convertNumber(float64(x), x, true, from, to)
	case float64:
		return convertNumber(x, 0, false, from, to)
	case decimal128.Num:
		f := x.ToFloat64(from.(*arrow.Decimal128Type).Scale)
		return convertNumber(f, int64(f), false, from, to)
	case bool:
		if isBool(to) {
			return x, nil
		}
		if to.ID() == arrow.INT32 {
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
	}
	return nil, cannotCast(from, to)
}

func cannotCast(from, to arrow.DataType) *Error {
	return Errorf(CodeCannotCoerce, "cannot cast type %s to %s", PGTypeName(from), PGTypeName(to))
}

// convertNumber converts a number (f, and i when exact is true) to to.
func convertNumber(f float64, i int64, exact bool, from, to arrow.DataType) (any, error) {
	switch to.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		if !exact {
			r := math.RoundToEven(f)
			if math.IsNaN(r) || r < -9.223372036854775e18 || r > 9.223372036854775e18 {
				return nil, Errorf(CodeNumericOutOfRange, "%s out of range", PGTypeName(to))
			}
			i = int64(r)
		}
		if !literalFits(&Literal{Value: i}, to) {
			return nil, Errorf(CodeNumericOutOfRange, "%s out of range", PGTypeName(to))
		}
		return i, nil
	case arrow.FLOAT32, arrow.FLOAT64:
		return f, nil
	case arrow.DECIMAL128:
		dt := to.(*arrow.Decimal128Type)
		if exact {
			n, err := decimal128.FromString(strconv.FormatInt(i, 10), dt.Precision, dt.Scale)
			if err != nil {
				return nil, Errorf(CodeNumericOutOfRange, "numeric field overflow")
			}
			return n, nil
		}
		n, err := decimal128.FromFloat64(f, dt.Precision, dt.Scale)
		if err != nil {
			return nil, Errorf(CodeNumericOutOfRange, "numeric field overflow")
		}
		return n, nil
	case arrow.BOOL:
		if exact && from.ID() == arrow.INT32 || exact && from.ID() == arrow.INT64 {
			return i != 0, nil
		}
	}
	return nil, cannotCast(from, to)
}

// convertTemporal converts between DATE (days), TIMESTAMP and TIMESTAMPTZ
// (microseconds; Sluice's session time zone is always UTC).
func convertTemporal(x int64, from, to arrow.DataType) (any, error) {
	const usPerDay = 86400 * 1e6
	switch {
	case temporalRank(to) == 0:
		return nil, cannotCast(from, to)
	case from.ID() == to.ID():
		return x, nil
	case from.ID() == arrow.DATE32:
		return x * usPerDay, nil
	}
	d := x / usPerDay
	if x%usPerDay < 0 {
		d--
	}
	return d, nil
}

// parseTextAs converts a string constant to type t.
func parseTextAs(s string, t arrow.DataType) (any, error) {
	trimmed := strings.TrimSpace(s)
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		i, err := strconv.ParseInt(trimmed, 10, 64)
		if err != nil || !literalFits(&Literal{Value: i}, t) {
			if ne, ok := err.(*strconv.NumError); err == nil || ok && ne.Err == strconv.ErrRange {
				return nil, Errorf(CodeNumericOutOfRange, "value %q is out of range for type %s", s, PGTypeName(t))
			}
			return nil, badText(t, s)
		}
		return i, nil
	case arrow.FLOAT32, arrow.FLOAT64:
		f, err := strconv.ParseFloat(trimmed, 64)
		if err != nil {
			return nil, badText(t, s)
		}
		return f, nil
	case arrow.DECIMAL128:
		dt := t.(*arrow.Decimal128Type)
		n, err := decimal128.FromString(trimmed, dt.Precision, dt.Scale)
		if err != nil {
			return nil, badText(t, s)
		}
		return n, nil
	case arrow.BOOL:
		return parseBool(trimmed, s)
	case arrow.BINARY:
		if strings.HasPrefix(s, `\x`) {
			b, err := hex.DecodeString(s[2:])
			if err != nil {
				return nil, badText(t, s)
			}
			return b, nil
		}
		return []byte(s), nil
	case arrow.TIMESTAMP:
		return parseTimestamp(trimmed, t)
	case arrow.DATE32:
		d, err := time.Parse("2006-01-02", trimmed)
		if err != nil {
			return nil, Errorf(CodeInvalidDatetime, "invalid input syntax for type date: %q", s)
		}
		return d.Unix() / 86400, nil
	case arrow.DURATION:
		iv, ok := parseCalendarInterval(s, "")
		if !ok {
			return nil, Errorf(CodeInvalidDatetime, "invalid input syntax for type interval: %q", s)
		}
		if iv.Months != 0 {
			return iv, nil
		}
		return iv.Micros, nil
	}
	return nil, cannotCast(typeText, t)
}

func badText(t arrow.DataType, s string) *Error {
	return Errorf(CodeInvalidText, "invalid input syntax for type %s: %q", PGTypeName(t), s)
}

func parseBool(v, orig string) (any, error) {
	switch strings.ToLower(v) {
	case "t", "true", "y", "yes", "on", "1":
		return true, nil
	case "f", "false", "n", "no", "off", "0":
		return false, nil
	}
	return nil, badText(typeBool, orig)
}

// timestampLayouts are the accepted timestamp spellings: PostgreSQL's
// 'YYYY-MM-DD HH:MM:SS[.ffffff][zone]' and RFC 3339.
var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseTimestamp reads a timestamp as microseconds since the epoch. Text
// without a zone is UTC (Sluice's TimeZone). As in PostgreSQL, a zone in
// the text is applied for TIMESTAMPTZ and silently ignored for TIMESTAMP:
// '2024-01-01 10:00+02'::timestamp is 10:00.
func parseTimestamp(s string, t arrow.DataType) (any, error) {
	for _, layout := range timestampLayouts {
		if ts, err := time.Parse(layout, s); err == nil {
			if temporalRank(t) == 2 {
				y, mo, d := ts.Date()
				ts = time.Date(y, mo, d, ts.Hour(), ts.Minute(), ts.Second(), ts.Nanosecond(), time.UTC)
			}
			return ts.UnixMicro(), nil
		}
	}
	return nil, Errorf(CodeInvalidDatetime, "invalid input syntax for type %s: %q", PGTypeName(t), s)
}
