package sql

import (
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
)

func (b *binder) bindUnary(x *ast.UnaryOperationExpr, sc scope) (Expr, error) {
	v, err := b.bindExpr(x.V, sc)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case opcode.Not, opcode.Not2:
		if v, err = b.toBool(v, x.V, "NOT"); err != nil {
			return nil, err
		}
		return &Call{Func: "not", Args: []Expr{v}, T: typeBool}, nil
	case opcode.Plus:
		if isNumeric(v.Type()) {
			return v, nil
		}
	case opcode.Minus:
		if l, ok := v.(*Literal); ok && b.kindOf(l) == kindNumLit {
			n := negateConst(l)
			if nl, ok := n.(*Literal); ok {
				b.untyped[nl] = true
			}
			return n, nil
		}
		if p, ok := v.(*Param); ok && p.T == nil {
			_ = b.setParamType(p, typeInt8)
		}
		if isNumeric(v.Type()) {
			return &Call{Func: "neg", Args: []Expr{v}, T: v.Type()}, nil
		}
	}
	return nil, b.errAt(x, CodeUndefinedFunction, "operator does not exist: %s %s", opName(x.Op), typeName(v))
}

func typeName(e Expr) string { return PGTypeName(e.Type()) }

func (b *binder) bindIsNull(x *ast.IsNullExpr, sc scope) (Expr, error) {
	v, err := b.bindExpr(x.Expr, sc)
	if err != nil {
		return nil, err
	}
	fn := "is_null"
	if x.Not {
		fn = "is_not_null"
	}
	return &Call{Func: fn, Args: []Expr{v}, T: typeBool}, nil
}

// bindIsTruth binds IS [NOT] TRUE/FALSE. IS NOT TRUE is not(is_true(x)),
// which is true for NULL as the standard requires.
func (b *binder) bindIsTruth(x *ast.IsTruthExpr, sc scope) (Expr, error) {
	v, err := b.bindExpr(x.Expr, sc)
	if err != nil {
		return nil, err
	}
	if v, err = b.toBool(v, x.Expr, "IS TRUE"); err != nil {
		return nil, err
	}
	fn := "is_false"
	if x.True != 0 {
		fn = "is_true"
	}
	var e Expr = &Call{Func: fn, Args: []Expr{v}, T: typeBool}
	if x.Not {
		e = &Call{Func: "not", Args: []Expr{e}, T: typeBool}
	}
	return e, nil
}

func (b *binder) bindIn(x *ast.PatternInExpr, sc scope) (Expr, error) {
	if x.Sel != nil {
		return nil, b.notSupportedAt(x, "subqueries")
	}
	es, err := b.bindList(append([]ast.ExprNode{x.Expr}, x.List...), sc)
	if err != nil {
		return nil, err
	}
	args, _, err := b.unifyAll(es, "IN")
	if err != nil {
		return nil, b.position(err, x)
	}
	fn := "in"
	if x.Not {
		fn = "not_in"
	}
	return &Call{Func: fn, Args: args, T: typeBool}, nil
}

func (b *binder) bindList(ns []ast.ExprNode, sc scope) ([]Expr, error) {
	es := make([]Expr, len(ns))
	for i, n := range ns {
		e, err := b.bindExpr(n, sc)
		if err != nil {
			return nil, err
		}
		es[i] = e
	}
	return es, nil
}

// position sets the error's position to node n when it has none.
func (b *binder) position(err error, n ast.Node) error {
	if e, ok := err.(*Error); ok && e.Pos == 0 {
		e.Pos = b.si.origPos(n)
	}
	return err
}

// bindBetween rewrites x BETWEEN lo AND hi to (x >= lo AND x <= hi), and
// NOT BETWEEN to (x < lo OR x > hi).
func (b *binder) bindBetween(x *ast.BetweenExpr, sc scope) (Expr, error) {
	es, err := b.bindList([]ast.ExprNode{x.Expr, x.Left, x.Right}, sc)
	if err != nil {
		return nil, err
	}
	args, _, err := b.unifyAll(es, "BETWEEN")
	if err != nil {
		return nil, b.position(err, x)
	}
	lo, hi, join := "ge", "le", "and"
	if x.Not {
		lo, hi, join = "lt", "gt", "or"
	}
	return &Call{Func: join, T: typeBool, Args: []Expr{
		&Call{Func: lo, Args: []Expr{args[0], args[1]}, T: typeBool},
		&Call{Func: hi, Args: []Expr{args[0], args[2]}, T: typeBool},
	}}, nil
}

func (b *binder) bindLike(x *ast.PatternLikeOrIlikeExpr, sc scope) (Expr, error) {
	if x.EscapeExplicit && x.Escape != '\\' {
		return nil, b.notSupportedAt(x, "LIKE … ESCAPE")
	}
	es, err := b.bindList([]ast.ExprNode{x.Expr, x.Pattern}, sc)
	if err != nil {
		return nil, err
	}
	fn := "ilike"
	if x.IsLike {
		fn = "like"
	}
	if x.Not {
		fn = "not_" + fn
	}
	for i, e := range es {
		c, ok, err := b.coerce(e, typeText)
		if err != nil {
			return nil, b.position(err, x)
		}
		if !ok {
			return nil, b.errAt(x, CodeUndefinedFunction, "operator does not exist: %s ~~ %s",
				typeName(es[0]), typeName(es[1]))
		}
		es[i] = c
	}
	return &Call{Func: fn, Args: es, T: typeBool}, nil
}

// bindCase binds searched and simple CASE; a simple CASE x WHEN v is
// rewritten to WHEN x = v.
func (b *binder) bindCase(x *ast.CaseExpr, sc scope) (Expr, error) {
	var subject Expr
	if x.Value != nil {
		var err error
		if subject, err = b.bindExpr(x.Value, sc); err != nil {
			return nil, err
		}
	}
	c := &Case{}
	var results []Expr
	for _, w := range x.WhenClauses {
		cond, err := b.bindExpr(w.Expr, sc)
		if err != nil {
			return nil, err
		}
		if subject != nil {
			cond, err = b.compare(w.Expr, "eq", subject, cond)
		} else {
			cond, err = b.toBool(cond, w.Expr, "CASE/WHEN")
		}
		if err != nil {
			return nil, err
		}
		then, err := b.bindExpr(w.Result, sc)
		if err != nil {
			return nil, err
		}
		c.Whens = append(c.Whens, When{Cond: cond})
		results = append(results, then)
	}
	if x.ElseClause != nil {
		e, err := b.bindExpr(x.ElseClause, sc)
		if err != nil {
			return nil, err
		}
		results = append(results, e)
	}
	args, t, err := b.unifyAll(results, "CASE")
	if err != nil {
		return nil, b.position(err, x)
	}
	for i := range c.Whens {
		c.Whens[i].Then = args[i]
	}
	if x.ElseClause != nil {
		c.Else = args[len(args)-1]
	}
	c.T = t
	return c, nil
}
