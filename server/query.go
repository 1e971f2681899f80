package server

import (
	"context"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/sql"
)

// outcome is what starting a statement produced.
type outcome struct {
	empty bool
	// tag is the full CommandComplete tag of a command, or the verb of a
	// row result ("SELECT", "SHOW").
	tag string
	// src holds the rows of a row result; nil for commands.
	src *rowSource
}

func (o *outcome) close() error {
	if o != nil && o.src != nil {
		return o.src.close()
	}
	return nil
}

// start runs stmt up to the point where its rows can be read: session
// statements are answered here, everything else goes through the
// executor. prep may be nil (simple protocol: prepared here).
func (c *conn) start(ctx context.Context, stmt sql.Statement, prep *planner.Prepared, params []any) (*outcome, error) {
	if _, ok := stmt.(*sql.Empty); ok || stmt == nil {
		return &outcome{empty: true}, nil
	}
	if out, ok, err := c.sessionStatement(stmt); ok {
		return out, err
	}
	if prep == nil {
		var err error
		if prep, err = c.srv.exec.Prepare(stmt, nil); err != nil {
			return nil, err
		}
		if len(prep.Params) > 0 {
			return nil, sql.Errorf(codeUndefinedParameter, "there is no parameter $1")
		}
	}
	res, err := c.srv.exec.Execute(ctx, prep, params)
	if err != nil {
		return nil, err
	}
	verb := res.Tag
	if verb == "" {
		verb = prep.Tag
	}
	switch {
	case res.Stream != nil:
		for _, b := range res.Rows {
			b.Release()
		}
		return &outcome{tag: verb, src: &rowSource{schema: res.Stream.Schema(), stream: res.Stream}}, nil
	case res.Schema != nil:
		return &outcome{tag: verb, src: &rowSource{schema: res.Schema, rows: res.Rows}}, nil
	}
	for _, b := range res.Rows {
		b.Release()
	}
	return &outcome{tag: verb}, nil
}

func (c *conn) notice(code, msg string) {
	c.be.Send(&pgproto3.NoticeResponse{Severity: "WARNING", SeverityUnlocalized: "WARNING", Code: code, Message: msg})
}

// simpleQuery runs a Query message: each statement in order, stopping at
// the first error. The caller sends ReadyForQuery.
func (c *conn) simpleQuery(ctx context.Context, query string) {
	defer func() {
		if c.sess.txn == txnIdle {
			c.closeTransient()
		}
	}()
	if handled, err := c.cursorStatement(ctx, query); handled {
		if err != nil {
			c.sendError(err)
		}
		return
	}
	if handled, err := c.copyStatement(ctx, query); handled {
		if err != nil && ctx.Err() == nil {
			c.sendCopyError(err)
		}
		return
	}
	stmts, err := c.parser.Parse(query)
	if err != nil {
		c.sendError(err)
		return
	}
	if len(stmts) == 0 {
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return
	}
	from := 0
	for _, stmt := range stmts {
		offset := 0
		if text := stmt.Text(); text != "" {
			if i := strings.Index(query[from:], text); i >= 0 {
				offset = utf8.RuneCountInString(query[:from+i])
				from += i + len(text)
			}
		}
		qctx, cancel := context.WithCancel(ctx)
		c.setRunning(cancel)
		err := c.simpleStatement(qctx, stmt)
		c.setRunning(nil)
		err = queryError(ctx, qctx, err)
		cancel()
		if ctx.Err() != nil {
			return // the server is shutting down; execLoop reports it
		}
		if err != nil {
			c.sendError(withOffset(err, offset, len(stmts) > 1))
			return
		}
		if c.writeErr != nil {
			return
		}
	}
}

// queryError turns the error of a query whose context was cancelled into
// context.Canceled (57014), whatever layer reported it. A shutdown of the
// connection itself is left to the executor loop.
func queryError(connCtx, qctx context.Context, err error) error {
	if err != nil && qctx.Err() != nil && connCtx.Err() == nil && !errors.Is(err, context.Canceled) {
		return context.Canceled
	}
	return err
}

// withOffset shifts the position of an error raised for one statement of a
// multi-statement query (positions from the planner are relative to the
// statement; the parser's already count from the start of the query).
func withOffset(err error, offset int, multi bool) error {
	se, ok := errors.AsType[*sql.Error](err)
	if !ok || se.Pos == 0 || offset == 0 || !multi || se.Code == sql.CodeSyntax {
		return err
	}
	shifted := *se
	shifted.Pos += offset
	return &shifted
}

// simpleStatement runs one statement of a simple query and sends its
// results. A continuous query sends one complete result set per
// micro-batch, each followed by EmptyQueryResponse (see SPEC §2).
func (c *conn) simpleStatement(ctx context.Context, stmt sql.Statement) error {
	out, err := c.start(ctx, stmt, nil, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err := out.close(); err != nil {
			c.log.Warn("closing result", "err", err)
		}
	}()
	switch {
	case out.empty:
		c.be.Send(&pgproto3.EmptyQueryResponse{})
		return nil
	case out.src == nil:
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(out.tag)})
		return nil
	case out.src.stream != nil:
		return c.streamSimple(ctx, out)
	}
	c.be.Send(&pgproto3.RowDescription{Fields: fieldDescriptions(out.src.schema, nil)})
	n, _, err := c.sendPortion(ctx, out.src, 0, nil)
	if err != nil {
		return err
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(rowsTag(out.tag, n))})
	return nil
}

// streamSimple sends a continuous result over the simple protocol until
// LIMIT ends it (io.EOF), the query is cancelled or it fails.
func (c *conn) streamSimple(ctx context.Context, out *outcome) error {
	src := out.src
	sent := false
	fds := fieldDescriptions(src.schema, nil)
	for {
		b, err := src.stream.Next(ctx)
		if errors.Is(err, io.EOF) {
			if !sent {
				c.be.Send(&pgproto3.RowDescription{Fields: fds})
				c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(rowsTag(out.tag, 0))})
			}
			return nil
		}
		if err != nil {
			return err
		}
		src.cur, src.off, src.encs = b, 0, nil
		n := src.available()
		if n > 0 {
			c.be.Send(&pgproto3.RowDescription{Fields: fds})
			c.sendRows(src, n, nil)
			c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(rowsTag(out.tag, n))})
			c.be.Send(&pgproto3.EmptyQueryResponse{})
			sent = true
			if c.flush() != nil {
				return nil
			}
		}
		src.cur.Release()
		src.cur, src.encs = nil, nil
	}
}

// sendPortion sends up to max rows (0 = all) from src. It reports how many
// it sent and whether rows remain (always true for a continuous source that
// stopped at max). Continuous rows are flushed batch by batch.
func (c *conn) sendPortion(ctx context.Context, src *rowSource, max int, formats []int16) (sent int, more bool, err error) {
	for max == 0 || sent < max {
		if err := src.fill(ctx); err != nil {
			if errors.Is(err, io.EOF) {
				return sent, false, nil
			}
			return sent, false, err
		}
		n := src.available()
		if max > 0 {
			n = min(n, max-sent)
		}
		c.sendRows(src, n, formats)
		sent += n
		if c.writeErr != nil {
			return sent, false, nil
		}
		if src.stream != nil && c.flush() != nil {
			return sent, false, nil
		}
	}
	return sent, !src.exhausted(), nil
}
