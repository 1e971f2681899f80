package server

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/sql"
)

// COPY FROM STDIN produces rows in chunks through the engine's INSERT path,
// so memory stays bounded whatever the input size. A chunk is produced
// only once all its rows parsed and converted: a bad row or CopyFail
// produces nothing of its chunk, but earlier chunks are already in Kafka,
// which has no rollback; the error's DETAIL says how many rows that is.
const (
	copyChunkRows  = 10000
	copyChunkBytes = 4 << 20
)

// copier is what COPY FROM needs from the executor; *planner.Planner has it.
type copier interface {
	PrepareCopy(stream string, cols []string) (*planner.CopyPlan, error)
	CopyInsert(ctx context.Context, plan *planner.CopyPlan, rows [][]any) (int64, error)
}

var _ copier = (*planner.Planner)(nil)

// copyIn is one running COPY … FROM STDIN.
type copyIn struct {
	c      *conn
	cpr    copier
	plan   *planner.CopyPlan
	stream string
	fields []arrow.Field
	parser *copyParser
	header bool // a header line remains to be skipped
	rows   [][]any
	bytes  int
	// produced counts rows produced so far; producedLine is the last
	// input line they came from.
	produced     int64
	producedLine int
}

// copyIn runs COPY stream [(cols)] FROM STDIN.
func (c *conn) copyIn(ctx context.Context, cp *sql.Copy) error {
	cpr, ok := c.srv.exec.(copier)
	if !ok {
		return sql.Errorf(sql.CodeFeatureNotSupported, "COPY FROM STDIN is not supported by this executor")
	}
	plan, err := cpr.PrepareCopy(cp.Stream, cp.Columns)
	if err != nil {
		return err
	}
	in := &copyIn{c: c, cpr: cpr, plan: plan, stream: cp.Stream, fields: plan.Fields(),
		parser: newCopyParser(cp.Format, c.srv.opts.MaxMessageSize), header: cp.Format.Header}
	c.be.Send(&pgproto3.CopyInResponse{ColumnFormatCodes: make([]uint16, len(in.fields))})
	if c.flush() != nil {
		return nil
	}
	return in.run(ctx)
}

// run reads CopyData until CopyDone or CopyFail. Flush and Sync are
// ignored during COPY, as PostgreSQL does; any other message is a
// protocol violation that ends the connection.
func (in *copyIn) run(ctx context.Context) error {
	c := in.c
	for {
		var cmd command
		var ok bool
		select {
		case cmd, ok = <-c.cmds:
			if !ok {
				return context.Canceled // the client left
			}
		case <-ctx.Done():
			return ctx.Err()
		}
		switch m := cmd.(type) {
		case *cmdCopyData:
			in.parser.feed(m.data)
			if err := in.drain(ctx, false); err != nil {
				return err
			}
		case *cmdCopyDone:
			return in.finish(ctx)
		case *cmdCopyFail:
			return in.failed(sql.Errorf(sql.CodeQueryCanceled, "COPY from stdin failed: %s", m.msg), "")
		case *cmdFlush, *cmdSync:
		case *cmdProtocolError:
			c.closing = true
			return m.err
		default:
			c.closing = true
			name := strings.TrimPrefix(fmt.Sprintf("%T", cmd), "*server.cmd")
			return protocolErrorf("unexpected message %s during COPY from stdin", name)
		}
	}
}

func (in *copyIn) finish(ctx context.Context) error {
	if err := in.drain(ctx, true); err != nil {
		return err
	}
	if err := in.flushChunk(ctx); err != nil {
		return err
	}
	in.c.be.Send(&pgproto3.CommandComplete{CommandTag: fmt.Appendf(nil, "COPY %d", in.produced)})
	return nil
}

// drain converts every complete record buffered, producing full chunks.
func (in *copyIn) drain(ctx context.Context, final bool) error {
	for {
		rec, ok, err := in.parser.next(final)
		switch {
		case errors.Is(err, errNeedMore):
			return nil
		case err != nil:
			// The record being read is the one after the last complete one.
			return in.failed(err, in.whereLine(in.parser.line+1, ""))
		case !ok:
			return nil
		case in.header:
			in.header = false
			continue
		}
		row, err := in.convert(rec)
		if err != nil {
			return err
		}
		in.rows = append(in.rows, row)
		if len(in.rows) >= copyChunkRows || in.bytes >= copyChunkBytes {
			if err := in.flushChunk(ctx); err != nil {
				return err
			}
		}
	}
}

// convert types one record by the stream's columns.
func (in *copyIn) convert(rec []copyField) ([]any, error) {
	if len(rec) > len(in.fields) {
		return nil, in.failed(sql.Errorf(codeBadCopyFormat, "extra data after last expected column"), in.where(""))
	}
	if len(rec) < len(in.fields) {
		return nil, in.failed(sql.Errorf(codeBadCopyFormat, "missing data for column %q", in.fields[len(rec)].Name), in.where(""))
	}
	row := make([]any, len(rec))
	for i, fd := range rec {
		if fd.null {
			continue
		}
		v, err := sql.CopyValue(fd.s, in.fields[i].Type)
		if err != nil {
			return nil, in.failed(err, in.where(fmt.Sprintf(", column %s: %q", in.fields[i].Name, fd.s)))
		}
		row[i] = v
		in.bytes += len(fd.s)
	}
	return row, nil
}

// flushChunk produces the rows gathered so far.
func (in *copyIn) flushChunk(ctx context.Context) error {
	if len(in.rows) == 0 {
		return nil
	}
	n, err := in.cpr.CopyInsert(ctx, in.plan, in.rows)
	if err != nil {
		return in.failed(err, in.where(""))
	}
	in.produced += n
	in.producedLine = in.parser.line
	clear(in.rows)
	in.rows, in.bytes = in.rows[:0], 0
	return nil
}

// where is the CONTEXT of an error in the last record read.
func (in *copyIn) where(suffix string) string { return in.whereLine(in.parser.line, suffix) }

func (in *copyIn) whereLine(line int, suffix string) string {
	return fmt.Sprintf("COPY %s, line %d%s", in.stream, line, suffix)
}

// failed wraps err with its CONTEXT and, when earlier chunks were already
// produced, a DETAIL saying so: the client must not assume nothing was
// written.
func (in *copyIn) failed(err error, where string) error {
	if in.produced > 0 {
		se, ok := errors.AsType[*sql.Error](err)
		if !ok {
			se = &sql.Error{Code: pgError(in.c.log, err).Code, Message: err.Error()}
		}
		shifted := *se
		note := fmt.Sprintf("%d rows (input lines 1-%d) were already produced to the stream and stay there: Kafka has no rollback.",
			in.produced, in.producedLine)
		if shifted.Detail != "" {
			note = shifted.Detail + "\n" + note
		}
		shifted.Detail = note
		err = &shifted
	}
	return &copyError{err: err, where: where}
}
