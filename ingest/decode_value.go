package ingest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strconv"
	"unicode/utf8"
	"unsafe"
)

var (
	litTrue  = []byte("true")
	litFalse = []byte("false")
)

// parseField parses the value at s into column col's slot.
func (d *Decoder) parseField(s *scanner, col int) error {
	c, sl := &d.cols[col], &d.slots[col]
	if s.peek() == 'n' {
		if err := s.literal("null"); err != nil {
			return err
		}
		sl.valid = false
		return nil
	}
	var err error
	switch c.kind {
	case kString, kJSON:
		err = d.parseText(s, sl, c.kind == kJSON)
	case kBinary:
		err = d.parseBinary(s, sl)
	default:
		err = d.parseScalar(s, c, sl)
	}
	if err != nil {
		if errors.Is(err, ErrDecode) {
			return err
		}
		return fmt.Errorf("%w: field %q: %v", ErrDecode, c.name, err)
	}
	sl.valid = true
	return nil
}

// parseScalar handles the columns whose value is one number, boolean or
// string token.
func (d *Decoder) parseScalar(s *scanner, c *column, sl *slot) error {
	tok, isStr, isInt, err := d.scalar(s)
	if err != nil {
		return err
	}
	switch c.kind {
	case kBool:
		sl.i, err = parseBool(tok)
	case kInt16:
		sl.i, err = parseInt(tok, isStr, isInt, math.MinInt16, math.MaxInt16)
	case kInt32:
		sl.i, err = parseInt(tok, isStr, isInt, math.MinInt32, math.MaxInt32)
	case kInt64:
		sl.i, err = parseInt(tok, isStr, isInt, math.MinInt64, math.MaxInt64)
	case kFloat32:
		sl.f, err = parseFloat(tok, 32)
	case kFloat64:
		sl.f, err = parseFloat(tok, 64)
	case kDecimal:
		sl.dec, err = parseDecimal(tok, c.prec, c.scale)
	case kTimestamp:
		sl.i, err = parseTimestampToken(tok, isStr, isInt)
	case kDate32:
		if !isStr {
			return fmt.Errorf("date must be a string, got %s", tok)
		}
		sl.i, err = parseDate(tok)
	}
	return err
}

// scalar reads a string, number or boolean token. Strings come back
// unescaped (in d.buf when they had escapes).
func (d *Decoder) scalar(s *scanner) (tok []byte, isStr, isInt bool, err error) {
	switch c := s.peek(); {
	case c == '"':
		raw, esc, err := s.scanString()
		if err != nil {
			return nil, false, false, err
		}
		if !esc {
			return raw, true, false, nil
		}
		start := len(d.buf)
		if d.buf, err = unescape(d.buf, raw); err != nil {
			return nil, false, false, err
		}
		return d.buf[start:], true, false, nil
	case c == 't':
		return litTrue, false, false, s.literal("true")
	case c == 'f':
		return litFalse, false, false, s.literal("false")
	case c == '-' || ('0' <= c && c <= '9'):
		tok, isInt, err := s.scanNumber()
		return tok, false, isInt, err
	case c == '{' || c == '[':
		return nil, false, false, errors.New("expected a scalar, got an object or array")
	}
	return nil, false, false, s.syntaxErr("expected a value")
}

// parseText keeps a string's decoded text; for JSONB, or for any non-string
// value in a text column, it keeps the value's JSON text.
func (d *Decoder) parseText(s *scanner, sl *slot, asJSON bool) error {
	start := s.i
	if s.peek() != '"' || asJSON {
		if err := s.skipValue(0); err != nil {
			return err
		}
		sl.b = s.b[start:s.i]
		if !utf8.Valid(sl.b) {
			return errors.New("invalid UTF-8")
		}
		return nil
	}
	raw, esc, err := s.scanString()
	if err != nil {
		return err
	}
	if !utf8.Valid(raw) {
		return errors.New("invalid UTF-8")
	}
	if !esc {
		sl.b = raw
		return nil
	}
	at := len(d.buf)
	if d.buf, err = unescape(d.buf, raw); err != nil {
		return err
	}
	sl.b = d.buf[at:]
	return nil
}

// parseBinary decodes bytea text: "\x" followed by hex digits, or base64.
func (d *Decoder) parseBinary(s *scanner, sl *slot) error {
	if s.peek() != '"' {
		return errors.New("bytea must be a base64 or \\x hex string")
	}
	tok, _, _, err := d.scalar(s)
	if err != nil {
		return err
	}
	at := len(d.buf)
	if len(tok) >= 2 && tok[0] == '\\' && tok[1] == 'x' {
		d.buf, err = appendHex(d.buf, tok[2:])
	} else {
		d.buf, err = appendBase64(d.buf, tok)
	}
	if err != nil {
		return err
	}
	sl.b = d.buf[at:]
	return nil
}

func appendHex(dst, src []byte) ([]byte, error) {
	if len(src)%2 != 0 {
		return dst, errors.New("odd number of hex digits")
	}
	for i := 0; i < len(src); i += 2 {
		hi, ok1 := unhex(src[i])
		lo, ok2 := unhex(src[i+1])
		if !ok1 || !ok2 {
			return dst, fmt.Errorf("invalid hex digit in %q", src)
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func appendBase64(dst, src []byte) ([]byte, error) {
	enc := base64.StdEncoding
	if len(src)%4 != 0 {
		enc = base64.RawStdEncoding
	}
	at := len(dst)
	dst = append(dst, make([]byte, enc.DecodedLen(len(src)))...)
	n, err := enc.Decode(dst[at:], src)
	if err != nil {
		return dst[:at], fmt.Errorf("invalid base64: %v", err)
	}
	return dst[:at+n], nil
}

func parseBool(tok []byte) (int64, error) {
	switch string(tok) {
	case "true":
		return 1, nil
	case "false":
		return 0, nil
	}
	return 0, fmt.Errorf("invalid boolean %q", tok)
}

// parseInt converts a number token, or a string holding a number, to an
// integer in [lo, hi]; the value must be integral.
func parseInt(tok []byte, isStr, isInt bool, lo, hi int64) (int64, error) {
	if isStr {
		end, i, ok := numberEnd(tok, 0)
		if !ok || end != len(tok) {
			return 0, fmt.Errorf("invalid integer %q", tok)
		}
		isInt = i
	}
	if isInt {
		v, ok := atoi(tok)
		if !ok || v < lo || v > hi {
			return 0, fmt.Errorf("integer %s out of range", tok)
		}
		return v, nil
	}
	f, err := strconv.ParseFloat(bytesString(tok), 64)
	if err != nil || f != math.Trunc(f) {
		return 0, fmt.Errorf("%s is not an integer", tok)
	}
	// float64(hi) rounds MaxInt64 up to 2^63, so compare with < for it.
	if f < float64(lo) || f > float64(hi) || f == 9223372036854775808.0 {
		return 0, fmt.Errorf("integer %s out of range", tok)
	}
	return int64(f), nil
}

// atoi parses an optionally negative run of decimal digits.
func atoi(tok []byte) (int64, bool) {
	neg := len(tok) > 0 && tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	if len(tok) == 0 {
		return 0, false
	}
	var u uint64
	for _, c := range tok {
		dg := uint64(c - '0')
		if dg > 9 || u > (math.MaxUint64-dg)/10 {
			return 0, false
		}
		u = u*10 + dg
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return int64(-u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}

// parseFloat converts a number token or a string holding a number
// (including NaN and ±Infinity, which JSON numbers cannot express).
func parseFloat(tok []byte, bits int) (float64, error) {
	f, err := strconv.ParseFloat(bytesString(tok), bits)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) && !math.IsInf(f, 0) {
			return f, nil // underflow to zero
		}
		return 0, fmt.Errorf("invalid or out-of-range number %q", tok)
	}
	return f, nil
}

// bytesString views b as a string without copying. Only for callees that
// do not retain the string (strconv keeps it in errors, which we discard).
func bytesString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
