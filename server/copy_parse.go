package server

import (
	"bytes"
	"unicode/utf8"

	"github.com/sluicedb/sluice/sql"
)

// parseText reads one record of the text format from b into p.out and
// returns the bytes consumed. A field is NULL when its raw text equals the
// NULL string (before de-escaping, as CopyReadAttributesText does).
func (p *copyParser) parseText(b []byte, final bool) (int, error) {
	end := bytes.IndexByte(b, '\n')
	n := end + 1
	switch {
	case end >= 0:
	case !final:
		return 0, errNeedMore
	default:
		end, n = len(b), len(b)
	}
	line := b[:end]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	p.out = p.out[:0]
	for start := 0; ; {
		stop := textFieldEnd(line, start, p.f.Delimiter)
		raw := line[start:stop]
		if string(raw) == p.f.Null {
			p.out = append(p.out, copyField{null: true})
		} else {
			p.cur = unescapeText(p.cur[:0], raw)
			if !utf8.Valid(p.cur) {
				return 0, sql.Errorf(codeBadEncoding, "invalid byte sequence for encoding \"UTF8\"")
			}
			p.out = append(p.out, copyField{s: string(p.cur)})
		}
		if stop == len(line) {
			return n, nil
		}
		start = stop + 1
	}
}

// textFieldEnd returns the index of the first unescaped delimiter at or
// after start, or len(line).
func textFieldEnd(line []byte, start int, delim byte) int {
	for i := start; i < len(line); i++ {
		switch line[i] {
		case '\\':
			i++
		case delim:
			return i
		}
	}
	return len(line)
}

// unescapeText decodes the backslash escapes of the text format: \b \f \n
// \r \t \v, octal \nnn, hex \xhh, and any other character taken literally.
func unescapeText(dst, raw []byte) []byte {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			if c != '\\' {
				dst = append(dst, c)
			}
			continue
		}
		i++
		switch c = raw[i]; {
		case c >= '0' && c <= '7':
			v, k := digits(raw[i:], 3, 8)
			dst, i = append(dst, byte(v)), i+k-1
		case c == 'x' && i+1 < len(raw) && hexVal(raw[i+1]) >= 0:
			v, k := digits(raw[i+1:], 2, 16)
			dst, i = append(dst, byte(v)), i+k
		default:
			dst = append(dst, textEscapes[c])
		}
	}
	return dst
}

// textEscapes maps the character after a backslash to its byte; it is
// the character itself except for the letters below.
var textEscapes = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
	}
	t['b'], t['f'], t['n'], t['r'], t['t'], t['v'] = '\b', '\f', '\n', '\r', '\t', '\v'
	return t
}()

// digits reads up to max digits in base from b.
func digits(b []byte, max, base int) (v, n int) {
	for n < max && n < len(b) {
		d := hexVal(b[n])
		if d < 0 || d >= base {
			break
		}
		v = v*base + d
		n++
	}
	return v, n
}

func hexVal(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// csvState walks one CSV record (CopyReadLineCSV and
// CopyReadAttributesCSV in one pass).
type csvState struct {
	p      *copyParser
	b      []byte
	i      int
	quoted bool // the current field had a quote: never NULL
}

// parseCSV reads one CSV record from b into p.out and returns the bytes
// consumed. Quoted fields may hold delimiters, quotes (doubled, or
// preceded by the escape character) and newlines; a field is NULL when it
// is unquoted and equals the NULL string.
func (p *copyParser) parseCSV(b []byte, final bool) (int, error) {
	s := &csvState{p: p, b: b}
	p.out, p.cur = p.out[:0], p.cur[:0]
	for {
		if s.i >= len(b) {
			if !final {
				return 0, errNeedMore
			}
			return len(b), s.endField()
		}
		c := b[s.i]
		switch {
		case c == p.f.Quote:
			s.quoted = true
			if err := s.quotedPart(final); err != nil {
				return 0, err
			}
			continue
		case c == p.f.Delimiter:
			if err := s.endField(); err != nil {
				return 0, err
			}
		case c == '\n':
			return s.i + 1, s.endField()
		case c == '\r':
			if s.i+1 >= len(b) && !final {
				return 0, errNeedMore
			}
			n := s.i + 1
			if n < len(b) && b[n] == '\n' {
				n++
			}
			return n, s.endField()
		default:
			p.cur = append(p.cur, c)
		}
		s.i++
	}
}

// quotedPart consumes a quoted section starting at the opening quote.
func (s *csvState) quotedPart(final bool) error {
	f := &s.p.f
	for s.i++; ; s.i++ {
		if s.i >= len(s.b) {
			if !final {
				return errNeedMore
			}
			return sql.Errorf(codeBadCopyFormat, "unterminated CSV quoted field")
		}
		c := s.b[s.i]
		if c == f.Escape {
			if s.i+1 >= len(s.b) && !final {
				return errNeedMore
			}
			if s.i+1 < len(s.b) && (s.b[s.i+1] == f.Escape || s.b[s.i+1] == f.Quote) {
				s.i++
				s.p.cur = append(s.p.cur, s.b[s.i])
				continue
			}
		}
		if c == f.Quote {
			s.i++
			return nil
		}
		s.p.cur = append(s.p.cur, c)
	}
}

func (s *csvState) endField() error {
	p := s.p
	if !s.quoted && string(p.cur) == p.f.Null {
		p.out = append(p.out, copyField{null: true})
	} else {
		if !utf8.Valid(p.cur) {
			return sql.Errorf(codeBadEncoding, "invalid byte sequence for encoding \"UTF8\"")
		}
		p.out = append(p.out, copyField{s: string(p.cur)})
	}
	p.cur, s.quoted = p.cur[:0], false
	return nil
}
