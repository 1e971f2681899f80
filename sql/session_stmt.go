package sql

import "strings"

func parseShow(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	s := &Show{StmtBase: base}
	switch {
	case c.accept("streams"):
		s.Kind = ShowStreams
	case c.acceptSeq("materialized", "views"), c.accept("views"):
		s.Kind = ShowViews
	case c.accept("queries"):
		s.Kind = ShowQueries
	case c.acceptSeq("time", "zone"):
		s.Kind, s.Name = ShowParam, "timezone"
	case c.acceptSeq("transaction", "isolation", "level"):
		s.Kind, s.Name = ShowParam, "transaction_isolation"
	default:
		name, err := parseParamName(c)
		if err != nil {
			return nil, err
		}
		s.Kind, s.Name = ShowParam, name
	}
	if err := c.expectEnd(); err != nil {
		return nil, err
	}
	return s, nil
}

// parseParamName reads a run-time parameter name, possibly dotted, lower-cased.
func parseParamName(c *cursor) (string, error) {
	name, err := c.ident()
	if err != nil {
		return "", err
	}
	for c.acceptOp(".") {
		part, err := c.ident()
		if err != nil {
			return "", err
		}
		name += "." + part
	}
	return strings.ToLower(name), nil
}

func parseDescribe(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	name, err := c.ident()
	if err != nil {
		return nil, err
	}
	if c.acceptOp(".") {
		// schema.name: "public" is the default schema and is dropped, as
		// the binder does; other schemas (sluice.queries) stay in the name.
		rel, err := c.ident()
		if err != nil {
			return nil, err
		}
		if name == "public" {
			name = rel
		} else {
			name += "." + rel
		}
	}
	if err := c.expectEnd(); err != nil {
		return nil, err
	}
	return &Describe{StmtBase: base, Name: name}, nil
}

func parseSet(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	s := &Set{StmtBase: base}
	if c.accept("local") {
		s.Local = true
	} else {
		c.accept("session")
	}
	if c.peek().is("transaction") || c.peek().is("characteristics") {
		// Isolation levels are accepted and ignored: Sluice has no
		// transactions over streams.
		s.Name = "transaction"
		// A trailing comment is not part of the value, as it is not of
		// the statement's text.
		s.Value = c.textFrom(c.peek())
		return s, nil
	}
	if c.acceptSeq("time", "zone") {
		s.Name = "timezone"
	} else {
		name, err := parseParamName(c)
		if err != nil {
			return nil, err
		}
		s.Name = name
		if !c.accept("to") && !c.acceptOp("=") {
			return nil, c.errHere()
		}
	}
	val, err := parseSetValues(c)
	if err != nil {
		return nil, err
	}
	s.Value = val
	return s, nil
}

// parseSetValues reads "value[, value…]" and joins the values with ", ".
func parseSetValues(c *cursor) (string, error) {
	var vals []string
	for {
		t := c.peek()
		switch {
		case t.is("default"):
			c.next()
			vals = append(vals, "DEFAULT")
		case t.is("interval"):
			return "", notSupported(c.src, t.start, "SET with an interval value")
		default:
			v, err := parseOptionValue(c)
			if err != nil {
				return "", err
			}
			vals = append(vals, v)
		}
		if c.atEnd() {
			return strings.Join(vals, ", "), nil
		}
		if err := c.expectOp(","); err != nil {
			return "", err
		}
	}
}

func parseReset(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	var name string
	switch {
	case c.acceptSeq("time", "zone"):
		name = "timezone"
	case c.acceptSeq("session", "authorization"):
		name = "session_authorization"
	default:
		var err error
		if name, err = parseParamName(c); err != nil {
			return nil, err
		}
	}
	if err := c.expectEnd(); err != nil {
		return nil, err
	}
	return &Set{StmtBase: base, Name: name, Value: "DEFAULT", Reset: true}, nil
}

// parseSavepoint reads SAVEPOINT name and RELEASE [SAVEPOINT] name.
func parseSavepoint(c *cursor, base StmtBase) (Statement, error) {
	sp := &Savepoint{StmtBase: base, Kind: SavepointDefine}
	if c.next().val == "release" {
		sp.Kind = SavepointRelease
		c.accept("savepoint")
	}
	return savepointName(c, sp)
}

func savepointName(c *cursor, sp *Savepoint) (Statement, error) {
	name, err := c.ident()
	if err != nil {
		return nil, err
	}
	sp.Name = name
	return sp, c.expectEnd()
}

// parseDeallocate reads DEALLOCATE [PREPARE] {name | ALL}.
func parseDeallocate(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	c.accept("prepare")
	d := &Deallocate{StmtBase: base}
	if c.accept("all") {
		d.All = true
	} else {
		name, err := c.ident()
		if err != nil {
			return nil, err
		}
		d.Name = name
	}
	return d, c.expectEnd()
}

// parseDiscard reads DISCARD {ALL | PLANS | SEQUENCES | TEMP | TEMPORARY}.
func parseDiscard(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	d := &Discard{StmtBase: base}
	for _, w := range []string{"all", "plans", "sequences", "temp", "temporary"} {
		if c.accept(w) {
			d.What = strings.TrimSuffix(w, "orary")
			return d, c.expectEnd()
		}
	}
	return nil, c.errHere()
}

func parseTxn(c *cursor, base StmtBase) (Statement, error) {
	t := c.next()
	x := &Txn{StmtBase: base}
	switch t.val {
	case "begin":
		x.Kind = TxnBegin
		if !c.accept("transaction") {
			c.accept("work")
		}
	case "start":
		x.Kind = TxnBegin
		if err := c.expect("transaction"); err != nil {
			return nil, err
		}
	case "commit", "end":
		x.Kind = TxnCommit
		if !c.accept("transaction") {
			c.accept("work")
		}
	default:
		x.Kind = TxnRollback
		if !c.accept("transaction") {
			c.accept("work")
		}
		if c.accept("to") {
			c.accept("savepoint")
			return savepointName(c, &Savepoint{StmtBase: base, Kind: SavepointRollbackTo})
		}
	}
	if x.Kind == TxnBegin {
		return x, skipTxnModes(c)
	}
	return x, c.expectEnd()
}

// skipTxnModes accepts ISOLATION LEVEL …, READ ONLY/WRITE, [NOT] DEFERRABLE,
// which Sluice ignores.
func skipTxnModes(c *cursor) error {
	for !c.atEnd() {
		switch {
		case c.acceptSeq("isolation", "level"):
			if !c.accept("serializable") && !c.acceptSeq("repeatable", "read") &&
				!c.acceptSeq("read", "committed") && !c.acceptSeq("read", "uncommitted") {
				return c.errHere()
			}
		case c.acceptSeq("read", "only"), c.acceptSeq("read", "write"),
			c.accept("deferrable"), c.acceptSeq("not", "deferrable"), c.acceptOp(","):
		default:
			return c.errHere()
		}
	}
	return nil
}
