package sql

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

func (p *Parser) parseCreate(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	switch {
	case c.accept("stream"):
		return p.parseCreateStream(c, base)
	case c.acceptSeq("materialized", "view"):
		name, ifNot, err := parseNameIfNotExists(c)
		if err != nil {
			return nil, err
		}
		if err := c.expect("as"); err != nil {
			return nil, err
		}
		sel, err := p.parseSelect(c)
		if err != nil {
			return nil, err
		}
		return &CreateView{StmtBase: base, Name: name, IfNotExists: ifNot, As: sel}, nil
	case c.peek().is("table"):
		return nil, notSupported(c.src, c.peek().start, "CREATE TABLE (use CREATE STREAM)")
	case c.peek().is("view"):
		return nil, notSupported(c.src, c.peek().start, "CREATE VIEW (use CREATE MATERIALIZED VIEW)")
	}
	return nil, c.errHere()
}

// parseNameIfNotExists reads "[IF NOT EXISTS] name".
func parseNameIfNotExists(c *cursor) (string, bool, error) {
	ifNot := c.acceptSeq("if", "not", "exists")
	name, err := c.ident()
	return name, ifNot, err
}

func (p *Parser) parseCreateStream(c *cursor, base StmtBase) (Statement, error) {
	name, ifNot, err := parseNameIfNotExists(c)
	if err != nil {
		return nil, err
	}
	cs := &CreateStream{StmtBase: base, Name: name, IfNotExists: ifNot, With: map[string]string{}}
	if c.peek().isOp("(") {
		if err := parseStreamElements(c, cs); err != nil {
			return nil, err
		}
	}
	if c.accept("with") {
		if err := parseWithOptions(c, cs.With); err != nil {
			return nil, err
		}
	}
	if c.accept("as") {
		sel, err := p.parseSelect(c)
		if err != nil {
			return nil, err
		}
		cs.As = sel
	}
	if err := c.expectEnd(); err != nil {
		return nil, err
	}
	if len(cs.Columns) == 0 && cs.As == nil {
		return nil, syntaxErrorMsg(c.src, c.toks[0].start, "CREATE STREAM needs a column list or AS SELECT")
	}
	return cs, nil
}

// parseStreamElements reads "(col type, …, WATERMARK FOR col AS expr)".
func parseStreamElements(c *cursor, cs *CreateStream) error {
	c.next() // (
	seen := map[string]bool{}
	for {
		if c.peek().is("watermark") {
			if err := parseWatermark(c, cs); err != nil {
				return err
			}
		} else {
			at := c.peek()
			col, err := parseColumnDef(c)
			if err != nil {
				return err
			}
			if seen[col.Name] {
				return errorAt(c.src, at.start, CodeDuplicateColumn, "column %q specified more than once", col.Name)
			}
			seen[col.Name] = true
			cs.Columns = append(cs.Columns, col)
		}
		if c.acceptOp(")") {
			return checkWatermark(c, cs)
		}
		if err := c.expectOp(","); err != nil {
			return err
		}
	}
}

func parseColumnDef(c *cursor) (ColumnDef, error) {
	name, err := c.ident()
	if err != nil {
		return ColumnDef{}, err
	}
	t, canon, err := parseType(c)
	if err != nil {
		return ColumnDef{}, err
	}
	if c.accept("null") {
		return ColumnDef{Name: name, Type: t, TypeName: canon}, nil
	}
	if k := c.peek(); k.is("not") || k.is("primary") || k.is("default") || k.is("unique") ||
		k.is("references") || k.is("check") || k.is("constraint") {
		return ColumnDef{}, notSupported(c.src, k.start, "column constraints")
	}
	return ColumnDef{Name: name, Type: t, TypeName: canon}, nil
}

// parseWatermark reads "WATERMARK FOR col AS col [- INTERVAL '…']".
func parseWatermark(c *cursor, cs *CreateStream) error {
	at := c.next()
	if cs.Watermark != nil {
		return syntaxErrorMsg(c.src, at.start, "multiple WATERMARK clauses")
	}
	if err := c.expect("for"); err != nil {
		return err
	}
	col, err := c.ident()
	if err != nil {
		return err
	}
	if err := c.expect("as"); err != nil {
		return err
	}
	ref := c.peek()
	expr, err := c.ident()
	if err != nil {
		return err
	}
	if expr != col {
		return notSupported(c.src, ref.start, "a watermark on a column other than the WATERMARK FOR column")
	}
	wm := &Watermark{Column: col}
	if c.acceptOp("-") {
		d, err := parseIntervalTokens(c)
		if err != nil {
			return err
		}
		if d < 0 {
			return errorAt(c.src, ref.start, CodeInvalidParameter, "watermark delay must not be negative")
		}
		wm.Delay = time.Duration(d) * time.Microsecond
	}
	cs.Watermark = wm
	return nil
}

// checkWatermark validates the watermark column once all columns are known.
func checkWatermark(c *cursor, cs *CreateStream) error {
	if cs.Watermark == nil {
		return nil
	}
	for _, col := range cs.Columns {
		if col.Name == cs.Watermark.Column {
			if col.Type.ID() != arrow.TIMESTAMP {
				return Errorf(CodeDatatypeMismatch, "watermark column %q must be a timestamp, not %s", col.Name, col.TypeName)
			}
			return nil
		}
	}
	return Errorf(CodeUndefinedColumn, "column %q named in WATERMARK does not exist", cs.Watermark.Column)
}

// parseIntervalTokens reads INTERVAL '…' [unit] and returns microseconds.
func parseIntervalTokens(c *cursor) (int64, error) {
	if err := c.expect("interval"); err != nil {
		return 0, err
	}
	s := c.peek()
	if s.kind != tkString {
		return 0, c.errHere()
	}
	c.next()
	unit := ""
	if u := c.peek(); u.kind == tkIdent && !u.quoted && intervalUnits[u.val] != 0 && len(u.val) > 2 {
		unit = u.val
		c.next()
	}
	us, ok := parseInterval(s.val, unit)
	if !ok {
		return 0, badInterval(c.src, s)
	}
	return us, nil
}

func badInterval(src string, s token) *Error {
	return errorAt(src, s.start, CodeInvalidDatetime, "invalid input syntax for type interval: %q", s.val)
}

// parseWithOptions reads "(key = value, …)"; values are strings, numbers,
// identifiers or TRUE/FALSE, stored as text.
func parseWithOptions(c *cursor, with map[string]string) error {
	if err := c.expectOp("("); err != nil {
		return err
	}
	for {
		at := c.peek()
		key, err := c.ident()
		if err != nil {
			return err
		}
		if err := c.expectOp("="); err != nil {
			return err
		}
		val, err := parseOptionValue(c)
		if err != nil {
			return err
		}
		if _, dup := with[key]; dup {
			return syntaxErrorMsg(c.src, at.start, "option \""+key+"\" specified more than once")
		}
		with[key] = val
		if c.acceptOp(")") {
			return nil
		}
		if err := c.expectOp(","); err != nil {
			return err
		}
	}
}

func parseOptionValue(c *cursor) (string, error) {
	neg := c.acceptOp("-")
	t := c.peek()
	switch {
	case t.kind == tkNumber:
		c.next()
		if neg {
			return "-" + t.val, nil
		}
		return t.val, nil
	case neg:
		return "", c.errHere()
	case t.kind == tkString || t.kind == tkIdent:
		c.next()
		return t.val, nil
	}
	return "", c.errHere()
}

func parseDrop(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	var view bool
	switch {
	case c.accept("stream"):
	case c.acceptSeq("materialized", "view"):
		view = true
	case c.peek().is("table") || c.peek().is("view"):
		return nil, notSupported(c.src, c.peek().start, "DROP "+upper(c.peek().val))
	default:
		return nil, c.errHere()
	}
	ifExists := c.acceptSeq("if", "exists")
	name, err := c.ident()
	if err != nil {
		return nil, err
	}
	if err := c.expectEnd(); err != nil {
		return nil, err
	}
	if view {
		return &DropView{StmtBase: base, Name: name, IfExists: ifExists}, nil
	}
	return &DropStream{StmtBase: base, Name: name, IfExists: ifExists}, nil
}
