package sql

import (
	"github.com/pingcap/tidb/pkg/parser"
	"github.com/pingcap/tidb/pkg/parser/mysql"

	// The TiDB parser needs a driver for literal values; test_driver is the
	// dependency-free one.
	_ "github.com/pingcap/tidb/pkg/parser/test_driver"
)

// Parser parses Sluice SQL. A dialect front lexes the text with PostgreSQL's
// rules, hand-parses the streaming and session statements, and rewrites each
// SELECT into text the TiDB parser accepts. A Parser is not safe for
// concurrent use (the TiDB parser it wraps reuses its buffers): keep one per
// session.
type Parser struct {
	tidb *parser.Parser
}

// NewParser returns a Parser.
func NewParser() *Parser {
	return &Parser{tidb: newTiDBParser()}
}

func newTiDBParser() *parser.Parser {
	p := parser.New()
	// PIPES_AS_CONCAT: || is concatenation as in PostgreSQL. The rewriter
	// emits only single-quoted strings with doubled quotes, so backslashes
	// must stay literal (NO_BACKSLASH_ESCAPES).
	p.SetSQLMode(mysql.ModePipesAsConcat | mysql.ModeNoBackslashEscapes)
	return p
}

// Parse splits query into statements at top-level semicolons and parses each.
// An empty or comment-only query yields one *Empty. Errors are *Error: 42601
// with Pos set for syntax errors, 0A000 for recognised but unsupported syntax,
// and 22007/42704 for bad interval or type names.
func (p *Parser) Parse(query string) ([]Statement, error) {
	toks, err := lex(query)
	if err != nil {
		return nil, err
	}
	var stmts []Statement
	start := 0
	for i, t := range toks {
		if !t.isOp(";") && t.kind != tkEOF {
			continue
		}
		if i > start {
			seg := make([]token, 0, i-start+1)
			seg = append(seg, toks[start:i]...)
			term := token{kind: tkEOF, start: t.start, end: t.end}
			if t.kind == tkOp {
				term.val = ";"
			}
			seg = append(seg, term)
			st, err := p.parseStatement(&cursor{src: query, toks: seg})
			if err != nil {
				return nil, err
			}
			stmts = append(stmts, st)
		}
		start = i + 1
	}
	if len(stmts) == 0 {
		return []Statement{&Empty{}}, nil
	}
	return stmts, nil
}

// stmtText returns the source text of the statement held by c.
func stmtText(c *cursor) string { return c.textFrom(c.toks[0]) }

// parseStatement dispatches on the statement's first keyword.
func (p *Parser) parseStatement(c *cursor) (Statement, error) {
	base := StmtBase{SQL: stmtText(c)}
	t := c.peek()
	if t.isOp("(") {
		return p.parseSelectStmt(c, base)
	}
	if t.kind != tkIdent || t.quoted {
		return nil, c.errHere()
	}
	switch t.val {
	case "select":
		return p.parseSelectStmt(c, base)
	case "create":
		return p.parseCreate(c, base)
	case "drop":
		return parseDrop(c, base)
	case "show":
		return parseShow(c, base)
	case "describe", "desc":
		return parseDescribe(c, base)
	case "set":
		return parseSet(c, base)
	case "reset":
		return parseReset(c, base)
	case "begin", "start", "commit", "end", "rollback", "abort":
		return parseTxn(c, base)
	case "savepoint", "release":
		return parseSavepoint(c, base)
	case "deallocate":
		return parseDeallocate(c, base)
	case "discard":
		return parseDiscard(c, base)
	case "explain":
		return p.parseExplain(c, base)
	case "insert":
		return parseInsert(c, base)
	case "with":
		// Only the catalog evaluator runs WITH RECURSIVE (pgcat_recursive.go).
		if isCatalogQuery(c.toks[c.i:]) {
			return p.parseCatalogSelect(c, base)
		}
		if c.peekN(1).is("recursive") {
			return nil, notSupported(c.src, t.start, "WITH RECURSIVE")
		}
		return nil, notSupported(c.src, t.start, "WITH (common table expressions)")
	case "values", "table":
		return nil, notSupported(c.src, t.start, "top-level "+upper(t.val))
	case "update", "delete", "alter", "truncate", "grant", "revoke", "copy",
		"declare", "fetch", "close", "prepare", "execute",
		"listen", "notify", "vacuum", "analyze", "lock",
		"merge", "call", "do", "comment", "checkpoint":
		return nil, notSupported(c.src, t.start, upper(t.val))
	}
	return nil, c.errHere()
}

func (p *Parser) parseSelectStmt(c *cursor, base StmtBase) (Statement, error) {
	if isCatalogQuery(c.toks[c.i:]) {
		return p.parseCatalogSelect(c, base)
	}
	sel, err := p.parseSelect(c)
	if err != nil {
		return nil, err
	}
	sel.StmtBase = base
	return sel, nil
}

func (p *Parser) parseExplain(c *cursor, base StmtBase) (Statement, error) {
	c.next()
	if c.peek().is("analyze") || c.peek().isOp("(") {
		return nil, notSupported(c.src, c.peek().start, "EXPLAIN options")
	}
	if !c.peek().is("select") && !c.peek().isOp("(") {
		return nil, c.errHere()
	}
	sel, err := p.parseSelect(c)
	if err != nil {
		return nil, err
	}
	return &Explain{StmtBase: base, Query: sel}, nil
}
