package sql

import (
	"strconv"
)

// parseInsert reads INSERT INTO stream [(cols)] VALUES (…), (…). The values
// must be constants; they are kept as unbound Literal/Cast/Call("neg") trees
// that BindInsert converts to the columns' types.
func parseInsert(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	if err := c.expect("into"); err != nil {
		return nil, err
	}
	name, err := c.ident()
	if err != nil {
		return nil, err
	}
	ins := &Insert{StmtBase: base, Stream: name}
	if c.acceptOp("(") {
		if ins.Columns, err = parseIdentList(c); err != nil {
			return nil, err
		}
	}
	if c.peek().is("select") || c.peek().is("with") {
		return nil, notSupported(c.src, c.peek().start, "INSERT … SELECT")
	}
	if err := c.expect("values"); err != nil {
		return nil, err
	}
	for {
		row, err := parseValuesRow(c)
		if err != nil {
			return nil, err
		}
		ins.Rows = append(ins.Rows, row)
		if !c.acceptOp(",") {
			break
		}
	}
	if c.peek().is("returning") || c.peek().is("on") {
		return nil, notSupported(c.src, c.peek().start, "INSERT "+upper(c.peek().val))
	}
	return ins, c.expectEnd()
}

// parseIdentList reads "a, b, c)" (the opening parenthesis already read).
func parseIdentList(c *cursor) ([]string, error) {
	var names []string
	for {
		n, err := c.ident()
		if err != nil {
			return nil, err
		}
		names = append(names, n)
		if c.acceptOp(")") {
			return names, nil
		}
		if err := c.expectOp(","); err != nil {
			return nil, err
		}
	}
}

func parseValuesRow(c *cursor) ([]Expr, error) {
	if err := c.expectOp("("); err != nil {
		return nil, err
	}
	var row []Expr
	for {
		e, err := parseConstExpr(c)
		if err != nil {
			return nil, err
		}
		row = append(row, e)
		if c.acceptOp(")") {
			return row, nil
		}
		if err := c.expectOp(","); err != nil {
			return nil, err
		}
	}
}

// parseConstExpr reads a constant: a literal, NULL, DEFAULT, TRUE/FALSE, a
// signed number, CAST(c AS t), c::t, a typed literal (TIMESTAMP '…') or a
// parenthesised constant.
func parseConstExpr(c *cursor) (Expr, error) {
	e, err := parseConstPrimary(c)
	if err != nil {
		return nil, err
	}
	for c.acceptOp("::") {
		t, _, err := parseType(c)
		if err != nil {
			return nil, err
		}
		e = &Cast{Expr: e, T: t}
	}
	return e, nil
}

func parseConstPrimary(c *cursor) (Expr, error) {
	t := c.peek()
	switch {
	case t.isOp("-"), t.isOp("+"):
		c.next()
		e, err := parseConstExpr(c)
		if err != nil || t.val == "+" {
			return e, err
		}
		return negateConst(e), nil
	case t.isOp("("):
		c.next()
		e, err := parseConstExpr(c)
		if err != nil {
			return nil, err
		}
		return e, c.expectOp(")")
	case t.kind == tkString:
		c.next()
		return &Literal{Value: t.val, T: typeText}, nil
	case t.kind == tkNumber:
		c.next()
		return numberLiteral(t.val), nil
	case t.is("null"), t.is("default"):
		c.next()
		return &Literal{T: typeNull}, nil
	case t.is("true"), t.is("false"):
		c.next()
		return &Literal{Value: t.val == "true", T: typeBool}, nil
	case t.is("cast"):
		return parseConstCast(c)
	case t.kind == tkIdent && !t.quoted && c.peekN(1).kind == tkString:
		typ, _, err := parseType(c)
		if err != nil {
			return nil, err
		}
		s := c.next()
		return &Cast{Expr: &Literal{Value: s.val, T: typeText}, T: typ}, nil
	case t.kind == tkEOF:
		return nil, c.errHere()
	}
	return nil, notSupported(c.src, t.start, "a non-constant expression in INSERT VALUES")
}

func parseConstCast(c *cursor) (Expr, error) {
	c.next()
	if err := c.expectOp("("); err != nil {
		return nil, err
	}
	e, err := parseConstExpr(c)
	if err != nil {
		return nil, err
	}
	if err := c.expect("as"); err != nil {
		return nil, err
	}
	t, _, err := parseType(c)
	if err != nil {
		return nil, err
	}
	return &Cast{Expr: e, T: t}, c.expectOp(")")
}

// numberLiteral types an integer that fits as INT8 and anything else as
// FLOAT8 (PostgreSQL would say NUMERIC; Sluice computes it in float64).
func numberLiteral(s string) *Literal {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return &Literal{Value: i, T: typeInt8}
	}
	f, _ := strconv.ParseFloat(s, 64)
	return &Literal{Value: f, T: typeFloat8}
}

// negateConst folds unary minus into a numeric literal.
func negateConst(e Expr) Expr {
	if l, ok := e.(*Literal); ok {
		switch v := l.Value.(type) {
		case int64:
			if v != -v || v == 0 {
				return &Literal{Value: -v, T: l.T}
			}
		case float64:
			return &Literal{Value: -v, T: l.T}
		}
	}
	return &Call{Func: "neg", Args: []Expr{e}, T: e.Type()}
}
