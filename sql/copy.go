package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Copy is a COPY statement. Sluice supports COPY … TO STDOUT (rows of a
// query) and COPY stream FROM STDIN (rows produced to a stream), in text or
// CSV format. Files, PROGRAM and the binary format are 0A000.
type Copy struct {
	// From is true for COPY … FROM STDIN.
	From bool
	// Query is the SELECT whose rows COPY … TO STDOUT sends: the text inside
	// COPY ( … ), or SELECT cols FROM name made from COPY name (cols).
	Query string
	// QueryPos is the byte offset of Query in the statement (-1 when Query
	// was made up), so that errors in it point into the user's text.
	QueryPos int
	// Stream and Columns are the target of COPY … FROM STDIN; Columns is
	// empty for all columns.
	Stream  string
	Columns []string
	Format  CopyFormat
}

// CopyFormat holds the options of the text and CSV formats.
type CopyFormat struct {
	CSV       bool
	Header    bool
	Delimiter byte
	Null      string
	// Quote and Escape apply to CSV only.
	Quote, Escape byte
}

// copyOpts collects the options as written, before defaults.
type copyOpts struct {
	format        string
	header        *bool
	delim, null   *string
	quote, escape *string
	sawFormat     bool
}

// ParseCopy parses src if it is a single COPY statement; it returns nil,
// nil for anything else, which the caller then parses as usual. Errors are
// *Error: 42601 syntax, 22023 bad option value, 0A000 unsupported forms.
func ParseCopy(src string) (*Copy, error) {
	toks, err := lex(src)
	if err != nil || len(toks) == 0 || !toks[0].is("copy") {
		return nil, nil
	}
	// Trailing semicolons end the statement; anything after them makes a
	// multi-statement query, which the general parser reports.
	n := len(toks) - 1
	for n > 0 && toks[n-1].isOp(";") {
		n--
	}
	for _, t := range toks[:n] {
		if t.isOp(";") {
			return nil, nil
		}
	}
	seg := append(toks[:n:n], token{kind: tkEOF, start: len(src), end: len(src)})
	c := &cursor{src: src, toks: seg}
	c.next()
	cp := &Copy{QueryPos: -1}
	if err := parseCopySource(c, cp); err != nil {
		return nil, err
	}
	if err := parseCopyDirection(c, cp); err != nil {
		return nil, err
	}
	var o copyOpts
	if err := parseCopyOptions(c, &o); err != nil {
		return nil, err
	}
	if err := c.expectEnd(); err != nil {
		return nil, err
	}
	cp.Format, err = o.resolve()
	return cp, err
}

// parseCopySource reads "( query )" or "name [( cols )]".
func parseCopySource(c *cursor, cp *Copy) error {
	if c.accept("binary") {
		return notSupported(c.src, c.toks[c.i-1].start, "COPY BINARY")
	}
	if c.peek().isOp("(") {
		open := c.next()
		depth := 1
		for depth > 0 {
			t := c.next()
			switch {
			case t.kind == tkEOF:
				return c.errHere()
			case t.isOp("("):
				depth++
			case t.isOp(")"):
				depth--
			}
		}
		closing := c.toks[c.i-1]
		cp.Query = strings.TrimSpace(c.src[open.end:closing.start])
		cp.QueryPos = open.end + strings.Index(c.src[open.end:closing.start], cp.Query)
		return nil
	}
	first := c.peek()
	name, err := qualifiedName(c)
	if err != nil {
		return err
	}
	cp.Stream = strings.TrimPrefix(name, "public.")
	nameText := c.src[first.start:c.toks[c.i-1].end]
	colText := "*"
	if c.peek().isOp("(") {
		open := c.next()
		if cp.Columns, err = parseIdentList(c); err != nil {
			return err
		}
		colText = c.src[open.end:c.toks[c.i-1].start]
	}
	cp.Query = "SELECT " + colText + " FROM " + nameText
	return nil
}

// qualifiedName reads name or schema.name, folded as identifiers are.
func qualifiedName(c *cursor) (string, error) {
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
	return name, nil
}

// parseCopyDirection reads TO STDOUT or FROM STDIN.
func parseCopyDirection(c *cursor, cp *Copy) error {
	switch {
	case c.accept("to"):
	case c.accept("from"):
		if cp.Stream == "" {
			return syntaxErrorTok(c.src, c.toks[c.i-1])
		}
		cp.From = true
	default:
		return c.errHere()
	}
	t := c.peek()
	switch {
	case !cp.From && t.is("stdout"), cp.From && t.is("stdin"):
		c.next()
		return nil
	case t.kind == tkString, t.is("program"):
		return notSupported(c.src, t.start, "COPY to or from a file or program (use psql's \\copy)")
	}
	return c.errHere()
}

// parseCopyOptions reads "[WITH] ( option [value], … )" or the legacy
// option list "[WITH] [BINARY] [DELIMITER 'c'] [NULL 's'] [CSV [HEADER]
// [QUOTE 'q'] [ESCAPE 'e']]".
func parseCopyOptions(c *cursor, o *copyOpts) error {
	c.accept("with")
	if c.acceptOp("(") {
		for {
			if err := parseCopyOption(c, o); err != nil {
				return err
			}
			if !c.acceptOp(",") {
				return c.expectOp(")")
			}
		}
	}
	for !c.atEnd() {
		if err := parseLegacyOption(c, o); err != nil {
			return err
		}
	}
	return nil
}

// parseCopyOption reads one option of the parenthesised list.
func parseCopyOption(c *cursor, o *copyOpts) error {
	t := c.peek()
	name, err := c.ident()
	if err != nil {
		return err
	}
	var val *token
	if v := c.peek(); !v.isOp(",") && !v.isOp(")") {
		c.next()
		val = &v
	}
	str := func() (*string, error) {
		if val == nil || val.kind != tkString && val.kind != tkIdent {
			return nil, Errorf(CodeSyntax, "%s requires a string value", name)
		}
		return &val.val, nil
	}
	switch name {
	case "format":
		s, err := str()
		if err != nil {
			return err
		}
		return o.setFormat(c, t, *s)
	case "header":
		return o.setHeader(val)
	case "delimiter":
		o.delim, err = str()
	case "null":
		o.null, err = str()
	case "quote":
		o.quote, err = str()
	case "escape":
		o.escape, err = str()
	case "encoding":
		if s, e := str(); e != nil || !strings.EqualFold(strings.ReplaceAll(*s, "-", ""), "utf8") {
			return notSupported(c.src, t.start, "COPY encodings other than UTF8")
		}
	case "force_quote", "force_not_null", "force_null", "freeze", "default":
		return notSupported(c.src, t.start, "COPY option "+strings.ToUpper(name))
	default:
		return errorAt(c.src, t.start, CodeSyntax, "option %q not recognized", name)
	}
	return err
}

// parseLegacyOption reads one option of the pre-9.0 syntax psql's \copy
// still sends ("COPY t FROM STDIN WITH CSV").
func parseLegacyOption(c *cursor, o *copyOpts) error {
	t := c.peek()
	str := func() (*string, error) {
		c.accept("as")
		v := c.next()
		if v.kind != tkString {
			return nil, syntaxErrorTok(c.src, v)
		}
		return &v.val, nil
	}
	var err error
	switch {
	case c.accept("binary"):
		return o.setFormat(c, t, "binary")
	case c.accept("csv"):
		return o.setFormat(c, t, "csv")
	case c.accept("header"):
		yes := true
		o.header = &yes
	case c.accept("delimiter"):
		o.delim, err = str()
	case c.accept("null"):
		o.null, err = str()
	case c.accept("quote"):
		o.quote, err = str()
	case c.accept("escape"):
		o.escape, err = str()
	case c.accept("force"), c.accept("freeze"):
		return notSupported(c.src, t.start, "COPY option "+strings.ToUpper(t.val))
	default:
		return c.errHere()
	}
	return err
}

func (o *copyOpts) setFormat(c *cursor, t token, f string) error {
	if o.sawFormat {
		return errorAt(c.src, t.start, CodeSyntax, "conflicting or redundant options")
	}
	o.sawFormat = true
	switch f = strings.ToLower(f); f {
	case "text", "csv":
		o.format = f
		return nil
	case "binary":
		return notSupported(c.src, t.start, "COPY in binary format")
	}
	return Errorf(CodeInvalidParameter, "COPY format %q not recognized", f)
}

func (o *copyOpts) setHeader(val *token) error {
	yes := true
	if val != nil {
		switch strings.ToLower(val.val) {
		case "true", "on", "1", "match":
		case "false", "off", "0":
			yes = false
		default:
			return Errorf(CodeInvalidParameter, "header requires a Boolean value or \"match\"")
		}
	}
	o.header = &yes
	return nil
}

// resolve applies the defaults of the format and checks the options as
// PostgreSQL does.
func (o *copyOpts) resolve() (CopyFormat, error) {
	f := CopyFormat{CSV: o.format == "csv", Delimiter: '\t', Null: `\N`}
	if f.CSV {
		f.Delimiter, f.Null, f.Quote, f.Escape = ',', "", '"', '"'
	}
	if o.header != nil {
		f.Header = *o.header
	}
	if o.null != nil {
		f.Null = *o.null
	}
	if !f.CSV && (o.quote != nil || o.escape != nil) {
		return f, Errorf(CodeFeatureNotSupported, "COPY QUOTE and ESCAPE are available only in CSV mode")
	}
	for _, opt := range []struct {
		name string
		v    *string
		dst  *byte
	}{{"delimiter", o.delim, &f.Delimiter}, {"quote", o.quote, &f.Quote}, {"escape", o.escape, &f.Escape}} {
		if opt.v == nil {
			continue
		}
		if len(*opt.v) != 1 {
			return f, Errorf(CodeFeatureNotSupported, "COPY %s must be a single one-byte character", opt.name)
		}
		*opt.dst = (*opt.v)[0]
	}
	if o.quote != nil && o.escape == nil {
		f.Escape = f.Quote
	}
	return f, f.check()
}

// check rejects the combinations PostgreSQL rejects.
func (f CopyFormat) check() error {
	d := f.Delimiter
	switch {
	case d == '\n' || d == '\r':
		return Errorf(CodeInvalidParameter, "COPY delimiter cannot be newline or carriage return")
	case strings.ContainsAny(f.Null, "\r\n"):
		return Errorf(CodeInvalidParameter, "COPY null representation cannot use newline or carriage return")
	case !f.CSV && strings.IndexByte(`\.abcdefghijklmnopqrstuvwxyz0123456789`, d) >= 0:
		return Errorf(CodeInvalidParameter, "COPY delimiter cannot be %q", string(d))
	case strings.IndexByte(f.Null, d) >= 0:
		return Errorf(CodeInvalidParameter, "COPY delimiter must not appear in the NULL specification")
	case f.CSV && d == f.Quote:
		return Errorf(CodeInvalidParameter, "COPY delimiter and quote must be different")
	case f.CSV && strings.IndexByte(f.Null, f.Quote) >= 0:
		return Errorf(CodeInvalidParameter, "CSV quote character must not appear in the NULL specification")
	}
	return nil
}

// CopyValue converts one field of COPY FROM input to type t, with the same
// rules as a quoted literal in INSERT … VALUES ('…'). Errors are 22P02,
// 22007 and 22003.
func CopyValue(s string, t arrow.DataType) (any, error) {
	return convertValue(s, typeText, t)
}

// BindCopy resolves the target of COPY stream [(cols)] FROM STDIN: the
// stream and, for each input field, the index of its column. Errors are
// 42P01, 42703, 42701 and 0A000 (not a stream).
func BindCopy(cat Catalog, stream string, cols []string) (*Relation, []int, error) {
	rel, ok := cat.Relation(stream)
	if !ok {
		return nil, nil, Errorf(CodeUndefinedTable, "relation %q does not exist", stream)
	}
	if !rel.IsStream {
		return nil, nil, Errorf(CodeFeatureNotSupported, "COPY FROM into %q is not supported: only streams accept rows", rel.Name)
	}
	targets, err := insertTargets(rel, cols)
	return rel, targets, err
}

// SingleStatement reports whether src holds at most one statement
// (semicolons inside strings, identifiers and comments do not count). The
// server reads cursor statements from a Query only when it holds one.
func SingleStatement(src string) bool {
	toks, err := lex(src)
	if err != nil {
		return false
	}
	for i, t := range toks {
		if t.isOp(";") {
			for _, rest := range toks[i+1:] {
				if rest.kind != tkEOF && !rest.isOp(";") {
					return false
				}
			}
			return true
		}
	}
	return true
}
