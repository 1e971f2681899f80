package server

import (
	"context"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/planner"
)

// rowSource is the rows of one result, read forward: a finite list of
// batches, server-made text rows, or a continuous stream. Whoever holds a
// rowSource must close it (releasing batches and closing the stream).
type rowSource struct {
	schema *arrow.Schema
	rows   []arrow.RecordBatch // finite batches not yet started
	stream planner.Stream      // continuous; nil for finite results
	text   *textResult
	// cur is the batch being sent and off its next row.
	cur arrow.RecordBatch
	off int
	// encs are cur's column encoders for encFormats.
	encs []colEncoder
}

// fill makes cur a batch with unsent rows, blocking on the stream if
// needed. It returns io.EOF at the end of the rows.
func (s *rowSource) fill(ctx context.Context) error {
	if s.text != nil {
		if s.off >= len(s.text.rows) {
			return io.EOF
		}
		return nil
	}
	for s.cur == nil || s.off >= int(s.cur.NumRows()) {
		if s.cur != nil {
			s.cur.Release()
			s.cur, s.off, s.encs = nil, 0, nil
		}
		if len(s.rows) > 0 {
			s.cur, s.rows = s.rows[0], s.rows[1:]
			continue
		}
		if s.stream == nil {
			return io.EOF
		}
		b, err := s.stream.Next(ctx)
		if err != nil {
			return err
		}
		s.cur = b
	}
	return nil
}

// available returns how many rows can be sent without blocking from cur.
func (s *rowSource) available() int {
	if s.text != nil {
		return len(s.text.rows) - s.off
	}
	if s.cur == nil {
		return 0
	}
	return int(s.cur.NumRows()) - s.off
}

// exhausted reports, for a finite source, whether no rows remain. A
// continuous source is never exhausted.
func (s *rowSource) exhausted() bool {
	if s.stream != nil {
		return false
	}
	if s.available() > 0 {
		return false
	}
	for _, b := range s.rows {
		if b.NumRows() > 0 {
			return false
		}
	}
	return true
}

// close releases the batches and closes the stream. Idempotent.
func (s *rowSource) close() error {
	if s.cur != nil {
		s.cur.Release()
		s.cur = nil
	}
	for _, b := range s.rows {
		b.Release()
	}
	s.rows = nil
	if s.stream != nil {
		err := s.stream.Close()
		s.stream = nil
		return err
	}
	return nil
}

// rowBatch is how many DataRows are encoded per send.
const rowBatch = 256

// sendRows sends n rows from s's current batch as DataRows in formats.
func (c *conn) sendRows(s *rowSource, n int, formats []int16) {
	if s.text != nil {
		for _, row := range s.text.rows[s.off : s.off+n] {
			vals := make([][]byte, len(row))
			for i, v := range row {
				vals[i] = []byte(v)
			}
			c.be.Send(&pgproto3.DataRow{Values: vals})
		}
		s.off += n
		return
	}
	if s.encs == nil {
		s.encs = newEncoders(s.cur, formats)
	}
	for n > 0 {
		k := min(n, rowBatch)
		m := &dataRows{encs: s.encs, lo: s.off, hi: s.off + k}
		c.be.Send(m)
		c.pending += m.size
		s.off += k
		n -= k
		if c.pending >= flushThreshold {
			if c.flush() != nil {
				return
			}
		}
	}
}

// textSchema is the schema of server-made text results.
func textSchema(cols []string) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, name := range cols {
		fields[i] = arrow.Field{Name: name, Type: arrow.BinaryTypes.String, Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

// rowsTag is the CommandComplete tag of a row result.
func rowsTag(verb string, n int) string {
	switch verb {
	case "", "SELECT", "FETCH", "MOVE", "COPY":
		if verb == "" {
			verb = "SELECT"
		}
		return fmt.Sprintf("%s %d", verb, n)
	}
	return verb
}

// resolveFormats expands Bind's result format codes to one per column.
func resolveFormats(codes []int16, ncols int) ([]int16, error) {
	for _, f := range codes {
		if f != pgproto3.TextFormat && f != pgproto3.BinaryFormat {
			return nil, protocolErrorf("unsupported format code: %d", f)
		}
	}
	switch {
	case len(codes) == 0 || ncols == 0:
		return nil, nil
	case len(codes) == 1:
		out := make([]int16, ncols)
		for i := range out {
			out[i] = codes[0]
		}
		return out, nil
	case len(codes) == ncols:
		return codes, nil
	}
	return nil, protocolErrorf("bind message has %d result formats but query has %d columns", len(codes), ncols)
}
