package exec

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

const (
	microsPerSecond = int64(1_000_000)
	microsPerDay    = 86_400 * microsPerSecond
)

// floorDiv divides rounding toward minus infinity, so pre-1970 timestamps
// land in the window or day that contains them.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// appendScalarText appends the PostgreSQL text form of canonical value v.
func appendScalarText(dst []byte, v any, t arrow.DataType) ([]byte, error) {
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		return strconv.AppendInt(dst, v.(int64), 10), nil
	case arrow.FLOAT32:
		return appendFloatText(dst, v.(float64), 32), nil
	case arrow.FLOAT64:
		return appendFloatText(dst, v.(float64), 64), nil
	case arrow.DECIMAL128:
		return append(dst, v.(decimal128.Num).ToString(t.(*arrow.Decimal128Type).Scale)...), nil
	case arrow.BOOL:
		if v.(bool) {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case arrow.STRING:
		return append(dst, v.(string)...), nil
	case arrow.BINARY:
		dst = append(dst, `\x`...)
		return hex.AppendEncode(dst, v.([]byte)), nil
	case arrow.TIMESTAMP:
		return appendTimestampText(dst, v.(int64), t.(*arrow.TimestampType).TimeZone != ""), nil
	case arrow.DATE32:
		return appendDateText(dst, v.(int64)), nil
	}
	return dst, fmt.Errorf("text form of %s not supported", t)
}

func formatScalar(v any, t arrow.DataType) (string, error) {
	b, err := appendScalarText(nil, v, t)
	return string(b), err
}

// appendFloatText writes the shortest round-trip digits the way PostgreSQL
// 12+ does: plain notation for decimal exponents in [-4, 15) (float8) or
// [-4, 6) (float4), scientific otherwise.
func appendFloatText(dst []byte, f float64, bits int) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	maxExp := 15
	if bits == 32 {
		maxExp = 6
	}
	exp := int(math.Floor(math.Log10(math.Abs(f))))
	// Log10 can be off by one at exact powers; the 'e' form is authoritative.
	e := strconv.FormatFloat(f, 'e', -1, bits)
	if i := strings.LastIndexByte(e, 'e'); i >= 0 {
		if x, err := strconv.Atoi(e[i+1:]); err == nil {
			exp = x
		}
	}
	if exp < -4 || exp >= maxExp {
		return append(dst, e...)
	}
	return strconv.AppendFloat(dst, f, 'f', -1, bits)
}

// appendTimestampText writes 'YYYY-MM-DD HH:MM:SS[.ffffff]' (fraction
// without trailing zeros), '+00' when zoned, and ' BC' for years <= 0.
func appendTimestampText(dst []byte, us int64, zoned bool) []byte {
	days := floorDiv(us, microsPerDay)
	rem := us - days*microsPerDay
	dst = appendDateText(dst, days)
	bc := len(dst) > 3 && string(dst[len(dst)-3:]) == " BC"
	if bc {
		dst = dst[:len(dst)-3]
	}
	secs := rem / microsPerSecond
	frac := rem % microsPerSecond
	dst = fmt.Appendf(dst, " %02d:%02d:%02d", secs/3600, secs/60%60, secs%60)
	if frac != 0 {
		f := fmt.Sprintf("%06d", frac)
		dst = append(dst, '.')
		dst = append(dst, strings.TrimRight(f, "0")...)
	}
	if zoned {
		dst = append(dst, "+00"...)
	}
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

func appendDateText(dst []byte, days int64) []byte {
	t := time.Unix(days*86400, 0).UTC()
	y := t.Year()
	bc := y <= 0
	if bc {
		y = 1 - y
	}
	dst = fmt.Appendf(dst, "%04d-%02d-%02d", y, int(t.Month()), t.Day())
	if bc {
		dst = append(dst, " BC"...)
	}
	return dst
}

// parseText converts text to the canonical value of t (see Lit).
func parseText(s string, t arrow.DataType) (any, error) {
	s = strings.TrimSpace(s)
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		return parseIntText(s, t)
	case arrow.FLOAT32, arrow.FLOAT64:
		return parseFloatText(s)
	case arrow.DECIMAL128:
		dt := t.(*arrow.Decimal128Type)
		n, err := decimal128.FromString(s, dt.Precision, dt.Scale)
		if err != nil {
			return nil, fmt.Errorf("%w: invalid input syntax for type numeric: %q", ErrInvalidValue, s)
		}
		return n, nil
	case arrow.BOOL:
		return parseBoolText(s)
	case arrow.STRING:
		return s, nil
	case arrow.BINARY:
		return parseByteaText(s)
	case arrow.TIMESTAMP:
		return parseTimestampText(s, t.(*arrow.TimestampType).TimeZone != "")
	case arrow.DATE32:
		us, err := parseTimestampText(s, false)
		if err != nil {
			return nil, err
		}
		return floorDiv(us, microsPerDay), nil
	}
	return nil, fmt.Errorf("parse text as %s not supported", t)
}

func parseIntText(s string, t arrow.DataType) (any, error) {
	bits := map[arrow.Type]int{arrow.INT16: 16, arrow.INT32: 32, arrow.INT64: 64}[t.ID()]
	v, err := strconv.ParseInt(s, 10, bits)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, fmt.Errorf("%w: value %q is out of range for type %s", ErrNumericOverflow, s, t)
		}
		return nil, fmt.Errorf("%w: invalid input syntax for type %s: %q", ErrInvalidValue, t, s)
	}
	return v, nil
}

func parseFloatText(s string) (any, error) {
	switch strings.ToLower(s) {
	case "infinity", "+infinity", "inf", "+inf":
		return math.Inf(1), nil
	case "-infinity", "-inf":
		return math.Inf(-1), nil
	case "nan":
		return math.NaN(), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return nil, fmt.Errorf("%w: %q is out of range for type double precision", ErrNumericOverflow, s)
		}
		return nil, fmt.Errorf("%w: invalid input syntax for type double precision: %q", ErrInvalidValue, s)
	}
	return v, nil
}

func parseBoolText(s string) (any, error) {
	switch strings.ToLower(s) {
	case "t", "true", "y", "yes", "on", "1":
		return true, nil
	case "f", "false", "n", "no", "off", "0":
		return false, nil
	}
	return nil, fmt.Errorf("%w: invalid input syntax for type boolean: %q", ErrInvalidValue, s)
}

func parseByteaText(s string) (any, error) {
	if !strings.HasPrefix(s, `\x`) {
		return []byte(s), nil
	}
	b, err := hex.DecodeString(s[2:])
	if err != nil {
		return nil, fmt.Errorf("%w: invalid hexadecimal data for type bytea", ErrInvalidValue)
	}
	return b, nil
}

// parseTimestampText accepts 'YYYY-MM-DD[( |T)HH:MM[:SS[.f]]][ ][zone]'
// with zone Z, UTC, ±HH, ±HHMM or ±HH:MM. A zone shifts a timestamptz to
// UTC and is ignored for a timestamp, as in PostgreSQL.
func parseTimestampText(s string, zoned bool) (int64, error) {
	bad := fmt.Errorf("%w: invalid input syntax for type timestamp: %q", ErrInvalidValue, s)
	p := textScanner{s: s}
	y, ok1 := p.digits(4, 6)
	ok2 := p.lit('-')
	mo, ok3 := p.digits(2, 2)
	ok4 := p.lit('-')
	d, ok5 := p.digits(2, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return 0, bad
	}
	var h, mi, sec, frac int64
	if p.lit('T') || p.lit('t') || (p.peekTime() && p.lit(' ')) {
		var ok bool
		if h, mi, sec, frac, ok = p.clock(); !ok {
			return 0, bad
		}
	}
	off, ok := p.zone()
	if !ok || p.i != len(p.s) {
		return 0, bad
	}
	if mo < 1 || mo > 12 || d < 1 || h > 24 || mi > 59 || sec > 60 {
		return 0, bad
	}
	tm := time.Date(int(y), time.Month(mo), int(d), 0, 0, 0, 0, time.UTC)
	if tm.Day() != int(d) {
		return 0, bad
	}
	us := tm.Unix()*microsPerSecond + ((h*60+mi)*60+sec)*microsPerSecond + frac
	if zoned {
		us -= off * microsPerSecond
	}
	return us, nil
}

// textScanner is a cursor over timestamp text.
type textScanner struct {
	s string
	i int
}

func (p *textScanner) lit(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *textScanner) peekTime() bool {
	return p.i+1 < len(p.s) && p.s[p.i] == ' ' && p.s[p.i+1] >= '0' && p.s[p.i+1] <= '9'
}

func (p *textScanner) digits(minN, maxN int) (int64, bool) {
	start := p.i
	var v int64
	for p.i < len(p.s) && p.i-start < maxN && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
		v = v*10 + int64(p.s[p.i]-'0')
		p.i++
	}
	return v, p.i-start >= minN
}

func (p *textScanner) clock() (h, mi, sec, frac int64, ok bool) {
	var a, b, c bool
	h, a = p.digits(1, 2)
	b = p.lit(':')
	mi, c = p.digits(2, 2)
	if !(a && b && c) {
		return 0, 0, 0, 0, false
	}
	if p.lit(':') {
		if sec, ok = p.digits(2, 2); !ok {
			return 0, 0, 0, 0, false
		}
		if p.lit('.') {
			start := p.i
			f, okf := p.digits(1, 9)
			if !okf {
				return 0, 0, 0, 0, false
			}
			for n := p.i - start; n < 6; n++ {
				f *= 10
			}
			for n := p.i - start; n > 6; n-- {
				f /= 10
			}
			frac = f
		}
	}
	return h, mi, sec, frac, true
}

// zone parses an optional zone suffix into seconds east of UTC.
func (p *textScanner) zone() (int64, bool) {
	for p.lit(' ') {
	}
	rest := strings.ToUpper(p.s[p.i:])
	if rest == "" {
		return 0, true
	}
	if rest == "Z" || rest == "UTC" || rest == "GMT" {
		p.i = len(p.s)
		return 0, true
	}
	sign := int64(1)
	switch {
	case p.lit('+'):
	case p.lit('-'):
		sign = -1
	default:
		return 0, false
	}
	h, ok := p.digits(1, 2)
	if !ok {
		return 0, false
	}
	p.lit(':')
	m, _ := p.digits(2, 2)
	return sign * (h*3600 + m*60), true
}

func decimalFromInt(v int64, dt *arrow.Decimal128Type) (decimal128.Num, error) {
	n, err := decimal128.FromI64(v).Rescale(0, dt.Scale)
	if err != nil || !n.FitsInPrecision(dt.Precision) {
		return n, fmt.Errorf("%w: %d does not fit %s", ErrNumericOverflow, v, dt)
	}
	return n, nil
}

func decimalFromFloat(v float64, dt *arrow.Decimal128Type) (decimal128.Num, error) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return decimal128.Num{}, fmt.Errorf("%w: %v cannot be numeric", ErrInvalidValue, v)
	}
	n, err := decimal128.FromFloat64(v, dt.Precision, dt.Scale)
	if err != nil {
		return n, fmt.Errorf("%w: %v does not fit %s", ErrNumericOverflow, v, dt)
	}
	return n, nil
}
