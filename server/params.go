package server

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/sql"
)

// decodeParam converts the Bind value of parameter n ($n) of type t from
// its wire format into the Go value the planner expects: nil, bool, int64,
// float64, string, []byte, int64 µs since the epoch for timestamps, int64
// days for dates, and numeric as its decimal text. A nil t (type unknown)
// takes text as string.
func decodeParam(raw []byte, t arrow.DataType, format int16, n int) (any, error) {
	if raw == nil {
		return nil, nil
	}
	pt := pgTypeOf(t)
	if t == nil {
		pt = pgType{oid: oidText, oidName: "text"}
	}
	if format == pgproto3.BinaryFormat {
		return decodeBinaryParam(raw, pt, n)
	}
	if format != pgproto3.TextFormat {
		return nil, protocolErrorf("unsupported format code: %d", format)
	}
	s := string(raw)
	bad := func() error {
		return sql.Errorf(sql.CodeInvalidText, "invalid input syntax for type %s: %q", pt.oidName, s)
	}
	switch pt.oid {
	case oidBool:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "t", "true", "y", "yes", "on", "1":
			return true, nil
		case "f", "false", "n", "no", "off", "0":
			return false, nil
		}
		return nil, bad()
	case oidInt2, oidInt4, oidInt8:
		bits := map[uint32]int{oidInt2: 16, oidInt4: 32, oidInt8: 64}[pt.oid]
		v, err := strconv.ParseInt(strings.TrimSpace(s), 10, bits)
		if err != nil {
			if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
				return nil, sql.Errorf(sql.CodeNumericOutOfRange, "value %q is out of range for type %s", s, pt.oidName)
			}
			return nil, bad()
		}
		return v, nil
	case oidFloat4, oidFloat8:
		return parseFloat(s, bad)
	case oidNumeric:
		if !isDecimal(strings.TrimSpace(s)) {
			return nil, bad()
		}
		return strings.TrimSpace(s), nil
	case oidTimestamp, oidTimestamptz:
		us, ok := parseTimestamp(s)
		if !ok {
			return nil, bad()
		}
		return us, nil
	case oidDate:
		d, err := time.Parse("2006-01-02", strings.TrimSpace(s))
		if err != nil {
			return nil, bad()
		}
		return floorDiv(d.Unix(), 86400), nil
	case oidBytea:
		if strings.HasPrefix(s, `\x`) {
			b, err := hex.DecodeString(s[2:])
			if err != nil {
				return nil, bad()
			}
			return b, nil
		}
		return []byte(s), nil
	}
	return s, nil
}

func parseFloat(s string, bad func() error) (any, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "nan":
		return math.NaN(), nil
	case "infinity", "inf", "+infinity", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return nil, bad()
	}
	return v, nil
}

// isDecimal reports whether s is [+-]digits[.digits] or [+-].digits.
func isDecimal(s string) bool {
	s = strings.TrimLeft(s, "+-")
	digits, dot := 0, false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// timestampLayouts are the input forms accepted for timestamp parameters
// (ISO with a space or 'T', optional fraction and zone).
var timestampLayouts = []string{
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02 15:04:05.999999999Z07",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999Z07",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
}

// parseTimestamp parses s as µs since the epoch (UTC when no zone is given).
func parseTimestamp(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "infinity":
		return math.MaxInt64, true
	case "-infinity":
		return math.MinInt64, true
	}
	bc := false
	if strings.HasSuffix(s, " BC") {
		bc, s = true, strings.TrimSuffix(s, " BC")
	}
	for _, layout := range timestampLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if bc {
				t = t.AddDate(1-2*t.Year(), 0, 0)
			}
			return t.Unix()*1000000 + int64(t.Nanosecond()/1000), true
		}
	}
	return 0, false
}

// decodeBinaryParam decodes the binary wire format of pt.
func decodeBinaryParam(raw []byte, pt pgType, n int) (any, error) {
	wrongSize := func() error {
		return sql.Errorf(codeInvalidBinaryData, "incorrect binary data format in bind parameter %d", n)
	}
	switch pt.oid {
	case oidBool:
		if len(raw) != 1 {
			return nil, wrongSize()
		}
		return raw[0] != 0, nil
	case oidInt2:
		if len(raw) != 2 {
			return nil, wrongSize()
		}
		return int64(int16(binary.BigEndian.Uint16(raw))), nil
	case oidInt4:
		if len(raw) != 4 {
			return nil, wrongSize()
		}
		return int64(int32(binary.BigEndian.Uint32(raw))), nil
	case oidInt8:
		if len(raw) != 8 {
			return nil, wrongSize()
		}
		return int64(binary.BigEndian.Uint64(raw)), nil
	case oidFloat4:
		if len(raw) != 4 {
			return nil, wrongSize()
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(raw))), nil
	case oidFloat8:
		if len(raw) != 8 {
			return nil, wrongSize()
		}
		return math.Float64frombits(binary.BigEndian.Uint64(raw)), nil
	case oidTimestamp, oidTimestamptz:
		if len(raw) != 8 {
			return nil, wrongSize()
		}
		v := int64(binary.BigEndian.Uint64(raw))
		if v == math.MaxInt64 || v == math.MinInt64 {
			return v, nil
		}
		return v + pgEpochMicros, nil
	case oidDate:
		if len(raw) != 4 {
			return nil, wrongSize()
		}
		return int64(int32(binary.BigEndian.Uint32(raw))) + pgEpochDays, nil
	case oidNumeric:
		s, ok := numericBinaryToText(raw)
		if !ok {
			return nil, wrongSize()
		}
		return s, nil
	case oidBytea:
		return raw, nil
	}
	return string(raw), nil
}

// numericBinaryToText decodes PostgreSQL's binary numeric into decimal text.
func numericBinaryToText(raw []byte) (string, bool) {
	if len(raw) < 8 {
		return "", false
	}
	ndigits := int(binary.BigEndian.Uint16(raw))
	weight := int(int16(binary.BigEndian.Uint16(raw[2:])))
	sign := binary.BigEndian.Uint16(raw[4:])
	dscale := int(binary.BigEndian.Uint16(raw[6:]))
	if len(raw) != 8+2*ndigits || dscale > 1000 {
		return "", false
	}
	if sign == 0xC000 {
		return "NaN", true
	}
	digit := func(i int) int {
		if i < 0 || i >= ndigits {
			return 0
		}
		return int(binary.BigEndian.Uint16(raw[8+2*i:]))
	}
	var b strings.Builder
	if sign == 0x4000 {
		b.WriteByte('-')
	}
	if weight < 0 {
		b.WriteByte('0')
	} else {
		for i := 0; i <= weight; i++ {
			d := digit(i)
			if i == 0 {
				b.WriteString(strconv.Itoa(d))
			} else {
				b.WriteString(leftPad4(d))
			}
		}
	}
	if dscale > 0 {
		b.WriteByte('.')
		var frac strings.Builder
		for i := weight + 1; frac.Len() < dscale; i++ {
			frac.WriteString(leftPad4(digit(i)))
		}
		b.WriteString(frac.String()[:dscale])
	}
	return b.String(), true
}

func leftPad4(d int) string {
	s := strconv.Itoa(d)
	return strings.Repeat("0", max(0, 4-len(s))) + s
}
