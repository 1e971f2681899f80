package server

import (
	"context"
	"errors"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/sql"
)

// SQL cursors (psql's \set FETCH_COUNT, psycopg2's named cursors) are
// portals driven by statements: DECLARE binds one, FETCH and MOVE execute
// it, CLOSE drops it. They are parsed here, not in sql, and only as a
// whole simple Query:
//
//	DECLARE name [ASENSITIVE|INSENSITIVE] [NO SCROLL] CURSOR [WITH[OUT] HOLD] FOR query
//	FETCH|MOVE [NEXT | FORWARD [count|ALL] | count | ALL] [FROM|IN] name
//	CLOSE name | ALL
//
// Cursors scan forward only (a stream cannot be rewound): SCROLL and the
// backward directions are refused, as is BINARY.
var (
	declareRE = regexp.MustCompile(`(?is)^\s*DECLARE\s+("[^"]+"|\w+)\s+((?:\w+\s+)*?)CURSOR\s+(?:(WITH|WITHOUT)\s+HOLD\s+)?FOR\s+(.+?)[\s;]*$`)
	fetchRE   = regexp.MustCompile(`(?is)^\s*(FETCH|MOVE)\b\s*(.*?)\s*("[^"]+"|\w+)[\s;]*$`)
	closeRE   = regexp.MustCompile(`(?is)^\s*CLOSE\s+("[^"]+"|\w+)[\s;]*$`)
)

// cursorName folds an identifier as PostgreSQL does.
func cursorName(s string) string {
	if strings.HasPrefix(s, `"`) {
		return strings.Trim(s, `"`)
	}
	return strings.ToLower(s)
}

// cursorStatement runs query if it is a cursor statement and reports
// whether it was one.
func (c *conn) cursorStatement(ctx context.Context, query string) (bool, error) {
	d := declareRE.FindStringSubmatchIndex(query)
	f := fetchRE.FindStringSubmatch(query)
	cl := closeRE.FindStringSubmatch(query)
	if d == nil && f == nil && cl == nil || !sql.SingleStatement(query) {
		return false, nil // the parser answers 0A000 for cursor statements
	}
	if c.sess.txn == txnFailed {
		return true, sql.Errorf(codeInFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
	}
	switch {
	case d != nil:
		sub := func(i int) string {
			if d[2*i] < 0 {
				return ""
			}
			return query[d[2*i]:d[2*i+1]]
		}
		return true, c.declare(ctx, cursorName(sub(1)), sub(2), strings.EqualFold(sub(3), "WITH"), query, d[8])
	case f != nil:
		count, err := fetchCount(f[2])
		if err != nil {
			return true, err
		}
		return true, c.fetch(ctx, strings.ToUpper(f[1]), cursorName(f[3]), count)
	}
	return true, c.closeCursor(cursorName(cl[1]), cl[1])
}

// fetchCount reads the direction of FETCH/MOVE: the number of rows
// forward, 0 for ALL.
func fetchCount(dir string) (int, error) {
	words := strings.Fields(strings.ToUpper(dir))
	if n := len(words); n > 0 && (words[n-1] == "FROM" || words[n-1] == "IN") {
		words = words[:n-1]
	}
	if len(words) > 0 && words[0] == "FORWARD" {
		words = words[1:]
		if len(words) == 0 {
			return 1, nil
		}
	}
	switch {
	case len(words) == 0:
		return 1, nil
	case len(words) > 1:
	case words[0] == "NEXT":
		return 1, nil
	case words[0] == "ALL":
		return 0, nil
	case words[0] == "PRIOR", words[0] == "FIRST", words[0] == "LAST", words[0] == "BACKWARD",
		words[0] == "ABSOLUTE", words[0] == "RELATIVE":
		return 0, scanBackward()
	default:
		n, err := strconv.Atoi(words[0])
		switch {
		case err != nil:
		case n < 0:
			return 0, scanBackward()
		case n == 0:
			return 0, sql.Errorf(sql.CodeFeatureNotSupported, "FETCH 0 (re-fetching the current row) is not supported")
		default:
			return n, nil
		}
	}
	if len(words) == 2 && (words[0] == "ABSOLUTE" || words[0] == "RELATIVE" || words[0] == "BACKWARD") {
		return 0, scanBackward()
	}
	return 0, sql.Errorf(sql.CodeSyntax, "syntax error at or near %q", strings.Join(words, " "))
}

func scanBackward() error {
	return &sql.Error{Code: codeNotInPrerequisite, Message: "cursor can only scan forward",
		Hint: "Sluice cursors read a stream forward: FETCH NEXT, FORWARD n, or ALL."}
}

// declareOptions checks the words between the name and CURSOR.
func declareOptions(opts string) error {
	words := strings.Fields(strings.ToUpper(opts))
	for i := 0; i < len(words); i++ {
		switch w := words[i]; {
		case w == "ASENSITIVE", w == "INSENSITIVE":
		case w == "NO" && i+1 < len(words) && words[i+1] == "SCROLL":
			i++
		case w == "SCROLL":
			return sql.Errorf(sql.CodeFeatureNotSupported, "SCROLL cursors are not supported: Sluice cursors read forward only")
		case w == "BINARY":
			return sql.Errorf(sql.CodeFeatureNotSupported, "BINARY cursors are not supported")
		default:
			return sql.Errorf(sql.CodeSyntax, "syntax error at or near %q", w)
		}
	}
	return nil
}

// declare binds cursor name to the query at query[at:] and starts it.
func (c *conn) declare(ctx context.Context, name, opts string, hold bool, query string, at int) error {
	if err := declareOptions(opts); err != nil {
		return err
	}
	if !hold && c.sess.txn != txnInBlock {
		return sql.Errorf("25P01", "DECLARE CURSOR can only be used in transaction blocks")
	}
	if _, ok := c.portals[name]; ok {
		return sql.Errorf(codeDuplicateCursor, "cursor %q already exists", name)
	}
	stmts, err := c.parser.Parse(query[at:])
	if err != nil {
		return shiftError(err, query, at)
	}
	if len(stmts) != 1 {
		return sql.Errorf(sql.CodeSyntax, "DECLARE CURSOR needs exactly one query")
	}
	ps := &prepStmt{stmt: stmts[0]}
	if err := c.prepare(ps, nil); err != nil {
		return shiftError(err, query, at)
	}
	if ps.schema == nil {
		return sql.Errorf("42P11", "cursor can only scan a query returning rows")
	}
	pctx, cancel := context.WithCancel(ctx)
	p := &portal{ps: ps, ctx: pctx, cancel: cancel, hold: hold}
	// Start the query now, as PostgreSQL does, so that a continuous query
	// accumulates micro-batches while the client is between FETCHes.
	c.setRunning(cancel)
	out, err := c.start(pctx, ps.stmt, ps.prep, nil)
	c.setRunning(nil)
	if err != nil {
		cancel()
		return queryError(ctx, pctx, err)
	}
	p.out = out
	c.portals[name] = p
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte("DECLARE CURSOR")})
	return nil
}

// shiftError moves the position of an error in the part of query that
// starts at byte at to the whole query (or drops it when at < 0).
func shiftError(err error, query string, at int) error {
	se, ok := errors.AsType[*sql.Error](err)
	if !ok || se.Pos == 0 {
		return err
	}
	shifted := *se
	if at < 0 {
		shifted.Pos = 0
	} else {
		shifted.Pos += utf8.RuneCountInString(query[:at])
	}
	return &shifted
}

// fetch runs FETCH (sends up to count rows, 0 = all, as one result set) or
// MOVE (skips them), blocking until they are ready or the query ends.
func (c *conn) fetch(ctx context.Context, verb, name string, count int) error {
	p, ok := c.portals[name]
	if !ok || name == "" {
		return sql.Errorf(sql.CodeInvalidCursor, "cursor %q does not exist", name)
	}
	if verb == "MOVE" {
		n, err := c.movePortal(ctx, p, count)
		if err != nil {
			return err
		}
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(rowsTag("MOVE", n))})
		return nil
	}
	c.be.Send(&pgproto3.RowDescription{Fields: fieldDescriptions(p.ps.schema, nil)})
	n, _, _, err := c.runPortal(ctx, p, count)
	if err != nil {
		return err
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(rowsTag("FETCH", n))})
	return nil
}

// movePortal skips up to count rows (0 = all) of a started portal.
func (c *conn) movePortal(ctx context.Context, p *portal, count int) (int, error) {
	c.setRunning(p.cancel)
	defer c.setRunning(nil)
	if p.done || p.out == nil || p.out.src == nil {
		return 0, nil
	}
	src, n := p.out.src, 0
	for count == 0 || n < count {
		if err := src.fill(p.ctx); err != nil {
			if errors.Is(err, io.EOF) {
				p.done = true
				return n, nil
			}
			return n, queryError(ctx, p.ctx, err)
		}
		k := src.available()
		if count > 0 {
			k = min(k, count-n)
		}
		src.off += k
		n += k
	}
	return n, nil
}

// closeCursor runs CLOSE name or CLOSE ALL (raw is the name as written:
// a quoted "all" is a cursor name).
func (c *conn) closeCursor(name, raw string) error {
	if strings.EqualFold(raw, "all") {
		c.closeAll()
	} else {
		p, ok := c.portals[name]
		if !ok || name == "" {
			return sql.Errorf(sql.CodeInvalidCursor, "cursor %q does not exist", name)
		}
		p.close()
		delete(c.portals, name)
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte("CLOSE CURSOR")})
	return nil
}
