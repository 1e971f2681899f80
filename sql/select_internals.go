package sql

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/format"
)

// selectInternals is the sql package's private representation of a parsed
// SELECT: the TiDB AST of the rewritten text plus what the rewriter captured.
// The AST never leaves the package.
type selectInternals struct {
	src  string // the whole original query string
	stmt *ast.SelectStmt
	// rw is the rewritten text TiDB parsed; offs[i] is where out[i] starts in it.
	rw   string
	out  []outTok
	offs []int
	// casts are the targets of sluice_cast(x, i).
	casts []castTarget
	// params maps the rewritten offset of each "?" to n of $n.
	params     map[int]int
	emit       EmitMode
	nullsFirst map[int]bool // ORDER BY item → NULLS FIRST (true) / LAST (false)
}

// parseSelect rewrites the tokens from the cursor to the statement's end and
// parses them with TiDB.
func (p *Parser) parseSelect(c *cursor) (*Select, error) {
	first := c.peek()
	if first.kind == tkEOF {
		return nil, c.errHere()
	}
	term := c.toks[len(c.toks)-1]
	r := newRewriter(c)
	if err := r.run(); err != nil {
		return nil, err
	}
	si := selectInternals{src: c.src, out: r.out, casts: r.casts, emit: r.emit,
		nullsFirst: r.nullsFirst, params: map[int]int{}}
	var b strings.Builder
	for i, o := range r.out {
		// MySQL reads "count (" as an identifier, not a call: no space
		// between a name and its parenthesis.
		if i > 0 && (o.text != "(" || !isWord(r.out[i-1].text)) {
			b.WriteByte(' ')
		}
		si.offs = append(si.offs, b.Len())
		if n, ok := r.params[i]; ok {
			si.params[b.Len()] = n
		}
		b.WriteString(o.text)
	}
	si.rw = b.String()
	stmts, err := p.parseTiDB(si.rw)
	if err != nil {
		return nil, si.syntaxError(err, term)
	}
	if len(stmts) != 1 {
		return nil, syntaxErrorTok(c.src, term)
	}
	switch st := stmts[0].(type) {
	case *ast.SelectStmt:
		si.stmt = st
	case *ast.SetOprStmt:
		return nil, notSupported(c.src, first.start, "UNION, INTERSECT and EXCEPT")
	default:
		return nil, syntaxErrorAt(c.src, first.start, c.src[first.start:first.end])
	}
	if err := si.checkUnsupported(first); err != nil {
		return nil, err
	}
	return &Select{StmtBase: StmtBase{SQL: c.textFrom(first)}, sel: si}, nil
}

// parseTiDB runs the TiDB parser. A panic inside it (its test driver
// panics on some literals) is turned into an error so that a bad statement
// never takes a session down.
func (p *Parser) parseTiDB(text string) (stmts []ast.StmtNode, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.tidb = newTiDBParser()
			stmts, err = nil, fmt.Errorf("sql: tidb parser panic: %v", r)
		}
	}()
	stmts, _, err = p.tidb.ParseSQL(text)
	return stmts, err
}

// tidbNear extracts the unparsed remainder TiDB quotes in its syntax errors:
// `line 1 column 9 near "FROM x" ` or, for long text, `… (total length N)`.
var tidbNear = regexp.MustCompile(`(?s)near "(.*)"\s*(?:\(total length (\d+)\))?\s*$`)

// syntaxError maps a TiDB syntax error to PostgreSQL's form at the position
// of the original token. term is the statement's terminator token.
func (si *selectInternals) syntaxError(err error, term token) *Error {
	m := tidbNear.FindStringSubmatch(err.Error())
	if m == nil {
		return syntaxErrorMsg(si.src, term.start, "syntax error")
	}
	rest := len(m[1])
	if m[2] != "" {
		rest, _ = strconv.Atoi(m[2])
	}
	off := len(si.rw) - rest
	if off >= len(si.rw) || off < 0 {
		return syntaxErrorTok(si.src, term)
	}
	o := si.out[si.tokenAt(off)]
	return syntaxErrorAt(si.src, o.orig, si.src[o.orig:o.origEnd])
}

// tokenAt returns the index of the rewritten token covering offset off.
func (si *selectInternals) tokenAt(off int) int {
	i := sort.Search(len(si.offs), func(i int) bool { return si.offs[i] > off }) - 1
	if i < 0 {
		return 0
	}
	return i
}

// origPos returns the 1-based character position in the original query of
// the node at rewritten offset off (0 when unknown).
func (si *selectInternals) origPos(n ast.Node) int {
	off := n.OriginTextPosition()
	if len(si.out) == 0 || off < 0 || off >= len(si.rw) {
		return 0
	}
	return charPos(si.src, si.out[si.tokenAt(off)].orig)
}

// checkUnsupported rejects SELECT features Sluice does not run, naming them.
func (si *selectInternals) checkUnsupported(first token) error {
	st := si.stmt
	feature := ""
	switch {
	case st.With != nil:
		feature = "WITH (common table expressions)"
	case st.Distinct:
		feature = "SELECT DISTINCT"
	case st.WindowSpecs != nil:
		feature = "WINDOW clauses"
	case st.LockInfo != nil:
		feature = "SELECT … FOR UPDATE"
	case st.SelectIntoOpt != nil:
		feature = "SELECT INTO"
	case st.Limit != nil && st.Limit.Offset != nil:
		feature = "OFFSET"
	case st.GroupBy != nil && st.GroupBy.Rollup:
		feature = "GROUP BY … WITH ROLLUP"
	case len(st.TableHints) > 0:
		feature = "optimizer hints"
	}
	if feature != "" {
		return notSupported(si.src, first.start, feature)
	}
	return nil
}

// restore renders the TiDB AST (used by the parse goldens to show what the
// dialect front produced).
func (si *selectInternals) restore() string {
	var b strings.Builder
	ctx := format.NewRestoreCtx(format.RestoreStringSingleQuotes|format.RestoreKeyWordUppercase|
		format.RestoreNameBackQuotes, &b)
	if err := si.stmt.Restore(ctx); err != nil {
		return "<" + err.Error() + ">"
	}
	return b.String()
}

// String returns the SELECT's source text.
func (s *Select) String() string { return s.SQL }

// namePos finds the position of a relation name after FROM, for nodes TiDB
// gives no offset; def is returned when it is not found.
func (si *selectInternals) namePos(name string, def int) int {
	afterFrom := false
	for _, o := range si.out {
		if afterFrom && (o.text == name || o.text == "`"+name+"`") {
			return charPos(si.src, o.orig)
		}
		if o.text == "from" {
			afterFrom = true
		}
	}
	return def
}
