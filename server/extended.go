package server

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/sql"
)

// prepStmt is a prepared statement of the extended protocol (named ones
// live until Close or the end of the session; the unnamed one until the
// next unnamed Parse).
type prepStmt struct {
	stmt sql.Statement // nil for an empty query
	// prep is the planner's statement; nil for statements the server
	// answers itself.
	prep *planner.Prepared
	// params are the types of $1…$n.
	params []arrow.DataType
	// schema is the row description; nil when the statement has no rows.
	schema *arrow.Schema
}

// portal is a bound statement, executed by one or more Execute messages
// (or FETCH for cursors).
type portal struct {
	ps      *prepStmt
	params  []any
	formats []int16 // per result column; nil means text
	// ctx lives as long as the portal: a continuous query runs in it
	// across Execute messages. cancel ends it.
	ctx    context.Context
	cancel context.CancelFunc
	out    *outcome // set by the first Execute
	done   bool
	// hold marks a cursor declared WITH HOLD: it outlives its transaction
	// and lasts until CLOSE or the end of the session.
	hold bool
}

// close cancels the portal's query and releases its result. An error from
// closing the stream is not the client's concern once the portal is gone.
func (p *portal) close() {
	p.cancel()
	_ = p.out.close()
}

func (c *conn) parse(cmd *cmdParse) error {
	if cmd.name != "" {
		if _, ok := c.stmts[cmd.name]; ok {
			return sql.Errorf(codeDuplicateStatement, "prepared statement %q already exists", cmd.name)
		}
	}
	if cp, _ := sql.ParseCopy(cmd.query); cp != nil {
		// COPY reads or writes CopyData in the middle of the statement; it
		// is served from a simple Query only (what libpq, pgx and psql send).
		return sql.Errorf(sql.CodeFeatureNotSupported, "COPY is supported in a simple Query message only, not over the extended protocol")
	}
	stmts, err := c.parser.Parse(cmd.query)
	if err != nil {
		return err
	}
	if len(stmts) > 1 {
		return sql.Errorf(sql.CodeSyntax, "cannot insert multiple commands into a prepared statement")
	}
	ps := &prepStmt{}
	if len(stmts) == 1 {
		ps.stmt = stmts[0]
	}
	declared := make([]arrow.DataType, len(cmd.oids))
	for i, oid := range cmd.oids {
		declared[i] = arrowTypeOfOID(oid)
	}
	if err := c.prepare(ps, declared); err != nil {
		return err
	}
	c.stmts[cmd.name] = ps
	c.be.Send(&pgproto3.ParseComplete{})
	return nil
}

// prepare fills ps for its statement.
func (c *conn) prepare(ps *prepStmt, declared []arrow.DataType) error {
	if schema, ok, err := c.describeSession(ps.stmt); ok {
		ps.schema = schema
		return err
	}
	if c.sess.txn == txnFailed {
		return sql.Errorf(codeInFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
	}
	prep, err := c.srv.exec.Prepare(ps.stmt, declared)
	if err != nil {
		return err
	}
	ps.prep, ps.params, ps.schema = prep, prep.Params, prep.Schema
	return nil
}

func (c *conn) bind(ctx context.Context, cmd *cmdBind) error {
	ps, ok := c.stmts[cmd.stmt]
	if !ok {
		return sql.Errorf(codeInvalidStatement, "prepared statement %q does not exist", cmd.stmt)
	}
	if cmd.portal != "" {
		if _, ok := c.portals[cmd.portal]; ok {
			return sql.Errorf(codeDuplicateCursor, "portal %q already exists", cmd.portal)
		}
	}
	if len(cmd.params) != len(ps.params) {
		return protocolErrorf("bind message supplies %d parameters, but prepared statement %q requires %d",
			len(cmd.params), cmd.stmt, len(ps.params))
	}
	if n := len(cmd.paramFormats); n > 1 && n != len(cmd.params) {
		return protocolErrorf("bind message has %d parameter formats but %d parameters", n, len(cmd.params))
	}
	params := make([]any, len(cmd.params))
	for i, raw := range cmd.params {
		format := int16(pgproto3.TextFormat)
		switch len(cmd.paramFormats) {
		case 0:
		case 1:
			format = cmd.paramFormats[0]
		default:
			format = cmd.paramFormats[i]
		}
		v, err := decodeParam(raw, ps.params[i], format, i+1)
		if err != nil {
			return err
		}
		params[i] = v
	}
	ncols := 0
	if ps.schema != nil {
		ncols = ps.schema.NumFields()
	}
	formats, err := resolveFormats(cmd.resultFormats, ncols)
	if err != nil {
		return err
	}
	if old, ok := c.portals[cmd.portal]; ok { // the unnamed portal is replaced
		old.close()
	}
	pctx, cancel := context.WithCancel(ctx)
	c.portals[cmd.portal] = &portal{ps: ps, params: params, formats: formats, ctx: pctx, cancel: cancel}
	c.be.Send(&pgproto3.BindComplete{})
	return nil
}

func (c *conn) describe(cmd *cmdDescribe) error {
	if cmd.kind == 'S' {
		ps, ok := c.stmts[cmd.name]
		if !ok {
			return sql.Errorf(codeInvalidStatement, "prepared statement %q does not exist", cmd.name)
		}
		oids := make([]uint32, len(ps.params))
		for i, t := range ps.params {
			oids[i] = pgTypeOf(t).oid
		}
		c.be.Send(&pgproto3.ParameterDescription{ParameterOIDs: oids})
		c.sendRowDescription(ps.schema, nil)
		return nil
	}
	p, ok := c.portals[cmd.name]
	if !ok {
		return sql.Errorf(codeInvalidPortal, "portal %q does not exist", cmd.name)
	}
	c.sendRowDescription(p.ps.schema, p.formats)
	return nil
}

func (c *conn) sendRowDescription(schema *arrow.Schema, formats []int16) {
	if schema == nil {
		c.be.Send(&pgproto3.NoData{})
		return
	}
	c.be.Send(&pgproto3.RowDescription{Fields: fieldDescriptions(schema, formats)})
}

func (c *conn) execute(ctx context.Context, cmd *cmdExecute) error {
	p, ok := c.portals[cmd.portal]
	if !ok {
		return sql.Errorf(codeInvalidPortal, "portal %q does not exist", cmd.portal)
	}
	n, more, tag, err := c.runPortal(ctx, p, int(cmd.maxRows))
	if err != nil {
		return err
	}
	switch {
	case more:
		c.be.Send(&pgproto3.PortalSuspended{})
	case p.out.empty:
		c.be.Send(&pgproto3.EmptyQueryResponse{})
	case p.out.src == nil:
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(tag)})
	default:
		c.be.Send(&pgproto3.CommandComplete{CommandTag: []byte(rowsTag(tag, n))})
	}
	return nil
}

// runPortal starts p on its first use and sends up to max rows (0 = all).
// It returns the rows sent, whether more remain, and the tag or verb.
func (c *conn) runPortal(ctx context.Context, p *portal, max int) (n int, more bool, tag string, err error) {
	c.setRunning(p.cancel)
	defer c.setRunning(nil)
	if p.out == nil {
		out, err := c.start(p.ctx, p.ps.stmt, p.ps.prep, p.params)
		if err != nil {
			return 0, false, "", queryError(ctx, p.ctx, err)
		}
		p.out = out
	}
	if p.done || p.out.src == nil {
		p.done = true
		return 0, false, p.out.tag, nil
	}
	n, more, err = c.sendPortion(p.ctx, p.out.src, max, p.formats)
	if err != nil {
		return n, false, "", queryError(ctx, p.ctx, err)
	}
	if !more {
		p.done = true
		if err := p.out.src.close(); err != nil {
			c.log.Warn("closing result", "err", err)
		}
	}
	return n, more, p.out.tag, nil
}

func (c *conn) closeTarget(cmd *cmdClose) error {
	if cmd.kind == 'S' {
		delete(c.stmts, cmd.name)
	} else if p, ok := c.portals[cmd.name]; ok {
		p.close()
		delete(c.portals, cmd.name)
	}
	c.be.Send(&pgproto3.CloseComplete{})
	return nil
}

// sync ends an extended-protocol round: outside a transaction block the
// implicit transaction ends, and with it every portal.
func (c *conn) sync() {
	if c.sess.txn == txnIdle {
		c.closeTransient()
	}
}

// String renders a portal for logs.
func (p *portal) String() string {
	if p.ps.stmt == nil {
		return "portal(empty)"
	}
	return fmt.Sprintf("portal(%s)", p.ps.stmt.Text())
}
