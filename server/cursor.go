package server

import (
	"context"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/sql"
)

// SQL cursors (psql's \set FETCH_COUNT) are portals driven by statements:
// DECLARE binds one, FETCH executes it, CLOSE drops it. They are parsed
// here, not in sql, and only as a whole simple Query:
//
//	DECLARE name [BINARY] [INSENSITIVE] [NO] [SCROLL] CURSOR [WITH[OUT] HOLD] FOR query
//	FETCH [FORWARD|NEXT] [count|ALL] [FROM|IN] name
//	CLOSE name | ALL
var (
	declareRE = regexp.MustCompile(`(?is)^\s*DECLARE\s+("[^"]+"|\w+)\s+(?:BINARY\s+)?(?:INSENSITIVE\s+)?(?:NO\s+)?(?:SCROLL\s+)?CURSOR\s+(?:(?:WITH|WITHOUT)\s+HOLD\s+)?FOR\s+(.+?)[\s;]*$`)
	fetchRE   = regexp.MustCompile(`(?is)^\s*FETCH\s+(?:(?:FORWARD|NEXT)\s+)?(?:(\d+|ALL)\s+)?(?:(?:FROM|IN)\s+)?("[^"]+"|\w+)[\s;]*$`)
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
	if m := declareRE.FindStringSubmatch(query); m != nil {
		return true, c.declare(ctx, cursorName(m[1]), m[2])
	}
	if m := fetchRE.FindStringSubmatch(query); m != nil {
		count := 1
		switch {
		case strings.EqualFold(m[1], "ALL"):
			count = 0
		case m[1] != "":
			n, err := strconv.Atoi(m[1])
			if err != nil {
				return true, sql.Errorf(sql.CodeSyntax, "invalid FETCH count %q", m[1])
			}
			count = n
		}
		return true, c.fetch(ctx, cursorName(m[2]), count)
	}
	if m := closeRE.FindStringSubmatch(query); m != nil {
		name := cursorName(m[1])
		if name == "all" {
			c.closeAll()
		} else {
			p, ok := c.portals[name]
			if !ok || name == "" {
				return true, sql.Errorf(sql.CodeInvalidCursor, "cursor %q does not exist", name)
			}
			p.close()
			delete(c.portals, name)
		}
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte("CLOSE CURSOR")})
		return true, nil
	}
	return false, nil
}

func (c *conn) declare(ctx context.Context, name, query string) error {
	if c.sess.txn == txnFailed {
		return sql.Errorf(codeInFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
	}
	if c.sess.txn != txnInBlock {
		return sql.Errorf("25P01", "DECLARE CURSOR can only be used in transaction blocks")
	}
	if _, ok := c.portals[name]; ok {
		return sql.Errorf(codeDuplicateCursor, "cursor %q already exists", name)
	}
	stmts, err := c.parser.Parse(query)
	if err != nil {
		return err
	}
	if len(stmts) != 1 {
		return sql.Errorf(sql.CodeSyntax, "DECLARE CURSOR needs exactly one query")
	}
	ps := &prepStmt{stmt: stmts[0]}
	if err := c.prepare(ps, nil); err != nil {
		return err
	}
	if ps.schema == nil {
		return sql.Errorf("42P11", "cursor can only scan a query returning rows")
	}
	pctx, cancel := context.WithCancel(ctx)
	p := &portal{ps: ps, ctx: pctx, cancel: cancel}
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

// fetch sends up to count rows (0 = all) of cursor name as one result set,
// blocking until they are ready or the query ends.
func (c *conn) fetch(ctx context.Context, name string, count int) error {
	p, ok := c.portals[name]
	if !ok || name == "" {
		return sql.Errorf(sql.CodeInvalidCursor, "cursor %q does not exist", name)
	}
	c.be.Send(&pgproto3.RowDescription{Fields: fieldDescriptions(p.ps.schema, nil)})
	n, _, _, err := c.runPortal(ctx, p, count)
	if err != nil {
		return err
	}
	c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(rowsTag("FETCH", n))})
	return nil
}
