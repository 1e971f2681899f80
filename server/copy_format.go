package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/sql"
)

// SQLSTATEs of COPY input.
const (
	codeBadCopyFormat   = "22P04"
	codeBadEncoding     = "22021"
	codeProgramLimitHit = "54000"
)

// appendCopyText appends v as a field of PostgreSQL's text format
// (CopyAttributeOutText): backslash, the delimiter and the control
// characters that have a short escape are backslash-escaped, so that every
// row is one line.
func appendCopyText(dst, v []byte, delim byte) []byte {
	for _, c := range v {
		switch c {
		case '\\':
			dst = append(dst, '\\', '\\')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\v':
			dst = append(dst, '\\', 'v')
		default:
			if c == delim {
				dst = append(dst, '\\')
			}
			dst = append(dst, c)
		}
	}
	return dst
}

// appendCopyCSV appends non-NULL v as a CSV field (CopyAttributeOutCSV):
// quoted when it holds the delimiter, the quote, CR or LF, when it equals
// the NULL string (so that it reads back as a value, e.g. "" for an empty
// string), or when it is \. alone on its line (the end-of-data marker).
func appendCopyCSV(dst, v []byte, f *sql.CopyFormat, single bool) []byte {
	quote := string(v) == f.Null || single && string(v) == `\.`
	if !quote {
		for _, c := range v {
			if c == f.Delimiter || c == f.Quote || c == '\n' || c == '\r' {
				quote = true
				break
			}
		}
	}
	if !quote {
		return append(dst, v...)
	}
	dst = append(dst, f.Quote)
	for _, c := range v {
		if c == f.Quote || c == f.Escape {
			dst = append(dst, f.Escape)
		}
		dst = append(dst, c)
	}
	return append(dst, f.Quote)
}

// appendCopyLine appends one row (a nil value is NULL) and its newline.
func appendCopyLine(dst []byte, vals [][]byte, f *sql.CopyFormat) []byte {
	for i, v := range vals {
		if i > 0 {
			dst = append(dst, f.Delimiter)
		}
		switch {
		case v == nil:
			dst = append(dst, f.Null...)
		case f.CSV:
			dst = appendCopyCSV(dst, v, f, len(vals) == 1)
		default:
			dst = appendCopyText(dst, v, f.Delimiter)
		}
	}
	return append(dst, '\n')
}

// copyRows is a pgproto3.BackendMessage that encodes rows [lo, hi) of a
// record batch as one CopyData message per row, straight from the Arrow
// columns (through the text DataRow encoders) into the send buffer.
type copyRows struct {
	encs   []colEncoder
	lo, hi int
	f      *sql.CopyFormat
	// size is set by Encode to the number of bytes it appended.
	size int
}

var _ pgproto3.BackendMessage = (*copyRows)(nil)

// Backend implements pgproto3.BackendMessage.
func (*copyRows) Backend() {}

// Decode implements pgproto3.Message; copyRows is send-only.
func (*copyRows) Decode([]byte) error { return errSendOnly }

// Encode implements pgproto3.Message.
func (m *copyRows) Encode(dst []byte) ([]byte, error) {
	start := len(dst)
	var scratch []byte
	vals := make([][]byte, len(m.encs))
	offs := make([]int, 0, len(m.encs)*2)
	for i := m.lo; i < m.hi; i++ {
		scratch, offs = scratch[:0], offs[:0]
		for _, enc := range m.encs {
			at := len(scratch)
			scratch = enc(scratch, i)
			offs = append(offs, at, len(scratch))
		}
		// Slice after encoding: scratch may have moved while growing.
		for j := range vals {
			vals[j] = cellValue(scratch[offs[2*j]:offs[2*j+1]])
		}
		dst = appendCopyData(dst, func(d []byte) []byte { return appendCopyLine(d, vals, m.f) })
	}
	m.size = len(dst) - start
	return dst, nil
}

// cellValue strips the length prefix of a text DataRow value; nil is NULL.
func cellValue(wire []byte) []byte {
	if binary.BigEndian.Uint32(wire) == math.MaxUint32 {
		return nil
	}
	return wire[4:]
}

// appendCopyData appends one CopyData message whose payload body appends.
func appendCopyData(dst []byte, body func([]byte) []byte) []byte {
	dst = append(dst, 'd')
	sp := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = body(dst)
	binary.BigEndian.PutUint32(dst[sp:], uint32(len(dst)-sp))
	return dst
}

// copyField is one parsed input field.
type copyField struct {
	s    string
	null bool
}

// errNeedMore means the buffered input holds no complete record yet.
var errNeedMore = errors.New("need more input")

// copyParser splits COPY FROM input into records. Input arrives in
// CopyData messages whose boundaries need not match rows, so it buffers
// at most one incomplete record (bounded by maxRecord).
type copyParser struct {
	f         sql.CopyFormat
	maxRecord int
	buf       []byte
	off       int
	// done is set by the end-of-data marker \. ; input after it is ignored.
	done bool
	// line counts the records read, as PostgreSQL's error context does.
	line int
	out  []copyField
	cur  []byte
}

func newCopyParser(f sql.CopyFormat, maxRecord int) *copyParser {
	return &copyParser{f: f, maxRecord: maxRecord}
}

// feed appends input, dropping what earlier records consumed.
func (p *copyParser) feed(data []byte) {
	if p.done {
		return
	}
	if p.off > 0 {
		p.buf = append(p.buf[:0], p.buf[p.off:]...)
		p.off = 0
	}
	p.buf = append(p.buf, data...)
}

// next returns the fields of the next record (valid until the next call),
// errNeedMore when the input holds no complete record, or io.EOF-like nil
// fields with ok=false at the end. final says no more input will come, so
// an unterminated last line is a record.
func (p *copyParser) next(final bool) ([]copyField, bool, error) {
	if p.done || p.off >= len(p.buf) {
		return nil, false, nil
	}
	rest := p.buf[p.off:]
	if isEndMarker(rest, final) {
		p.done = true
		return nil, false, nil
	}
	var n int
	var err error
	if p.f.CSV {
		n, err = p.parseCSV(rest, final)
	} else {
		n, err = p.parseText(rest, final)
	}
	if errors.Is(err, errNeedMore) && len(rest) > p.maxRecord {
		return nil, false, sql.Errorf(codeProgramLimitHit, "COPY row is longer than %d bytes", p.maxRecord)
	}
	if err != nil {
		return nil, false, err
	}
	p.off += n
	p.line++
	return p.out, true, nil
}

// isEndMarker reports whether b starts with the line \. (end of data).
func isEndMarker(b []byte, final bool) bool {
	if !bytes.HasPrefix(b, []byte(`\.`)) {
		return false
	}
	rest := b[2:]
	return len(rest) == 0 && final || bytes.HasPrefix(rest, []byte("\n")) || bytes.HasPrefix(rest, []byte("\r\n"))
}
