package sql

import (
	"strconv"
	"strings"
)

// Catalog queries — the statements psql, JDBC and other clients send to read
// pg_catalog and information_schema — use PostgreSQL syntax that neither the
// TiDB parser nor the ordinary rewrites accept. In a catalog query the
// rewriter also applies these, keeping every token's original position:
//
//	OPERATOR(pg_catalog.~)             →  the operator itself
//	a ~ b, a !~ b                      →  a REGEXP b, a NOT REGEXP b
//	a ~* b, a !~* b                    →  sluice_ci(a) [NOT] REGEXP b
//	COLLATE pg_catalog.default         →  removed (one collation: C)
//	pg_catalog.f(…)                    →  f(…)
//	x::pg_catalog.regclass, ::int2[]   →  sluice_cast(x, i) with the type name kept
//	ARRAY(SELECT …)                    →  sluice_array((SELECT …))
//	ARRAY[a, b]                        →  sluice_arraylit(a, b)
//	x[i]                               →  sluice_subscript(x, i)
//	x = ANY(arr), x <> ALL(arr)        →  x = sluice_any(arr), x <> sluice_all(arr)
//	FROM f(args) alias                 →  FROM (SELECT f(args)) alias
//	FROM … alias(c1, c2)               →  FROM … alias, the column names kept aside
//	(x).field                          →  sluice_field(x, 'field')
//	a & b, a | b                       →  the same (TiDB's bitwise operators)
//	array_agg(x ORDER BY y)            →  group_concat('sluice_agg:array_agg', x ORDER BY y)
//
// ANY/ALL over a subquery stay as they are: TiDB reads those.

// Internal function names of the catalog rewrites; pg_convert.go reads them.
const (
	fnCI        = "sluice_ci"
	fnArray     = "sluice_array"
	fnArrayLit  = "sluice_arraylit"
	fnSubscript = "sluice_subscript"
	fnAny       = "sluice_any"
	fnAll       = "sluice_all"
	fnField     = "sluice_field"
	// fnOrderedAgg prefixes the name of an aggregate with ORDER BY in its
	// arguments: TiDB reads that syntax only in group_concat, so the
	// aggregate is sent as one whose first argument names it.
	fnOrderedAgg = "sluice_agg:"
)

// orderedAggregates are the aggregates whose ORDER BY argument is read
// (asyncpg's introspection orders array_agg).
var orderedAggregates = map[string]bool{"array_agg": true, "string_agg": true}

// pgState is the rewriter's state for a catalog query.
type pgState struct {
	on bool
	// pendingClose is extra text for the frame the next "(" opens.
	pendingClose string
	// inFrom[d] is true while the FROM list at parenthesis depth d is read,
	// where a function call is a table function.
	inFrom map[int]bool
	// colAliases are the column alias lists of FROM items, by the item's
	// alias: FROM generate_series(1, 3) AS s(n). TiDB has no syntax for
	// them, so the rewriter drops them and the converter applies them.
	colAliases map[string][]string
}

// pgIdent applies the catalog rewrites to an unquoted word; done is false
// when the word is left to the ordinary rewrites.
func (r *rewriter) pgIdent(t token) (done bool, err error) {
	c := r.c
	next := c.peek()
	switch {
	case (t.val == "pg_catalog" || t.val == "information_schema") && next.isOp(".") &&
		c.peekN(1).kind == tkIdent && c.peekN(2).isOp("("):
		// Function names are unique across the two schemas, so the
		// qualifier adds nothing.
		c.next()
		return true, r.ident(c.next())
	case next.isOp("(") && !sqlKeywords[t.val] && r.aliasPosition():
		return true, r.columnAliases(t)
	case len(r.out) > 0 && r.out[len(r.out)-1].text == "as" && !next.isOp("("):
		// After AS any word is a name in PostgreSQL (Metabase writes
		// "AS update", "AS select"); MySQL reserves some of them.
		r.put(t, "`"+t.val+"`")
		return true, nil
	case t.val == "operator" && next.isOp("("):
		return true, r.operatorCall(t)
	case t.val == "collate":
		return true, r.skipCollation()
	case t.val == "array" && next.isOp("("):
		r.put(t, fnArray, "(")
		r.pg.pendingClose = ")"
		return true, nil
	case t.val == "array" && next.isOp("["):
		c.next()
		r.frames = append(r.frames, parenFrame{bracket: true})
		r.put(t, fnArrayLit, "(")
		return true, nil
	case (t.val == "any" || t.val == "some" || t.val == "all") && next.isOp("(") && !c.peekN(1).is("select"):
		fn := fnAny
		if t.val == "all" {
			fn = fnAll
		}
		r.put(t, fn)
		return true, nil
	case orderedAggregates[t.val] && next.isOp("(") && r.argumentsOrdered():
		c.next()
		delete(r.pg.inFrom, len(r.frames)+1)
		r.frames = append(r.frames, parenFrame{})
		r.put(t, "group_concat", "(")
		if c.peek().is("distinct") {
			r.put(c.next(), "distinct")
		}
		r.put(t, quoteLiteral(fnOrderedAgg+t.val), ",")
		return true, nil
	case next.isOp("(") && r.tableFunctionPosition():
		r.put(t, "(", "select", t.val)
		r.pg.pendingClose = ")"
		return true, nil
	}
	r.trackClause(t)
	return false, nil
}

// argumentsOrdered reports whether the parenthesised arguments that follow
// end with ORDER BY.
func (r *rewriter) argumentsOrdered() bool {
	depth := 0
	for i := 0; ; i++ {
		t := r.c.peekN(i)
		switch {
		case t.kind == tkEOF:
			return false
		case t.isOp("("):
			depth++
		case t.isOp(")"):
			if depth--; depth == 0 {
				return false
			}
		case depth == 1 && t.is("order") && r.c.peekN(i+1).is("by"):
			return true
		}
	}
}

// tableFunctionPosition reports whether the next relation of a FROM list
// starts here.
func (r *rewriter) tableFunctionPosition() bool {
	n := len(r.out)
	if n == 0 {
		return false
	}
	switch r.out[n-1].text {
	case "from", "join":
		return true
	case ",":
		return r.pg.inFrom[len(r.frames)]
	}
	return false
}

// aliasPosition reports whether a word here is the alias of a function or
// subquery in FROM: after AS or right after the item's ")".
func (r *rewriter) aliasPosition() bool {
	n := len(r.out)
	return n > 0 && r.pg.inFrom[len(r.frames)] && (r.out[n-1].text == "as" || r.out[n-1].text == ")")
}

// columnAliases reads alias(col, …), emitting the alias only.
func (r *rewriter) columnAliases(t token) error {
	c := r.c
	c.next() // (
	var cols []string
	for {
		col := c.next()
		if col.kind != tkIdent {
			return syntaxErrorAt(c.src, col.start, c.src[col.start:col.end])
		}
		cols = append(cols, col.val)
		if !c.peek().isOp(",") {
			break
		}
		c.next()
	}
	if err := c.expectOp(")"); err != nil {
		return err
	}
	if r.pg.colAliases == nil {
		r.pg.colAliases = map[string][]string{}
	}
	r.pg.colAliases[t.val] = cols
	r.put(t, "`"+strings.ReplaceAll(t.val, "`", "``")+"`")
	return nil
}

// fieldAccess rewrites (x).name to sluice_field(x, 'name').
func (r *rewriter) fieldAccess(t token) error {
	j := r.operandStart()
	name := r.c.next()
	r.wrapOperand(j, fnField)
	r.put(name, ",", quoteLiteral(name.val), ")")
	return nil
}

// trackClause follows which clause of the SELECT at the current depth is
// being read, for tableFunctionPosition.
func (r *rewriter) trackClause(t token) {
	d := len(r.frames)
	switch t.val {
	case "from":
		r.pg.inFrom[d] = true
	case "where", "group", "having", "order", "limit", "offset", "union", "intersect",
		"except", "select", "on", "using", "window":
		r.pg.inFrom[d] = false
	}
}

// pgOp applies the catalog rewrites to an operator token.
func (r *rewriter) pgOp(t token) (done bool, err error) {
	n := len(r.frames)
	switch t.val {
	case "(":
		delete(r.pg.inFrom, n+1)
		if r.pg.pendingClose != "" {
			r.frames = append(r.frames, parenFrame{close: r.pg.pendingClose})
			r.pg.pendingClose = ""
			r.put(t, "(")
			return true, nil
		}
	case ")":
		if n > 0 && r.frames[n-1].close != "" && !r.frames[n-1].bracket {
			cl := r.frames[n-1].close
			r.frames = r.frames[:n-1]
			r.put(t, ")", cl)
			return true, nil
		}
	case "[":
		return true, r.subscript(t)
	case "]":
		if n == 0 || !r.frames[n-1].bracket {
			return true, syntaxErrorAt(r.c.src, t.start, t.val)
		}
		r.frames = r.frames[:n-1]
		r.put(t, ")")
		return true, nil
	case ".":
		if m := len(r.out); m > 0 && r.out[m-1].text == ")" && r.c.peek().kind == tkIdent && !r.c.peekN(1).isOp("(") {
			return true, r.fieldAccess(t)
		}
	case "&", "|":
		r.put(t, t.val)
		return true, nil
	case "~":
		return true, r.regexOp(t, false, r.acceptStar(t))
	case "!":
		if nx := r.c.peek(); nx.isOp("~") && nx.start == t.end {
			r.c.next()
			return true, r.regexOp(t, true, r.acceptStar(nx))
		}
	}
	return false, nil
}

// acceptStar consumes a "*" written right after t (the ~* operators).
func (r *rewriter) acceptStar(t token) bool {
	if nx := r.c.peek(); nx.isOp("*") && nx.start == t.end {
		r.c.next()
		return true
	}
	return false
}

// regexOp emits a POSIX regular-expression match. Case-insensitive matching
// wraps the left operand, which is complete when the operator is reached.
func (r *rewriter) regexOp(t token, not, ci bool) error {
	if ci {
		j := r.operandStart()
		if j < 0 {
			return syntaxErrorAt(r.c.src, t.start, "~*")
		}
		r.wrapOperand(j, fnCI)
		r.put(t, ")")
	}
	if not {
		r.put(t, "not")
	}
	r.put(t, "regexp")
	return nil
}

// subscript rewrites x[i] to sluice_subscript(x, i).
func (r *rewriter) subscript(t token) error {
	j := r.operandStart()
	if j < 0 {
		return syntaxErrorAt(r.c.src, t.start, t.val)
	}
	r.wrapOperand(j, fnSubscript)
	r.frames = append(r.frames, parenFrame{bracket: true})
	r.put(t, ",")
	return nil
}

// operatorCall reads OPERATOR(schema.op) and emits op.
func (r *rewriter) operatorCall(t token) error {
	c := r.c
	c.next() // (
	if c.peek().kind == tkIdent && c.peekN(1).isOp(".") {
		c.next()
		c.next()
	}
	var op strings.Builder
	for c.peek().kind == tkOp && !c.peek().isOp(")") {
		op.WriteString(c.next().val)
	}
	if err := c.expectOp(")"); err != nil {
		return err
	}
	switch s := op.String(); s {
	case "~", "!~", "~*", "!~*":
		return r.regexOp(t, strings.HasPrefix(s, "!"), strings.HasSuffix(s, "*"))
	case "=", "<>", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/", "%", "||":
		r.put(t, s)
		return nil
	default:
		return notSupported(c.src, t.start, "operator "+s)
	}
}

// skipCollation drops the name after COLLATE: Sluice compares strings
// bytewise, which is PostgreSQL's "C" and what psql's default collation
// clauses ask for on a C-locale server.
func (r *rewriter) skipCollation() error {
	c := r.c
	if c.peek().kind != tkIdent && c.peek().kind != tkString {
		return c.errHere()
	}
	c.next()
	if c.peek().isOp(".") && c.peekN(1).kind == tkIdent {
		c.next()
		c.next()
	}
	return nil
}

// pgTargetType reads the target of a cast in a catalog query: any type name,
// optionally schema-qualified, with modifiers and [] suffixes. Types Sluice
// stores keep their Arrow type; catalog types (regclass, oid, name, …) are
// kept by name only, for the catalog evaluator.
func (r *rewriter) pgTargetType() (int, error) {
	c := r.c
	if c.peek().is("pg_catalog") && c.peekN(1).isOp(".") {
		c.next()
		c.next()
	}
	first := c.peek()
	if first.kind != tkIdent {
		return 0, c.errHere()
	}
	c.next()
	name := first.val
	if first.quoted {
		name = strconv.Quote(first.val)
	}
	for _, w := range []string{"precision", "varying", "with", "without", "time", "zone"} {
		if c.peek().is(w) && !first.quoted {
			name += " " + c.next().val
		}
	}
	args, err := parseTypeArgs(c)
	if err != nil {
		return 0, err
	}
	ct := castTarget{Name: name}
	if t, canon, err := TypeFromName(name, args...); err == nil {
		ct = castTarget{T: t, Name: canon}
	}
	for c.peek().isOp("[") && c.peekN(1).isOp("]") {
		c.next()
		c.next()
		ct = castTarget{Name: ct.Name + "[]"}
	}
	r.casts = append(r.casts, ct)
	return len(r.casts) - 1, nil
}

// isCatalogQuery reports whether a SELECT's tokens name a relation of
// pg_catalog or information_schema: schema-qualified, or a pg_* name
// (quoted or not, as ORMs write them) where a relation is expected; or
// cast to a reg* type, which only the catalogs can answer. Such a SELECT
// is parsed with the catalog rewrites and answered by the planner's
// catalog evaluator.
func isCatalogQuery(toks []token) bool {
	at := func(i int) token {
		if i < len(toks) {
			return toks[i]
		}
		return token{kind: tkEOF}
	}
	for i, t := range toks {
		if t.kind != tkIdent {
			continue
		}
		switch {
		case (t.val == "pg_catalog" || t.val == "information_schema") && at(i+1).isOp(".") && !at(i+3).isOp("("):
			return true
		case strings.HasPrefix(t.val, "pg_") && i > 0 && !at(i+1).isOp("(") && !at(i+1).isOp(".") &&
			(toks[i-1].is("from") || toks[i-1].is("join") || toks[i-1].isOp(",")):
			return true
		case regTypes[t.val] && !t.quoted && i > 0 && (toks[i-1].isOp("::") || toks[i-1].is("as") ||
			toks[i-1].isOp(".") && i > 2 && toks[i-2].is("pg_catalog") && toks[i-3].isOp("::")):
			return true
		}
	}
	return false
}

// regTypes are the reg* types: their values are catalog objects.
var regTypes = map[string]bool{"regclass": true, "regtype": true, "regproc": true,
	"regprocedure": true, "regnamespace": true, "regrole": true, "regoper": true}
