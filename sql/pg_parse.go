package sql

import (
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// parseCatalogSelect parses a SELECT over the PostgreSQL catalogs: the
// tokens are rewritten with the catalog rewrites on (pg_rewrite.go), parsed
// by TiDB, and the AST is converted to the PGQuery tree (pg_convert.go).
func (p *Parser) parseCatalogSelect(c *cursor, base StmtBase) (Statement, error) {
	first := c.peek()
	term := c.toks[len(c.toks)-1]
	r := newRewriter(c)
	r.pg = pgState{on: true, inFrom: map[int]bool{}}
	if err := r.run(); err != nil {
		return nil, err
	}
	if len(r.frames) > 0 {
		return nil, syntaxErrorTok(c.src, term)
	}
	si := renderRewrite(c.src, r)
	stmts, err := p.parseTiDB(si.rw)
	if err != nil {
		return nil, si.syntaxError(err, term)
	}
	if len(stmts) != 1 {
		return nil, syntaxErrorTok(c.src, term)
	}
	rs, ok := stmts[0].(ast.ResultSetNode)
	if !ok {
		return nil, syntaxErrorAt(c.src, first.start, c.src[first.start:first.end])
	}
	cv := &pgConverter{si: &si, colAliases: r.pg.colAliases}
	q := cv.query(rs)
	maxN := 0
	for _, n := range si.params {
		maxN = max(maxN, n)
	}
	return &CatalogSelect{StmtBase: base, Query: q, NumParams: maxN}, nil
}

// renderRewrite joins the rewritten tokens into the text TiDB parses,
// recording where each token and each "?" lands (as parseSelect does).
func renderRewrite(src string, r *rewriter) selectInternals {
	si := selectInternals{src: src, out: r.out, casts: r.casts, params: map[int]int{}}
	var b strings.Builder
	for i, o := range r.out {
		// MySQL reads "count (" as an identifier, not a call.
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
	return si
}
