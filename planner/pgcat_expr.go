package planner

import (
	"github.com/sluicedb/sluice/sql"
)

// eval is the type-switch dispatcher over catalog expressions. Values are
// nil (NULL), bool, int64, float64, string, []any (an array) and pgReg.
func (ev *pgEval) eval(e sql.PGExpr, env *pgEnv) (any, error) {
	switch x := e.(type) {
	case *sql.PGConst:
		return x.Value, nil
	case *sql.PGParam:
		if x.N < 1 || x.N > len(ev.params) {
			return nil, sql.Errorf(sql.CodeProtocolViolation, "no value supplied for parameter $%d", x.N)
		}
		return ev.params[x.N-1], nil
	case *sql.PGColumn:
		return env.column(x)
	case *sql.PGOp:
		return ev.op(x, env)
	case *sql.PGIsNull:
		v, err := ev.eval(x.X, env)
		return (v == nil) != x.Not, err
	case *sql.PGIsBool:
		v, err := ev.eval(x.X, env)
		b, isBool := v.(bool)
		return (isBool && b == x.Value) != x.Not, err
	case *sql.PGCase:
		return ev.caseExpr(x, env)
	case *sql.PGCast:
		v, err := ev.eval(x.X, env)
		if err != nil {
			return nil, err
		}
		return ev.cast(v, x.Type)
	case *sql.PGFunc:
		return ev.funcCall(x, env)
	case *sql.PGLike:
		return ev.like(x, env)
	case *sql.PGRegex:
		return ev.regex(x, env)
	case *sql.PGBetween:
		return ev.between(x, env)
	case *sql.PGIn:
		return ev.in(x, env)
	case *sql.PGAny:
		return ev.anyAll(x, env)
	case *sql.PGExists:
		res, err := ev.query(x.Sub, env)
		if err != nil {
			return nil, err
		}
		return (len(res.rows) > 0) != x.Not, nil
	case *sql.PGSubquery:
		return ev.scalarSubquery(x.Sub, env)
	case *sql.PGArray:
		return ev.array(x, env)
	case *sql.PGSubscript:
		return ev.subscript(x, env)
	case *sql.PGField:
		return ev.field(x, env)
	case *sql.PGWindow:
		return env.windowValue(x)
	case *sql.PGUnsupported:
		return nil, sql.Errorf(sql.CodeFeatureNotSupported, "not supported in a catalog query: %s", x.Feature)
	}
	return nil, sql.Errorf(sql.CodeFeatureNotSupported, "not supported in a catalog query: %T", e)
}

// truth evaluates a condition; NULL is false.
func (ev *pgEval) truth(e sql.PGExpr, env *pgEnv) (bool, error) {
	v, err := ev.eval(e, env)
	if err != nil {
		return false, err
	}
	return toBool(v)
}

// column resolves a column reference in the innermost FROM that has it,
// then outward (correlated subqueries).
func (env *pgEnv) column(c *sql.PGColumn) (any, error) {
	for e := env; e != nil; e = e.outer {
		found, v := false, any(nil)
		for si, s := range e.srcs {
			if c.Table != "" && s.alias != c.Table {
				continue
			}
			for ci, name := range s.cols {
				if name != c.Name {
					continue
				}
				if found {
					return nil, sql.Errorf(sql.CodeAmbiguousColumn, "column reference %q is ambiguous", c.Name)
				}
				found = true
				if e.row != nil {
					v = e.row[si][ci]
				}
			}
			if c.Table != "" && !found {
				return nil, sql.Errorf(sql.CodeUndefinedColumn, "column %s.%s does not exist", c.Table, c.Name)
			}
		}
		if found {
			return v, nil
		}
	}
	if c.Table != "" {
		return nil, sql.Errorf(sql.CodeUndefinedTable, "missing FROM-clause entry for table %q", c.Table)
	}
	if v, ok := sqlValueFunctions[c.Name]; ok {
		return v, nil
	}
	return nil, sql.Errorf(sql.CodeUndefinedColumn, "column %q does not exist", c.Name)
}

func (ev *pgEval) op(x *sql.PGOp, env *pgEnv) (any, error) {
	if x.L == nil {
		v, err := ev.eval(x.R, env)
		if err != nil || v == nil {
			return nil, err
		}
		if x.Op == "not" {
			b, err := toBool(v)
			return !b, err
		}
		return arith("-", int64(0), v)
	}
	if x.Op == "and" || x.Op == "or" {
		return ev.logic(x, env)
	}
	l, err := ev.eval(x.L, env)
	if err != nil {
		return nil, err
	}
	r, err := ev.eval(x.R, env)
	if err != nil || l == nil || r == nil {
		return nil, err
	}
	switch x.Op {
	case "=", "<>", "<", "<=", ">", ">=":
		return compareOp(x.Op, l, r)
	case "||":
		return textOf(l) + textOf(r), nil
	case "&", "|":
		return bitOp(x.Op, l, r)
	}
	return arith(x.Op, l, r)
}

// logic is AND/OR with SQL's three-valued logic; the right side is not
// evaluated when the left decides.
func (ev *pgEval) logic(x *sql.PGOp, env *pgEnv) (any, error) {
	l, err := ev.eval(x.L, env)
	if err != nil {
		return nil, err
	}
	lb, lok := l.(bool)
	if lok && (lb == (x.Op == "or")) {
		return lb, nil
	}
	r, err := ev.eval(x.R, env)
	if err != nil {
		return nil, err
	}
	rb, rok := r.(bool)
	switch {
	case rok && rb == (x.Op == "or"):
		return rb, nil
	case lok && rok:
		return rb, nil
	}
	if (l != nil && !lok) || (r != nil && !rok) {
		return nil, sql.Errorf(sql.CodeDatatypeMismatch, "argument of %s must be type boolean", x.Op)
	}
	return nil, nil
}

func (ev *pgEval) caseExpr(x *sql.PGCase, env *pgEnv) (any, error) {
	var subject any
	if x.Value != nil {
		v, err := ev.eval(x.Value, env)
		if err != nil {
			return nil, err
		}
		subject = v
	}
	for _, w := range x.Whens {
		c, err := ev.eval(w.Cond, env)
		if err != nil {
			return nil, err
		}
		hit := false
		if x.Value != nil {
			if subject != nil && c != nil {
				eq, err := compareOp("=", subject, c)
				if err != nil {
					return nil, err
				}
				hit = eq == true
			}
		} else if hit, err = toBool(c); err != nil {
			return nil, err
		}
		if hit {
			return ev.eval(w.Then, env)
		}
	}
	if x.Else == nil {
		return nil, nil
	}
	return ev.eval(x.Else, env)
}

func (ev *pgEval) between(x *sql.PGBetween, env *pgEnv) (any, error) {
	vals, err := ev.evalArgs([]sql.PGExpr{x.X, x.Lo, x.Hi}, env)
	if err != nil {
		return nil, err
	}
	ge, err := compareOp(">=", vals[0], vals[1])
	if err != nil {
		return nil, err
	}
	le, err := compareOp("<=", vals[0], vals[2])
	if err != nil || ge == nil || le == nil {
		return nil, err
	}
	return (ge.(bool) && le.(bool)) != x.Not, nil
}

// in is X IN (list) / X IN (subquery), NULL when nothing matched and a
// NULL was compared.
func (ev *pgEval) in(x *sql.PGIn, env *pgEnv) (any, error) {
	v, err := ev.eval(x.X, env)
	if err != nil {
		return nil, err
	}
	var cands []any
	if x.Sub != nil {
		if cands, err = ev.subqueryColumn(x.Sub, env); err != nil {
			return nil, err
		}
	} else if cands, err = ev.evalArgs(x.List, env); err != nil {
		return nil, err
	}
	res, err := matchAny("=", v, cands, false)
	if err != nil || res == nil {
		return nil, err
	}
	return res.(bool) != x.Not, nil
}

func (ev *pgEval) anyAll(x *sql.PGAny, env *pgEnv) (any, error) {
	v, err := ev.eval(x.X, env)
	if err != nil {
		return nil, err
	}
	var cands []any
	if x.Sub != nil {
		cands, err = ev.subqueryColumn(x.Sub, env)
	} else {
		var a any
		if a, err = ev.eval(x.Arr, env); err == nil {
			if a == nil {
				return nil, nil
			}
			cands, err = asArray(a)
		}
	}
	if err != nil {
		return nil, err
	}
	return matchAny(x.Op, v, cands, x.All)
}

// matchAny is v op ANY(cands) or, with all, v op ALL(cands).
func matchAny(op string, v any, cands []any, all bool) (any, error) {
	sawNull := v == nil && len(cands) > 0
	for _, c := range cands {
		if v == nil || c == nil {
			sawNull = true
			continue
		}
		r, err := compareOp(op, v, c)
		if err != nil {
			return nil, err
		}
		if r.(bool) != all {
			return !all, nil
		}
	}
	if sawNull {
		return nil, nil
	}
	return all, nil
}

func (ev *pgEval) subqueryColumn(q *sql.PGQuery, env *pgEnv) ([]any, error) {
	res, err := ev.query(q, env)
	if err != nil {
		return nil, err
	}
	if len(res.names) != 1 {
		return nil, sql.Errorf(sql.CodeSyntax, "subquery has too many columns")
	}
	out := make([]any, len(res.rows))
	for i, r := range res.rows {
		out[i] = r[0]
	}
	return out, nil
}

func (ev *pgEval) scalarSubquery(q *sql.PGQuery, env *pgEnv) (any, error) {
	vals, err := ev.subqueryColumn(q, env)
	if err != nil || len(vals) == 0 {
		return nil, err
	}
	if len(vals) > 1 {
		return nil, sql.Errorf("21000", "more than one row returned by a subquery used as an expression")
	}
	return vals[0], nil
}

func (ev *pgEval) array(x *sql.PGArray, env *pgEnv) (any, error) {
	if x.Sub != nil {
		vals, err := ev.subqueryColumn(x.Sub, env)
		if vals == nil && err == nil {
			vals = []any{}
		}
		return vals, err
	}
	return ev.evalArgs(x.Elems, env)
}

func (ev *pgEval) subscript(x *sql.PGSubscript, env *pgEnv) (any, error) {
	vals, err := ev.evalArgs([]sql.PGExpr{x.X, x.Index}, env)
	if err != nil || vals[0] == nil || vals[1] == nil {
		return nil, err
	}
	arr, err := asArray(vals[0])
	if err != nil {
		return nil, err
	}
	i, err := toInt(vals[1])
	if err != nil {
		return nil, err
	}
	if i < 1 || int(i) > len(arr) {
		return nil, nil
	}
	return arr[i-1], nil
}

// bitOp is integer & and |: pgjdbc tests index option bits with them.
func bitOp(op string, l, r any) (any, error) {
	li, err := toInt(l)
	if err != nil {
		return nil, err
	}
	ri, err := toInt(r)
	if err != nil {
		return nil, err
	}
	if op == "&" {
		return li & ri, nil
	}
	return li | ri, nil
}

// field is (x).name over a composite value (a pgRecord).
func (ev *pgEval) field(x *sql.PGField, env *pgEnv) (any, error) {
	v, err := ev.eval(x.X, env)
	if err != nil || v == nil {
		return nil, err
	}
	rec, ok := v.(pgRecord)
	if !ok {
		return nil, sql.Errorf(sql.CodeDatatypeMismatch, "column notation .%s applied to a value that is not a composite type", x.Name)
	}
	for i, n := range rec.names {
		if n == x.Name {
			return rec.vals[i], nil
		}
	}
	return nil, sql.Errorf(sql.CodeUndefinedColumn, "column %q not found in data type record", x.Name)
}

func (ev *pgEval) evalArgs(args []sql.PGExpr, env *pgEnv) ([]any, error) {
	out := make([]any, len(args))
	for i, a := range args {
		v, err := ev.eval(a, env)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// sqlValueFunctions are the SQL-standard functions written without
// parentheses (USER, CURRENT_CATALOG); a column of the same name wins, as
// in PostgreSQL.
var sqlValueFunctions = map[string]any{
	"user": catalogOwner, "current_user": catalogOwner, "session_user": catalogOwner,
	"current_role": catalogOwner, "current_catalog": catalogDB, "current_schema": "public",
}
