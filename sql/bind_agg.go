package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// bindAgg binds an aggregate call to an AggRef. Its argument is bound in the
// input scope; the call is de-duplicated against earlier identical ones.
func (b *binder) bindAgg(x *ast.AggregateFuncExpr) (Expr, error) {
	if b.inAgg {
		return nil, b.errAt(x, CodeGroupingError, "aggregate function calls cannot be nested")
	}
	if b.clause == "WHERE" || b.clause == "GROUP BY" {
		return nil, b.errAt(x, CodeGroupingError, "aggregate functions are not allowed in %s", b.clause)
	}
	fn := strings.ToLower(x.F)
	switch fn {
	case "count", "sum", "avg", "min", "max", "approx_count_distinct":
	default:
		return nil, b.notSupportedAt(x, "aggregate function "+fn)
	}
	if len(x.Args) != 1 || x.Order != nil {
		return nil, b.notSupportedAt(x, fn+" with more than one argument or ORDER BY")
	}
	call := AggCall{Func: fn, Distinct: x.Distinct}
	if fn == "count" && !x.Distinct && isNonNullConst(x.Args[0]) {
		call.Star = true // count(*) arrives as count(1); both count every row
	} else {
		b.inAgg = true
		arg, err := b.bindExpr(x.Args[0], scopeInput)
		b.inAgg = false
		if err != nil {
			return nil, err
		}
		if call.Arg, call.Type, err = b.aggArg(x, fn, arg); err != nil {
			return nil, err
		}
	}
	if call.Type == nil {
		call.Type = typeInt8
	}
	key := fn + "|" + boolKey(call.Distinct) + boolKey(call.Star) + "|" + exprKey(call.Arg)
	idx, ok := b.aggKeys[key]
	if !ok {
		idx = len(b.q.Aggregates)
		b.aggKeys[key] = idx
		b.q.Aggregates = append(b.q.Aggregates, call)
	}
	return &AggRef{Index: idx, T: call.Type}, nil
}

func boolKey(v bool) string {
	if v {
		return "t"
	}
	return "f"
}

func isNonNullConst(n ast.ExprNode) bool {
	v, ok := n.(*test_driver.ValueExpr)
	return ok && v.Kind() != test_driver.KindNull
}

// aggArg types an aggregate's argument and result: count → INT8, sum of
// integers → INT8, sum of floats → FLOAT8, sum of numeric → NUMERIC,
// avg → FLOAT8, min/max → the argument's type.
func (b *binder) aggArg(x ast.Node, fn string, arg Expr) (Expr, arrow.DataType, error) {
	switch b.kindOf(arg) {
	case kindUnknown:
		var want arrow.DataType = typeText
		if fn == "sum" || fn == "avg" {
			want = typeInt8
		}
		c, _, err := b.coerce(arg, want)
		if err != nil {
			return nil, nil, b.position(err, x)
		}
		arg = c
	case kindNumLit:
		b.untyped[arg.(*Literal)] = false
	}
	t := arg.Type()
	switch fn {
	case "count", "approx_count_distinct":
		return arg, typeInt8, nil
	case "min", "max":
		return arg, t, nil
	}
	switch {
	case isInteger(t) && fn == "sum":
		return arg, typeInt8, nil
	case t.ID() == arrow.DECIMAL128 && fn == "sum":
		return arg, &arrow.Decimal128Type{Precision: 38, Scale: t.(*arrow.Decimal128Type).Scale}, nil
	case isNumeric(t):
		return arg, typeFloat8, nil
	}
	return nil, nil, b.noFunction(x, fn, []Expr{arg})
}

// outputName is PostgreSQL's result column name: the alias, else the
// column or function name, else "?column?".
func (b *binder) outputName(n ast.ExprNode, alias string) string {
	if alias != "" {
		return alias
	}
	switch x := n.(type) {
	case *ast.ColumnNameExpr:
		return x.Name.Name.O
	case *ast.ParenthesesExpr:
		return b.outputName(x.Expr, "")
	case *ast.AggregateFuncExpr:
		return strings.ToLower(x.F)
	case *ast.CaseExpr:
		return "case"
	case *ast.FuncCallExpr:
		return b.funcOutputName(x)
	}
	return "?column?"
}

// pgShortNames are PostgreSQL's internal type names, which name the column
// of a cast constant ("SELECT '1'::int" is column int4).
var pgShortNames = map[string]string{
	"bigint": "int8", "integer": "int4", "smallint": "int2", "real": "float4",
	"double precision": "float8", "boolean": "bool", "character varying": "varchar",
	"timestamp without time zone": "timestamp", "timestamp with time zone": "timestamptz",
}

func (b *binder) funcOutputName(x *ast.FuncCallExpr) string {
	switch x.FnName.L {
	case fnCast:
		if inner := b.outputName(x.Args[0], ""); inner != "?column?" {
			return inner
		}
		i, err := b.internalArg(x, 1)
		if err != nil {
			return "?column?"
		}
		name := b.si.casts[i].Name
		if short, ok := pgShortNames[name]; ok {
			return short
		}
		return name
	case fnInterval:
		return "interval"
	case fnBool:
		return "bool"
	case fnExtract:
		return "extract"
	case "char_length", "character_length":
		return "length"
	}
	return x.FnName.L
}
