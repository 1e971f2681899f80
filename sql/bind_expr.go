package sql

import (
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// bindExpr binds one expression in scope sc. It is the type-switch
// dispatcher over the TiDB expression nodes the dialect front produces.
func (b *binder) bindExpr(n ast.ExprNode, sc scope) (Expr, error) {
	if sc == scopeAgg {
		if e, ok, err := b.matchGroup(n); ok || err != nil {
			return e, err
		}
	}
	switch x := n.(type) {
	case *ast.ParenthesesExpr:
		return b.bindExpr(x.Expr, sc)
	case *ast.ColumnNameExpr:
		return b.bindColumn(x, sc)
	case *test_driver.ParamMarkerExpr:
		return b.bindParam(x)
	case *test_driver.ValueExpr:
		return b.bindValue(x)
	case *ast.BinaryOperationExpr:
		return b.bindBinary(x, sc)
	case *ast.UnaryOperationExpr:
		return b.bindUnary(x, sc)
	case *ast.IsNullExpr:
		return b.bindIsNull(x, sc)
	case *ast.IsTruthExpr:
		return b.bindIsTruth(x, sc)
	case *ast.PatternInExpr:
		return b.bindIn(x, sc)
	case *ast.BetweenExpr:
		return b.bindBetween(x, sc)
	case *ast.PatternLikeOrIlikeExpr:
		return b.bindLike(x, sc)
	case *ast.CaseExpr:
		return b.bindCase(x, sc)
	case *ast.FuncCallExpr:
		return b.bindFunc(x, sc)
	case *ast.AggregateFuncExpr:
		return b.bindAgg(x)
	case *ast.WindowFuncExpr:
		return nil, b.notSupportedAt(x, "window functions (OVER)")
	case *ast.SubqueryExpr, *ast.ExistsSubqueryExpr, *ast.CompareSubqueryExpr:
		return nil, b.notSupportedAt(x, "subqueries")
	case *ast.RowExpr:
		return nil, b.notSupportedAt(x, "row constructors")
	case *ast.VariableExpr:
		return nil, b.notSupportedAt(x, "variables")
	case *ast.PatternRegexpExpr:
		return nil, b.notSupportedAt(x, "regular expressions")
	}
	return nil, b.notSupportedAt(n, "this expression")
}

// matchGroup handles an expression in the aggregated scope that contains no
// aggregate and no window bound: it must equal a group key (GroupRef), be a
// constant, or be built from such parts. ok is false to let bindExpr recurse.
func (b *binder) matchGroup(n ast.ExprNode) (Expr, bool, error) {
	switch n.(type) {
	case *ast.AggregateFuncExpr, *test_driver.ValueExpr, *test_driver.ParamMarkerExpr, *ast.ParenthesesExpr:
		return nil, false, nil
	}
	if containsAggregate(n) || b.mentionsWindowBound(n) {
		return nil, false, nil
	}
	e, err := b.bindExpr(n, scopeInput)
	if err != nil {
		return nil, false, err
	}
	key := exprKey(e)
	for i, k := range b.groupKey {
		if k == key {
			return &GroupRef{Index: i, T: e.Type()}, true, nil
		}
	}
	if !hasColumnRef(e) {
		return e, true, nil
	}
	if c, ok := e.(*ColumnRef); ok {
		return nil, false, b.errAt(n, CodeGroupingError,
			"column %q must appear in the GROUP BY clause or be used in an aggregate function", c.Name)
	}
	return nil, false, nil
}

// exprKey identifies an expression structurally (group key matching and
// aggregate de-duplication).
func exprKey(e Expr) string {
	if e == nil {
		return ""
	}
	return e.String() + "::" + PGTypeName(e.Type())
}

func hasColumnRef(e Expr) bool {
	switch x := e.(type) {
	case *ColumnRef:
		return true
	case *Call:
		for _, a := range x.Args {
			if hasColumnRef(a) {
				return true
			}
		}
	case *Cast:
		return hasColumnRef(x.Expr)
	case *Case:
		for _, w := range x.Whens {
			if hasColumnRef(w.Cond) || hasColumnRef(w.Then) {
				return true
			}
		}
		return x.Else != nil && hasColumnRef(x.Else)
	}
	return false
}

// isWindowBound reports whether a column name means window_start/window_end
// of the query's window.
func (b *binder) isWindowBound(cn *ast.ColumnNameExpr) bool {
	if b.q.Window == nil || cn.Name.Table.O != "" {
		return false
	}
	return cn.Name.Name.O == "window_start" || cn.Name.Name.O == "window_end"
}

func (b *binder) mentionsWindowBound(n ast.Node) bool {
	v := &nodeFinder{match: func(n ast.Node) bool {
		cn, ok := n.(*ast.ColumnNameExpr)
		return ok && b.isWindowBound(cn)
	}}
	n.Accept(v)
	return v.found
}

// nodeFinder is an ast.Visitor reporting whether any node matches.
type nodeFinder struct {
	match func(ast.Node) bool
	found bool
}

func (v *nodeFinder) Enter(n ast.Node) (ast.Node, bool) {
	if v.match(n) {
		v.found = true
	}
	return n, v.found
}

func (v *nodeFinder) Leave(n ast.Node) (ast.Node, bool) { return n, true }

func (b *binder) bindColumn(x *ast.ColumnNameExpr, sc scope) (Expr, error) {
	name := x.Name.Name.O
	if sc == scopeAgg {
		if b.isWindowBound(x) {
			return &WindowBound{End: name == "window_end"}, nil
		}
		return nil, b.errAt(x, CodeGroupingError,
			"column %q must appear in the GROUP BY clause or be used in an aggregate function", name)
	}
	if t := x.Name.Table.O; t != "" && !b.relNames[t] {
		return nil, b.errAt(x, CodeUndefinedTable, "missing FROM-clause entry for table %q", t)
	}
	typ, ok := b.lookupColumn(name)
	if !ok {
		if e, ok := b.sessionKeyword(x); ok {
			return e, nil
		}
		e := b.errAt(x, CodeUndefinedColumn, "column %q does not exist", name)
		if b.isWindowBound(x) || (b.q.Window == nil && (name == "window_start" || name == "window_end")) {
			e.Hint = "window_start and window_end exist in the select list, HAVING and ORDER BY of a query with a window function in GROUP BY"
		}
		return nil, e
	}
	idx, seen := b.inputIdx[name]
	if !seen {
		idx = len(b.q.Input)
		b.inputIdx[name] = idx
		b.q.Input = append(b.q.Input, InputColumn{Name: name, Type: typ})
	}
	return &ColumnRef{Index: idx, Name: name, T: typ}, nil
}

// lookupColumn finds a user column or, on streams, a pseudo-column.
func (b *binder) lookupColumn(name string) (arrow.DataType, bool) {
	rel := b.q.From
	if rel == nil {
		return nil, false
	}
	if idx := rel.Schema.FieldIndices(name); len(idx) > 0 {
		return rel.Schema.Field(idx[0]).Type, true
	}
	if t, ok := pseudoColumns[name]; ok && rel.IsStream {
		return t, true
	}
	return nil, false
}

func (b *binder) bindParam(x *test_driver.ParamMarkerExpr) (*Param, error) {
	n, ok := b.si.params[x.Offset]
	if !ok {
		return nil, b.errAt(x, CodeInternal, "sql: parameter at offset %d not found", x.Offset)
	}
	p := &Param{Index: n - 1}
	if n <= len(b.declared) && b.declared[n-1] != nil && b.paramT[n-1] == nil {
		b.paramT[n-1] = b.declared[n-1]
	}
	p.T = b.paramT[n-1]
	b.params[n-1] = append(b.params[n-1], p)
	return p, nil
}

// bindValue turns a TiDB constant into an untyped Literal: integers are
// INT8, other numbers FLOAT8, strings TEXT, until context adapts them.
func (b *binder) bindValue(x *test_driver.ValueExpr) (Expr, error) {
	var l *Literal
	switch x.Kind() {
	case test_driver.KindNull:
		l = &Literal{T: typeNull}
	case test_driver.KindInt64:
		l = &Literal{Value: x.GetInt64(), T: typeInt8}
	case test_driver.KindUint64:
		l = &Literal{Value: float64(x.GetUint64()), T: typeFloat8}
	case test_driver.KindFloat64, test_driver.KindFloat32:
		l = &Literal{Value: x.GetFloat64(), T: typeFloat8}
	case test_driver.KindMysqlDecimal:
		f, err := strconv.ParseFloat(x.GetMysqlDecimal().String(), 64)
		if err != nil {
			return nil, b.errAt(x, CodeInvalidText, "invalid number %s", x.GetMysqlDecimal().String())
		}
		l = &Literal{Value: f, T: typeFloat8}
	case test_driver.KindString:
		l = &Literal{Value: x.GetString(), T: typeText}
	default:
		return nil, b.notSupportedAt(x, "this kind of constant")
	}
	b.untyped[l] = true
	return l, nil
}

var arithFuncs = map[opcode.Op]string{
	opcode.Plus: "add", opcode.Minus: "sub", opcode.Mul: "mul", opcode.Div: "div", opcode.Mod: "mod",
}

var compareFuncs = map[opcode.Op]string{
	opcode.EQ: "eq", opcode.NE: "ne", opcode.LT: "lt", opcode.LE: "le", opcode.GT: "gt", opcode.GE: "ge",
}

var opSymbols = map[string]string{
	"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%",
	"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
}

func (b *binder) bindBinary(x *ast.BinaryOperationExpr, sc scope) (Expr, error) {
	l, err := b.bindExpr(x.L, sc)
	if err != nil {
		return nil, err
	}
	r, err := b.bindExpr(x.R, sc)
	if err != nil {
		return nil, err
	}
	if fn, ok := arithFuncs[x.Op]; ok {
		return b.arith(x, fn, l, r)
	}
	if fn, ok := compareFuncs[x.Op]; ok {
		return b.compare(x, fn, l, r)
	}
	switch x.Op {
	case opcode.LogicAnd, opcode.LogicOr:
		fn, what := "and", "AND"
		if x.Op == opcode.LogicOr {
			fn, what = "or", "OR"
		}
		if l, err = b.toBool(l, x.L, what); err != nil {
			return nil, err
		}
		if r, err = b.toBool(r, x.R, what); err != nil {
			return nil, err
		}
		return &Call{Func: fn, Args: []Expr{l, r}, T: typeBool}, nil
	}
	return nil, b.errAt(x, CodeUndefinedFunction, "operator does not exist: %s %s %s",
		PGTypeName(l.Type()), opName(x.Op), PGTypeName(r.Type()))
}

func opName(op opcode.Op) string {
	var b strings.Builder
	op.Format(&b)
	return b.String()
}

// compare binds a comparison: both sides are unified to a common type.
func (b *binder) compare(x ast.Node, fn string, l, r Expr) (Expr, error) {
	args, _, err := b.unifyAll([]Expr{l, r}, "")
	if err != nil {
		if e, ok := err.(*Error); ok && e.Code != CodeDatatypeMismatch {
			e.Pos = b.si.origPos(x)
			return nil, e
		}
		return nil, b.opError(x, fn, l, r)
	}
	return &Call{Func: fn, Args: args, T: typeBool}, nil
}

func (b *binder) opError(x ast.Node, fn string, l, r Expr) *Error {
	e := b.errAt(x, CodeUndefinedFunction, "operator does not exist: %s %s %s",
		PGTypeName(l.Type()), opSymbols[fn], PGTypeName(r.Type()))
	e.Hint = "No operator matches the given name and argument types. You might need to add explicit type casts."
	return e
}

// arith binds + - * / %: numbers are unified; TIMESTAMP or DATE ± INTERVAL
// is a time shift (timeShift).
func (b *binder) arith(x ast.Node, fn string, l, r Expr) (Expr, error) {
	lt, rt := l.Type(), r.Type()
	if fn == "add" && rt != nil && lt != nil && lt.ID() == arrow.DURATION && temporalRank(rt) > 0 {
		l, r, lt, rt = r, l, rt, lt
	}
	if (fn == "add" || fn == "sub") && temporalRank(lt) > 0 && rt != nil && rt.ID() == arrow.DURATION {
		return b.timeShift(fn, l, r), nil
	}
	for _, e := range []Expr{l, r} {
		if p, ok := e.(*Param); ok && p.T == nil && b.kindOf(l) != kindTyped && b.kindOf(r) != kindTyped {
			_ = b.setParamType(p, typeInt8)
		}
	}
	args, t, err := b.unifyAll([]Expr{l, r}, "")
	if err != nil {
		if e, ok := err.(*Error); ok && e.Code != CodeDatatypeMismatch {
			e.Pos = b.si.origPos(x)
			return nil, e
		}
		return nil, b.opError(x, fn, l, r)
	}
	if !isNumeric(t) {
		return nil, b.opError(x, fn, l, r)
	}
	return &Call{Func: fn, Args: args, T: t}, nil
}

// toBool checks that e is boolean (what names the construct in the error).
func (b *binder) toBool(e Expr, n ast.Node, what string) (Expr, error) {
	c, ok, err := b.coerce(e, typeBool)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, b.errAt(n, CodeDatatypeMismatch, "argument of %s must be type boolean, not type %s",
			what, PGTypeName(e.Type()))
	}
	return c, nil
}
