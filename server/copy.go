package server

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/sql"
)

// COPY is answered here, from a simple Query that holds only the COPY
// statement (what psql's \copy, libpq and pgx send):
//
//   - COPY (query) TO STDOUT and COPY relation [(cols)] TO STDOUT run the
//     query and send each row as one CopyData as soon as it is produced;
//     a continuous query's rows go out micro-batch by micro-batch until
//     LIMIT (CopyDone, "COPY n") or cancel (57014).
//   - COPY stream [(cols)] FROM STDIN reads CopyData (copy_in.go).
//
// copyError carries PostgreSQL's CONTEXT line ("COPY bids, line 3, column
// price: …"), which psql prints under the error.
type copyError struct {
	err   error
	where string
}

func (e *copyError) Error() string { return e.err.Error() }
func (e *copyError) Unwrap() error { return e.err }

// copyStatement runs query if it is a COPY statement and reports whether
// it was one.
func (c *conn) copyStatement(ctx context.Context, query string) (bool, error) {
	cp, err := sql.ParseCopy(query)
	if cp == nil && err == nil {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if c.sess.txn == txnFailed {
		return true, sql.Errorf(codeInFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.setRunning(cancel)
	defer c.setRunning(nil)
	if cp.From {
		err = c.copyIn(qctx, cp)
	} else {
		err = c.copyOut(qctx, query, cp)
	}
	return true, queryError(ctx, qctx, err)
}

// sendCopyError is sendError with the CONTEXT of a COPY error.
func (c *conn) sendCopyError(err error) {
	ce, ok := errors.AsType[*copyError](err)
	if !ok {
		c.sendError(err)
		return
	}
	resp := pgError(c.log, ce.err)
	resp.Where = ce.where
	c.be.Send(resp)
	if c.sess.txn == txnInBlock {
		c.sess.txn = txnFailed
	}
}

// copyOut runs COPY … TO STDOUT.
func (c *conn) copyOut(ctx context.Context, query string, cp *sql.Copy) error {
	stmt, err := c.copyQuery(cp)
	if err != nil {
		return shiftError(err, query, cp.QueryPos)
	}
	out, err := c.start(ctx, stmt, nil, nil)
	if err != nil {
		return shiftError(err, query, cp.QueryPos)
	}
	defer func() {
		if err := out.close(); err != nil {
			c.log.Warn("closing result", "err", err)
		}
	}()
	if out.src == nil {
		return sql.Errorf(sql.CodeFeatureNotSupported, "COPY (%s) TO STDOUT: the statement returns no rows", stmt.Text())
	}
	c.be.Send(&pgproto3.CopyOutResponse{ColumnFormatCodes: make([]uint16, out.src.schema.NumFields())})
	if cp.Format.Header {
		c.sendCopyHeader(out, &cp.Format)
	}
	// A continuous query may produce nothing for a while: the client
	// learns at once that COPY started.
	if out.src.stream != nil && c.flush() != nil {
		return nil
	}
	n, err := c.sendCopyRows(ctx, out.src, &cp.Format)
	if err != nil || c.writeErr != nil {
		return err
	}
	c.be.Send(&pgproto3.CopyDone{})
	c.be.Send(&pgproto3.CommandComplete{CommandTag: fmt.Appendf(nil, "COPY %d", n)})
	return nil
}

// copyQuery parses the query COPY … TO STDOUT reads. Only statements that
// return rows qualify: anything else would run for its side effects.
func (c *conn) copyQuery(cp *sql.Copy) (sql.Statement, error) {
	stmts, err := c.parser.Parse(cp.Query)
	if err != nil {
		return nil, err
	}
	if len(stmts) != 1 {
		return nil, sql.Errorf(sql.CodeSyntax, "COPY needs exactly one query")
	}
	switch s := stmts[0].(type) {
	case *sql.Select, *sql.CatalogSelect, *sql.Show, *sql.Explain, *sql.Describe:
		return s, nil
	}
	return nil, sql.Errorf(sql.CodeFeatureNotSupported, "COPY (%s) TO STDOUT: only queries that return rows can be copied", stmts[0].Text())
}

func (c *conn) sendCopyHeader(out *outcome, f *sql.CopyFormat) {
	names := make([][]byte, out.src.schema.NumFields())
	for i, fd := range out.src.schema.Fields() {
		names[i] = []byte(fd.Name)
	}
	c.be.Send(&pgproto3.CopyData{Data: appendCopyLine(nil, names, f)})
}

// sendCopyRows sends every row of src as CopyData, flushing after each
// micro-batch of a continuous source. It returns how many it sent.
func (c *conn) sendCopyRows(ctx context.Context, src *rowSource, f *sql.CopyFormat) (int, error) {
	n := 0
	for {
		if err := src.fill(ctx); err != nil {
			if errors.Is(err, io.EOF) {
				return n, nil
			}
			return n, err
		}
		k := src.available()
		c.sendCopyBatch(src, k, f)
		n += k
		if c.writeErr != nil {
			return n, nil
		}
		if src.stream != nil && c.flush() != nil {
			return n, nil
		}
	}
}

// sendCopyBatch sends k rows of src's current batch.
func (c *conn) sendCopyBatch(src *rowSource, k int, f *sql.CopyFormat) {
	if src.text != nil {
		for _, row := range src.text.rows[src.off : src.off+k] {
			vals := make([][]byte, len(row))
			for i, v := range row {
				vals[i] = []byte(v)
			}
			c.be.Send(&pgproto3.CopyData{Data: appendCopyLine(nil, vals, f)})
		}
		src.off += k
		return
	}
	if src.encs == nil {
		src.encs = newEncoders(src.cur, nil)
	}
	for k > 0 {
		m := &copyRows{encs: src.encs, lo: src.off, hi: src.off + min(k, rowBatch), f: f}
		c.be.Send(m)
		c.pending += m.size
		k -= m.hi - m.lo
		src.off = m.hi
		if c.pending >= flushThreshold && c.flush() != nil {
			return
		}
	}
}
