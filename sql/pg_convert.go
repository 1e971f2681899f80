package sql

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// pgConverter turns the TiDB AST of a catalog query into the PGQuery tree.
// What it cannot express becomes a PGUnsupported node, which is an error
// only if the evaluator reaches it.
type pgConverter struct {
	si         *selectInternals
	colAliases map[string][]string // FROM items' column aliases, by alias (pg_rewrite.go)
}

func (cv *pgConverter) query(n ast.Node) *PGQuery {
	switch x := n.(type) {
	case *ast.SelectStmt:
		q := &PGQuery{Select: cv.selectBlock(x)}
		q.OrderBy, q.Limit, q.Offset = cv.orderLimit(x.OrderBy, x.Limit)
		return cv.with(q, x.With)
	case *ast.SetOprStmt:
		q := cv.setOpr(x.SelectList)
		if x.OrderBy != nil || x.Limit != nil || x.With != nil {
			q = &PGQuery{Arms: []*PGQuery{q}, All: []bool{false}}
			q.OrderBy, q.Limit, q.Offset = cv.orderLimit(x.OrderBy, x.Limit)
		}
		return cv.with(q, x.With)
	case *ast.SetOprSelectList:
		return cv.setOpr(x)
	}
	return &PGQuery{Select: &PGSelect{From: []PGFrom{&PGUnsupported{Feature: fmt.Sprintf("query %T", n)}}}}
}

// with attaches a WITH clause's common table expressions to q. Whether a
// query of a WITH RECURSIVE clause really recurses is found when it runs
// (it reads itself), as the evaluator resolves names anyway.
func (cv *pgConverter) with(q *PGQuery, w *ast.WithClause) *PGQuery {
	if w == nil {
		return q
	}
	for _, c := range w.CTEs {
		cte := PGCTE{Name: c.Name.L, Query: cv.query(c.Query.Query), Recursive: w.IsRecursive}
		for _, n := range c.ColNameList {
			cte.Cols = append(cte.Cols, n.L)
		}
		q.With = append(q.With, cte)
	}
	return q
}

// setOpr converts a UNION chain; INTERSECT and EXCEPT are not run.
func (cv *pgConverter) setOpr(l *ast.SetOprSelectList) *PGQuery {
	q := &PGQuery{}
	if l.OrderBy != nil || l.Limit != nil {
		q.OrderBy, q.Limit, q.Offset = cv.orderLimit(l.OrderBy, l.Limit)
	}
	for i, s := range l.Selects {
		var op *ast.SetOprType
		switch x := s.(type) {
		case *ast.SelectStmt:
			op = x.AfterSetOperator
		case *ast.SetOprSelectList:
			op = x.AfterSetOperator
		}
		all := false
		if i > 0 && op != nil {
			switch *op {
			case ast.UnionAll:
				all = true
			case ast.Union:
			default:
				return cv.unsupportedQuery("INTERSECT and EXCEPT")
			}
		}
		q.Arms = append(q.Arms, cv.query(s))
		q.All = append(q.All, all)
	}
	return q
}

func (cv *pgConverter) unsupportedQuery(feature string) *PGQuery {
	return &PGQuery{Select: &PGSelect{From: []PGFrom{&PGUnsupported{Feature: feature}}}}
}

func (cv *pgConverter) selectBlock(x *ast.SelectStmt) *PGSelect {
	s := &PGSelect{Distinct: x.Distinct, Where: cv.exprOrNil(x.Where)}
	if x.Fields != nil {
		for _, f := range x.Fields.Fields {
			s.Items = append(s.Items, cv.item(f))
		}
	}
	if x.From != nil && x.From.TableRefs != nil {
		s.From = cv.fromList(x.From.TableRefs)
	}
	if x.GroupBy != nil {
		for _, it := range x.GroupBy.Items {
			s.GroupBy = append(s.GroupBy, cv.expr(it.Expr))
		}
	}
	if x.Having != nil {
		s.Having = cv.expr(x.Having.Expr)
	}
	return s
}

func (cv *pgConverter) item(f *ast.SelectField) PGItem {
	if f.WildCard != nil {
		return PGItem{Star: true, StarTable: f.WildCard.Table.L}
	}
	e := cv.expr(f.Expr)
	name := f.AsName.O
	if name == "" {
		name = pgColumnName(e)
	}
	return PGItem{Expr: e, Name: name}
}

// pgColumnName is the output name PostgreSQL gives an unaliased expression.
func pgColumnName(e PGExpr) string {
	name, _ := pgFigureName(e)
	return name
}

// pgFigureName is PostgreSQL's FigureColname: a name and how strongly the
// expression claims it. A column or function name beats a cast's type
// name, which beats the name of the expression under another cast.
func pgFigureName(e PGExpr) (string, int) {
	switch x := e.(type) {
	case *PGColumn:
		return x.Name, 2
	case *PGFunc:
		return x.Name, 2
	case *PGWindow:
		return x.Name, 2
	case *PGField:
		return x.Name, 2
	case *PGCast:
		if n, strength := pgFigureName(x.X); strength > 1 {
			return n, strength
		}
		return x.Type, 1
	}
	if n := pgKeywordName(e); n != "?column?" {
		return n, 2
	}
	return "?column?", 0
}

// pgKeywordName names CASE, ARRAY, EXISTS and scalar subqueries.
func pgKeywordName(e PGExpr) string {
	switch x := e.(type) {
	case *PGCase:
		return "case"
	case *PGArray:
		return "array"
	case *PGExists:
		return "exists"
	case *PGSubquery:
		if x.Sub.Select != nil && len(x.Sub.Select.Items) == 1 {
			return x.Sub.Select.Items[0].Name
		}
	}
	return "?column?"
}

func (cv *pgConverter) orderLimit(ob *ast.OrderByClause, l *ast.Limit) (order []PGOrder, limit, offset PGExpr) {
	if ob != nil {
		for _, it := range ob.Items {
			order = append(order, PGOrder{Expr: cv.expr(it.Expr), Desc: it.Desc})
		}
	}
	if l != nil {
		limit, offset = cv.exprOrNil(l.Count), cv.exprOrNil(l.Offset)
	}
	return order, limit, offset
}

// fromList flattens the comma joins at the top of a FROM clause.
func (cv *pgConverter) fromList(j *ast.Join) []PGFrom {
	if j.Right == nil {
		return []PGFrom{cv.from(j.Left)}
	}
	if j.Tp == ast.CrossJoin && j.On == nil && len(j.Using) == 0 && !j.NaturalJoin {
		if l, ok := j.Left.(*ast.Join); ok {
			return append(cv.fromList(l), cv.from(j.Right))
		}
		return []PGFrom{cv.from(j.Left), cv.from(j.Right)}
	}
	return []PGFrom{cv.from(j)}
}

func (cv *pgConverter) from(n ast.ResultSetNode) PGFrom {
	switch x := n.(type) {
	case *ast.TableSource:
		return cv.tableSource(x)
	case *ast.Join:
		if x.Right == nil {
			return cv.from(x.Left)
		}
		if x.NaturalJoin {
			return &PGUnsupported{Feature: "NATURAL JOIN"}
		}
		pj := &PGJoin{Left: cv.from(x.Left), Right: cv.from(x.Right)}
		switch x.Tp {
		case ast.LeftJoin:
			pj.Kind = PGLeftJoin
		case ast.RightJoin:
			pj.Kind = PGRightJoin
		}
		if x.On != nil {
			pj.On = cv.expr(x.On.Expr)
		}
		for _, c := range x.Using {
			pj.Using = append(pj.Using, c.Name.L)
		}
		return pj
	}
	return &PGUnsupported{Feature: fmt.Sprintf("FROM item %T", n)}
}

func (cv *pgConverter) tableSource(x *ast.TableSource) PGFrom {
	alias := x.AsName.L
	switch s := x.Source.(type) {
	case *ast.TableName:
		return &PGTable{Schema: s.Schema.L, Name: s.Name.L, Alias: alias}
	case *ast.SelectStmt:
		if f, ok := tableFunction(s); ok {
			if call, ok := cv.expr(f).(*PGFunc); ok {
				return &PGFuncFrom{Call: call, Alias: alias, Cols: cv.colAliases[alias]}
			}
			return &PGUnsupported{Feature: "this function in FROM"}
		}
		return &PGSubFrom{Query: cv.query(s), Alias: alias, Cols: cv.colAliases[alias]}
	case *ast.SetOprStmt:
		return &PGSubFrom{Query: cv.query(s), Alias: alias, Cols: cv.colAliases[alias]}
	case *ast.Join:
		return cv.from(s)
	}
	return &PGUnsupported{Feature: fmt.Sprintf("FROM item %T", x.Source)}
}

// tableFunction recognises the derived table the rewriter makes of a
// function in FROM: SELECT f(args) with nothing else.
func tableFunction(s *ast.SelectStmt) (*ast.FuncCallExpr, bool) {
	if s.From != nil || s.Where != nil || s.Fields == nil || len(s.Fields.Fields) != 1 || s.Fields.Fields[0].AsName.O != "" {
		return nil, false
	}
	f, ok := s.Fields.Fields[0].Expr.(*ast.FuncCallExpr)
	return f, ok && f.FnName.L != fnCast
}

func (cv *pgConverter) exprOrNil(n ast.ExprNode) PGExpr {
	if n == nil {
		return nil
	}
	return cv.expr(n)
}

func (cv *pgConverter) exprs(ns []ast.ExprNode) []PGExpr {
	out := make([]PGExpr, len(ns))
	for i, n := range ns {
		out[i] = cv.expr(n)
	}
	return out
}

// expr is the type-switch dispatcher over the TiDB expression nodes.
func (cv *pgConverter) expr(n ast.ExprNode) PGExpr {
	switch x := n.(type) {
	case *ast.ParenthesesExpr:
		return cv.expr(x.Expr)
	case *ast.PositionExpr: // ORDER BY / GROUP BY ordinal
		return &PGConst{Value: int64(x.N)}
	case *ast.ColumnNameExpr:
		return &PGColumn{Table: x.Name.Table.L, Name: x.Name.Name.L}
	case *test_driver.ValueExpr:
		return cv.value(x)
	case *test_driver.ParamMarkerExpr:
		return &PGParam{N: cv.si.params[x.Offset]}
	case *ast.BinaryOperationExpr:
		return cv.binary(x)
	case *ast.UnaryOperationExpr:
		return cv.unary(x)
	case *ast.IsNullExpr:
		return &PGIsNull{X: cv.expr(x.Expr), Not: x.Not}
	case *ast.IsTruthExpr:
		return &PGIsBool{X: cv.expr(x.Expr), Value: x.True != 0, Not: x.Not}
	case *ast.PatternInExpr:
		in := &PGIn{X: cv.expr(x.Expr), List: cv.exprs(x.List), Not: x.Not}
		if sub, ok := x.Sel.(*ast.SubqueryExpr); ok {
			in.Sub = cv.query(sub.Query)
		}
		return in
	case *ast.ExistsSubqueryExpr:
		if sub, ok := x.Sel.(*ast.SubqueryExpr); ok {
			return &PGExists{Sub: cv.query(sub.Query), Not: x.Not}
		}
	case *ast.SubqueryExpr:
		return &PGSubquery{Sub: cv.query(x.Query)}
	case *ast.CompareSubqueryExpr:
		if sub, ok := x.R.(*ast.SubqueryExpr); ok {
			return &PGAny{Op: pgOps[x.Op], X: cv.expr(x.L), Sub: cv.query(sub.Query), All: x.All}
		}
	case *ast.BetweenExpr:
		return &PGBetween{X: cv.expr(x.Expr), Lo: cv.expr(x.Left), Hi: cv.expr(x.Right), Not: x.Not}
	case *ast.PatternLikeOrIlikeExpr:
		return &PGLike{X: cv.expr(x.Expr), Pattern: cv.expr(x.Pattern), Not: x.Not, IgnoreCase: !x.IsLike, Escape: x.Escape}
	case *ast.PatternRegexpExpr:
		return cv.regex(x)
	case *ast.CaseExpr:
		c := &PGCase{Value: cv.exprOrNil(x.Value), Else: cv.exprOrNil(x.ElseClause)}
		for _, w := range x.WhenClauses {
			c.Whens = append(c.Whens, PGWhen{Cond: cv.expr(w.Expr), Then: cv.expr(w.Result)})
		}
		return c
	case *ast.FuncCallExpr:
		return cv.call(x)
	case *ast.WindowFuncExpr:
		return cv.window(x)
	case *ast.AggregateFuncExpr:
		if x.Order != nil {
			return cv.orderedAggregate(x)
		}
		f := &PGFunc{Name: x.F, Args: cv.exprs(x.Args), Distinct: x.Distinct}
		if x.F == "count" && len(x.Args) == 1 {
			if v, ok := x.Args[0].(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindInt64 {
				f.Star, f.Args = true, nil // TiDB reads count(*) as count(1)
			}
		}
		return f
	}
	return &PGUnsupported{Feature: fmt.Sprintf("expression %T", n)}
}

// orderedAggregate converts the rewriter's group_concat('sluice_agg:name',
// args… ORDER BY …) back to name(args… ORDER BY …); TiDB appends the
// separator as the last argument.
func (cv *pgConverter) orderedAggregate(x *ast.AggregateFuncExpr) PGExpr {
	n := len(x.Args)
	if x.F != ast.AggFuncGroupConcat || n < 3 {
		return &PGUnsupported{Feature: "ORDER BY inside " + x.F}
	}
	v, ok := x.Args[0].(*test_driver.ValueExpr)
	if !ok {
		return &PGUnsupported{Feature: "ORDER BY inside " + x.F}
	}
	name, isName := strings.CutPrefix(v.GetString(), fnOrderedAgg)
	if !isName {
		return &PGUnsupported{Feature: "ORDER BY inside " + x.F}
	}
	f := &PGFunc{Name: name, Args: cv.exprs(x.Args[1 : n-1]), Distinct: x.Distinct}
	f.Order, _, _ = cv.orderLimit(x.Order, nil)
	return f
}

// window converts name(args) OVER (PARTITION BY … ORDER BY …); named
// windows and explicit frames are not run.
func (cv *pgConverter) window(x *ast.WindowFuncExpr) PGExpr {
	if x.Spec.Name.L != "" || x.Spec.Ref.L != "" || x.Spec.Frame != nil {
		return &PGUnsupported{Feature: "named windows and window frames"}
	}
	w := &PGWindow{Name: x.Name, Args: cv.exprs(x.Args)}
	if pb := x.Spec.PartitionBy; pb != nil {
		for _, it := range pb.Items {
			w.Partition = append(w.Partition, cv.expr(it.Expr))
		}
	}
	w.Order, _, _ = cv.orderLimit(x.Spec.OrderBy, nil)
	return w
}

func (cv *pgConverter) value(x *test_driver.ValueExpr) PGExpr {
	switch x.Kind() {
	case test_driver.KindNull:
		return &PGConst{}
	case test_driver.KindInt64:
		return &PGConst{Value: x.GetInt64()}
	case test_driver.KindUint64:
		return &PGConst{Value: float64(x.GetUint64())}
	case test_driver.KindFloat64, test_driver.KindFloat32:
		return &PGConst{Value: x.GetFloat64()}
	case test_driver.KindMysqlDecimal:
		f, err := strconv.ParseFloat(x.GetMysqlDecimal().String(), 64)
		if err == nil {
			return &PGConst{Value: f}
		}
	case test_driver.KindString:
		return &PGConst{Value: x.GetString()}
	}
	return &PGUnsupported{Feature: "this kind of constant"}
}

var pgOps = map[opcode.Op]string{
	opcode.LogicAnd: "and", opcode.LogicOr: "or", opcode.EQ: "=", opcode.NE: "<>", opcode.LT: "<",
	opcode.LE: "<=", opcode.GT: ">", opcode.GE: ">=", opcode.Plus: "+", opcode.Minus: "-",
	opcode.Mul: "*", opcode.Div: "/", opcode.Mod: "%", opcode.And: "&", opcode.Or: "|",
}

func (cv *pgConverter) binary(x *ast.BinaryOperationExpr) PGExpr {
	op, ok := pgOps[x.Op]
	if !ok {
		return &PGUnsupported{Feature: "operator " + x.Op.String()}
	}
	l, r := cv.expr(x.L), cv.expr(x.R)
	if f, ok := r.(*PGFunc); ok && (f.Name == fnAny || f.Name == fnAll) && len(f.Args) == 1 {
		return &PGAny{Op: op, X: l, Arr: f.Args[0], All: f.Name == fnAll}
	}
	return &PGOp{Op: op, L: l, R: r}
}

func (cv *pgConverter) unary(x *ast.UnaryOperationExpr) PGExpr {
	switch x.Op {
	case opcode.Not, opcode.Not2:
		return &PGOp{Op: "not", R: cv.expr(x.V)}
	case opcode.Minus:
		return &PGOp{Op: "-", R: cv.expr(x.V)}
	case opcode.Plus:
		return cv.expr(x.V)
	}
	return &PGUnsupported{Feature: "operator " + x.Op.String()}
}

func (cv *pgConverter) regex(x *ast.PatternRegexpExpr) PGExpr {
	re := &PGRegex{X: cv.expr(x.Expr), Pattern: cv.expr(x.Pattern), Not: x.Not}
	if f, ok := re.X.(*PGFunc); ok && f.Name == fnCI && len(f.Args) == 1 {
		re.X, re.IgnoreCase = f.Args[0], true
	}
	return re
}

// call converts a function call, undoing the rewriter's internal functions.
func (cv *pgConverter) call(x *ast.FuncCallExpr) PGExpr {
	switch name := x.FnName.L; name {
	case fnCast:
		return cv.cast(x)
	case fnBool:
		if v, ok := x.Args[0].(*test_driver.ValueExpr); ok {
			return &PGConst{Value: v.GetInt64() != 0}
		}
	case fnArray:
		if sub, ok := x.Args[0].(*ast.SubqueryExpr); ok && len(x.Args) == 1 {
			return &PGArray{Sub: cv.query(sub.Query)}
		}
	case fnArrayLit:
		return &PGArray{Elems: cv.exprs(x.Args)}
	case fnField:
		if v, ok := x.Args[1].(*test_driver.ValueExpr); ok && len(x.Args) == 2 {
			return &PGField{X: cv.expr(x.Args[0]), Name: v.GetString()}
		}
	case fnSubscript:
		if len(x.Args) == 2 {
			return &PGSubscript{X: cv.expr(x.Args[0]), Index: cv.expr(x.Args[1])}
		}
	case fnInterval, fnExtract, fnTumble, fnHop, fnSession:
		return &PGUnsupported{Feature: name[len("sluice_"):] + " in a catalog query"}
	case "trim":
		return cv.trim(x)
	case "concat":
		if len(x.Args) == 2 {
			return &PGOp{Op: "||", L: cv.expr(x.Args[0]), R: cv.expr(x.Args[1])}
		}
		return &PGFunc{Name: name, Args: cv.exprs(x.Args)}
	default:
		return &PGFunc{Name: name, Args: cv.exprs(x.Args)}
	}
	return &PGUnsupported{Feature: "function " + x.FnName.L}
}

// trim converts TRIM([BOTH|LEADING|TRAILING] [chars] FROM s), which TiDB
// reads as trim(s, chars, direction), to btrim, ltrim or rtrim(s, chars).
func (cv *pgConverter) trim(x *ast.FuncCallExpr) PGExpr {
	if len(x.Args) < 2 {
		return &PGFunc{Name: "trim", Args: cv.exprs(x.Args)}
	}
	name := "btrim"
	if len(x.Args) == 3 {
		d, ok := x.Args[2].(*ast.TrimDirectionExpr)
		if !ok {
			return &PGUnsupported{Feature: "this form of TRIM"}
		}
		switch d.Direction {
		case ast.TrimLeading:
			name = "ltrim"
		case ast.TrimTrailing:
			name = "rtrim"
		}
	}
	return &PGFunc{Name: name, Args: cv.exprs(x.Args[:2])}
}

func (cv *pgConverter) cast(x *ast.FuncCallExpr) PGExpr {
	if len(x.Args) != 2 {
		return &PGUnsupported{Feature: "cast"}
	}
	v, ok := x.Args[1].(*test_driver.ValueExpr)
	if !ok || v.GetInt64() < 0 || int(v.GetInt64()) >= len(cv.si.casts) {
		return &PGUnsupported{Feature: "cast"}
	}
	return &PGCast{X: cv.expr(x.Args[0]), Type: cv.si.casts[v.GetInt64()].Name}
}
