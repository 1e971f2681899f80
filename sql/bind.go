package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// scope says which names an expression may use (see Query).
type scope int

const (
	// scopeInput: input columns; WHERE, GROUP BY and aggregate arguments.
	scopeInput scope = iota
	// scopeAgg: group keys, aggregates and window bounds; the select list,
	// HAVING and ORDER BY of an aggregating query.
	scopeAgg
)

// binder holds the state of one Bind call.
type binder struct {
	si       *selectInternals
	cat      Catalog
	q        *Query
	relNames map[string]bool // the relation's name and alias, for qualifiers
	inputIdx map[string]int
	declared []arrow.DataType
	params   map[int][]*Param // n-1 → every reference to $n
	paramT   map[int]arrow.DataType
	untyped  map[*Literal]bool // literals whose type may still adapt
	aggKeys  map[string]int
	groupKey []string // exprKey of each GroupBy entry
	// clause names the clause being bound, for "not allowed in" errors.
	clause string
	inAgg  bool // binding an aggregate's argument
}

// Pseudo-columns every stream has (see Relation).
var pseudoColumns = map[string]arrow.DataType{
	"_partition": typeInt4,
	"_offset":    typeInt8,
	"_timestamp": typeTimestampTZ,
	"_key":       typeBytea,
}

// Bind resolves a parsed SELECT against cat. params are the client-declared
// types of $1…$n (nil entries, or a short slice, mean "infer"). Errors are
// *Error with SQLSTATE 42P01, 42703, 42803, 42804, 42883, 0A000, 22023,
// 22007 or 22P02.
func Bind(cat Catalog, sel *Select, params []arrow.DataType) (*Query, error) {
	if sel == nil || sel.sel.stmt == nil {
		return nil, Errorf(CodeInternal, "sql: bind of an unparsed SELECT")
	}
	b := &binder{
		si: &sel.sel, cat: cat, q: &Query{Limit: -1, Emit: sel.sel.emit},
		inputIdx: map[string]int{}, declared: params, params: map[int][]*Param{},
		paramT: map[int]arrow.DataType{}, untyped: map[*Literal]bool{}, aggKeys: map[string]int{},
	}
	if err := b.bindSelect(sel.sel.stmt); err != nil {
		return nil, err
	}
	b.finishParams()
	return b.q, nil
}

func (b *binder) bindSelect(st *ast.SelectStmt) error {
	if err := b.bindFrom(st); err != nil {
		return err
	}
	items, err := b.expandFields(st)
	if err != nil {
		return err
	}
	if st.Where != nil {
		b.clause = "WHERE"
		w, err := b.bindExpr(st.Where, scopeInput)
		if err != nil {
			return err
		}
		if b.q.Where, err = b.toBool(w, st.Where, "WHERE"); err != nil {
			return err
		}
	}
	if err := b.bindGroupBy(st, items); err != nil {
		return err
	}
	sc := scopeInput
	if b.q.Window != nil || len(b.q.GroupBy) > 0 || st.Having != nil || hasAggregate(st) {
		sc = scopeAgg
	}
	if err := b.bindOutputs(items, sc); err != nil {
		return err
	}
	if err := b.bindHaving(st, sc); err != nil {
		return err
	}
	if err := b.bindOrderBy(st, items, sc); err != nil {
		return err
	}
	return b.bindLimit(st)
}

// bindFrom resolves the single relation of FROM (none for SELECT 1).
func (b *binder) bindFrom(st *ast.SelectStmt) error {
	b.relNames = map[string]bool{}
	if st.From == nil {
		return nil
	}
	j := st.From.TableRefs
	if j.Right != nil {
		return b.notSupportedAt(j, "joins")
	}
	ts, ok := j.Left.(*ast.TableSource)
	if !ok {
		return b.notSupportedAt(j, "joins")
	}
	tn, ok := ts.Source.(*ast.TableName)
	if !ok {
		return b.notSupportedAt(ts, "subqueries in FROM")
	}
	name := tn.Name.O
	if sc := tn.Schema.O; sc != "" && sc != "public" {
		// System relations such as sluice.queries are named with their
		// schema; user streams and views live in the default schema.
		name = sc + "." + name
	}
	rel, ok := b.cat.Relation(name)
	if !ok {
		e := b.errAt(tn, CodeUndefinedTable, "relation %q does not exist", name)
		e.Pos = b.si.namePos(tn.Name.O, e.Pos)
		return e
	}
	b.q.From = rel
	if ts.AsName.O != "" {
		b.relNames[ts.AsName.O] = true
	} else {
		b.relNames[tn.Name.O] = true
	}
	return nil
}

// selItem is one select-list entry after * expansion.
type selItem struct {
	node  ast.ExprNode
	alias string // AS name, "" when absent
	name  string // the output name
}

func (b *binder) expandFields(st *ast.SelectStmt) ([]selItem, error) {
	var items []selItem
	for _, f := range st.Fields.Fields {
		if f.WildCard == nil {
			items = append(items, selItem{node: f.Expr, alias: f.AsName.O, name: b.outputName(f.Expr, f.AsName.O)})
			continue
		}
		if b.q.From == nil {
			return nil, b.errAt(f, CodeSyntax, "SELECT * with no tables specified is not valid")
		}
		if t := f.WildCard.Table.O; t != "" && !b.relNames[t] {
			return nil, b.errAt(f, CodeUndefinedTable, "missing FROM-clause entry for table %q", t)
		}
		for _, fld := range b.q.From.Schema.Fields() {
			col := &ast.ColumnNameExpr{Name: &ast.ColumnName{Name: ast.NewCIStr(fld.Name)}}
			items = append(items, selItem{node: col, name: fld.Name})
		}
	}
	return items, nil
}

// hasAggregate reports whether the select list, HAVING or ORDER BY calls an
// aggregate, which makes the query aggregating even without GROUP BY.
func hasAggregate(st *ast.SelectStmt) bool {
	v := &aggFinder{}
	for _, f := range st.Fields.Fields {
		if f.Expr != nil {
			f.Expr.Accept(v)
		}
	}
	if st.OrderBy != nil {
		st.OrderBy.Accept(v)
	}
	return v.found
}

// aggFinder is an ast.Visitor that looks for aggregate calls.
type aggFinder struct{ found bool }

func (v *aggFinder) Enter(n ast.Node) (ast.Node, bool) {
	if _, ok := n.(*ast.AggregateFuncExpr); ok {
		v.found = true
	}
	return n, v.found
}

func (v *aggFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func containsAggregate(n ast.Node) bool {
	v := &aggFinder{}
	n.Accept(v)
	return v.found
}

// bindOutputs binds the select list.
func (b *binder) bindOutputs(items []selItem, sc scope) error {
	b.clause = "SELECT"
	for _, it := range items {
		e, err := b.bindExpr(it.node, sc)
		if err != nil {
			return err
		}
		if b.kindOf(e) == kindUnknown {
			// An output nobody typed (SELECT NULL, SELECT 'a', SELECT $1)
			// is text, as in PostgreSQL.
			if e, _, err = b.coerce(e, typeText); err != nil {
				return err
			}
		}
		b.q.Output = append(b.q.Output, OutputColumn{Name: it.name, Expr: e})
	}
	return nil
}

func (b *binder) bindHaving(st *ast.SelectStmt, sc scope) error {
	if st.Having == nil {
		return nil
	}
	b.clause = "HAVING"
	h, err := b.bindExpr(st.Having.Expr, sc)
	if err != nil {
		return err
	}
	b.q.Having, err = b.toBool(h, st.Having.Expr, "HAVING")
	return err
}

// errAt returns an *Error positioned at node n.
func (b *binder) errAt(n ast.Node, code, format string, args ...any) *Error {
	e := Errorf(code, format, args...)
	if n != nil {
		e.Pos = b.si.origPos(n)
	}
	return e
}

func (b *binder) notSupportedAt(n ast.Node, feature string) *Error {
	return b.errAt(n, CodeFeatureNotSupported, "not supported: %s", feature)
}
