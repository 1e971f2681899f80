package ingest

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"unicode/utf16"
	"unicode/utf8"
)

// maxDepth bounds the nesting of skipped or JSONB values so a hostile
// record cannot exhaust the stack.
const maxDepth = 512

// scanner is a cursor over one record's bytes.
type scanner struct {
	b []byte
	i int
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the current byte, or 0 at the end.
func (s *scanner) peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// expect consumes c or fails.
func (s *scanner) expect(c byte) error {
	if s.peek() != c {
		return s.syntaxErr(fmt.Sprintf("expected %q", c))
	}
	s.i++
	return nil
}

func (s *scanner) syntaxErr(what string) error {
	if s.i >= len(s.b) {
		return fmt.Errorf("%w: invalid JSON: %s at end of input", ErrDecode, what)
	}
	return fmt.Errorf("%w: invalid JSON: %s at byte %d", ErrDecode, what, s.i)
}

// parseObject walks the top-level object, parsing known keys into slots
// and skipping the rest.
func (d *Decoder) parseObject(b []byte) error {
	s := scanner{b: b}
	s.ws()
	if err := s.expect('{'); err != nil {
		return fmt.Errorf("%w: not a JSON object", ErrDecode)
	}
	s.ws()
	if s.peek() == '}' {
		s.i++
		return s.end()
	}
	for ord := 0; ; ord++ {
		col, err := d.key(&s, ord)
		if err != nil {
			return err
		}
		s.ws()
		if err := s.expect(':'); err != nil {
			return err
		}
		s.ws()
		if col < 0 {
			err = s.skipValue(0)
		} else {
			err = d.parseField(&s, col)
		}
		if err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case '}':
			s.i++
			return s.end()
		default:
			return s.syntaxErr("expected ',' or '}'")
		}
	}
}

// end checks that only whitespace follows the object.
func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.syntaxErr("trailing data")
	}
	return nil
}

// key scans an object key and returns its column, or -1.
func (d *Decoder) key(s *scanner, ord int) (int, error) {
	// Records from one producer repeat their key order: the key at this
	// ordinal usually is the previous record's, which a prefix compare of
	// its quoted form confirms without scanning or hashing (known and
	// unknown keys alike). A remembered key holds no quote or backslash, so
	// matching through its closing quote matches the whole token.
	if ord < len(d.order) {
		if g := &d.order[ord]; len(g.quoted) > 0 && bytes.HasPrefix(s.b[s.i:], g.quoted) {
			s.i += len(g.quoted)
			return g.col, nil
		}
	}
	raw, esc, err := s.scanString()
	if err != nil {
		return 0, err
	}
	col, err := d.lookupKey(s, raw, esc)
	if err == nil && !esc {
		d.rememberKey(ord, raw, col)
	}
	return col, err
}

// rememberKey records the key seen at ordinal ord, reusing its buffer.
// Only the first maxKeyOrder ordinals are remembered, so the cache stays
// bounded whatever the records look like.
func (d *Decoder) rememberKey(ord int, raw []byte, col int) {
	if ord >= maxKeyOrder {
		return
	}
	for len(d.order) <= ord {
		d.order = append(d.order, keyGuess{col: -1})
	}
	g := &d.order[ord]
	g.quoted = append(append(append(g.quoted[:0], '"'), raw...), '"')
	g.col = col
}

// lookupKey finds the column of a key by name, exactly first, then
// case-insensitively; -1 when no column has that name.
func (d *Decoder) lookupKey(s *scanner, raw []byte, esc bool) (int, error) {
	var err error
	if esc {
		if d.keyBuf, err = unescape(d.keyBuf[:0], raw); err != nil {
			return 0, s.syntaxErr(err.Error())
		}
		raw = d.keyBuf
	}
	// string(raw) in a map index does not allocate.
	if i, ok := d.byName[string(raw)]; ok {
		return i, nil
	}
	d.lowBuf = append(d.lowBuf[:0], raw...)
	for j, c := range d.lowBuf {
		if 'A' <= c && c <= 'Z' {
			d.lowBuf[j] = c + 'a' - 'A'
		}
	}
	if i, ok := d.byLower[string(d.lowBuf)]; ok {
		return i, nil
	}
	return -1, nil
}

// scanString consumes a JSON string and returns its raw content (between
// the quotes) and whether it contains escapes. Raw control characters are
// rejected; UTF-8 is validated by the callers that keep the value.
func (s *scanner) scanString() (raw []byte, esc bool, err error) {
	if err := s.expect('"'); err != nil {
		return nil, false, err
	}
	start := s.i
	// s.i may pass len(s.b) by one after an escape at the very end.
	for s.i < len(s.b) {
		s.i += specialIndex(s.b[s.i:])
		if s.i >= len(s.b) {
			break
		}
		switch c := s.b[s.i]; {
		case c == '"':
			raw = s.b[start:s.i]
			s.i++
			return raw, esc, nil
		case c == '\\':
			esc = true
			s.i += 2
		default: // a control character
			return nil, false, s.syntaxErr("control character in string")
		}
	}
	return nil, false, s.syntaxErr("unterminated string")
}

// SWAR constants: one byte value repeated in every byte of a word.
const (
	swarOnes  = 0x0101010101010101
	swarHighs = 0x8080808080808080
)

// specialIndex returns the index of the first '"', '\\' or control
// character in b, or len(b): the bytes before it scanString steps over
// without looking at them one by one. Long strings (urls, padding) dominate
// the records, so this is the decoder's hottest loop; it tests eight bytes
// at a time and finds the first special byte of a word from its bit mask,
// so a string costs one pass however short it is.
func specialIndex(b []byte) int {
	n := 0
	for len(b)-n >= 8 {
		x := binary.LittleEndian.Uint64(b[n:])
		quote := x ^ ('"' * swarOnes)
		slash := x ^ ('\\' * swarOnes)
		// A byte is zero in quote/slash, or below 0x20 in x, when
		// (v - 0x01…) & ^v & 0x80… has its high bit set (the classic
		// has-zero/has-less test). A borrow can set the bit of a byte
		// above a true match but never below one, so the lowest set bit
		// (the first byte, little-endian) is exact.
		special := (quote - swarOnes) & ^quote
		special |= (slash - swarOnes) & ^slash
		special |= (x - 0x20*swarOnes) & ^x
		if m := special & swarHighs; m != 0 {
			return n + bits.TrailingZeros64(m)>>3
		}
		n += 8
	}
	for ; n < len(b); n++ {
		if c := b[n]; c == '"' || c == '\\' || c < 0x20 {
			return n
		}
	}
	return n
}

var errBadEscape = errors.New("invalid escape in string")

// unescape appends the decoded form of a string's raw content to dst.
// Unpaired surrogates become U+FFFD, as encoding/json does.
func unescape(dst, raw []byte) ([]byte, error) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(raw) {
			return dst, errBadEscape
		}
		switch raw[i] {
		case '"', '\\', '/':
			dst = append(dst, raw[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, n, ok := unescapeU(raw[i+1:])
			if !ok {
				return dst, errBadEscape
			}
			dst = utf8.AppendRune(dst, r)
			i += n
		default:
			return dst, errBadEscape
		}
	}
	return dst, nil
}

// unescapeU decodes the hex digits after a \u (and a following \uXXXX
// low surrogate), returning the rune and how many bytes it consumed.
func unescapeU(b []byte) (rune, int, bool) {
	r, ok := hex4(b)
	if !ok {
		return 0, 0, false
	}
	if !utf16.IsSurrogate(r) {
		return r, 4, true
	}
	if len(b) >= 10 && b[4] == '\\' && b[5] == 'u' {
		if r2, ok := hex4(b[6:]); ok {
			if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
				return dec, 10, true
			}
		}
	}
	return utf8.RuneError, 4, true
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// skipValue consumes and validates one JSON value of any kind.
func (s *scanner) skipValue(depth int) error {
	if depth > maxDepth {
		return s.syntaxErr("nesting too deep")
	}
	switch c := s.peek(); {
	case c == '"':
		_, _, err := s.scanString()
		return err
	case c == '{':
		return s.skipContainer(depth, '}')
	case c == '[':
		return s.skipContainer(depth, ']')
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || ('0' <= c && c <= '9'):
		_, _, err := s.scanNumber()
		return err
	}
	return s.syntaxErr("expected a value")
}

// skipContainer consumes an object or array; s is at its opening bracket.
func (s *scanner) skipContainer(depth int, closer byte) error {
	s.i++
	s.ws()
	if s.peek() == closer {
		s.i++
		return nil
	}
	for {
		if closer == '}' {
			if _, _, err := s.scanString(); err != nil {
				return err
			}
			s.ws()
			if err := s.expect(':'); err != nil {
				return err
			}
			s.ws()
		}
		if err := s.skipValue(depth + 1); err != nil {
			return err
		}
		s.ws()
		switch s.peek() {
		case ',':
			s.i++
			s.ws()
		case closer:
			s.i++
			return nil
		default:
			return s.syntaxErr("expected ',' or closing bracket")
		}
	}
}

func (s *scanner) literal(lit string) error {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return s.syntaxErr("invalid literal")
	}
	s.i += len(lit)
	return nil
}

// scanNumber consumes a JSON number and returns its text and whether it is
// a plain integer (no fraction or exponent).
func (s *scanner) scanNumber() (tok []byte, isInt bool, err error) {
	start := s.i
	end, isInt, ok := numberEnd(s.b, s.i)
	if !ok {
		return nil, false, s.syntaxErr("invalid number")
	}
	s.i = end
	return s.b[start:end], isInt, nil
}

// numberEnd matches the JSON number grammar at b[i:] and returns where it
// ends.
func numberEnd(b []byte, i int) (end int, isInt, ok bool) {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && '1' <= b[i] && b[i] <= '9':
		i = digits(b, i)
	default:
		return i, false, false
	}
	isInt = true
	if i < len(b) && b[i] == '.' {
		isInt = false
		if j := digits(b, i+1); j > i+1 {
			i = j
		} else {
			return i, false, false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		isInt = false
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if j := digits(b, i); j > i {
			i = j
		} else {
			return i, false, false
		}
	}
	return i, isInt, true
}

func digits(b []byte, i int) int {
	for i < len(b) && '0' <= b[i] && b[i] <= '9' {
		i++
	}
	return i
}
