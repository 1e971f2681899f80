package sql

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/opcode"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// bindFunc binds a scalar function call, including the internal functions
// the dialect front emits (sluice_cast, sluice_interval, …).
func (b *binder) bindFunc(x *ast.FuncCallExpr, sc scope) (Expr, error) {
	name := x.FnName.L
	switch name {
	case fnCast:
		return b.bindCast(x, sc)
	case fnInterval, fnBool:
		v, err := b.internalArg(x, 0)
		if err != nil {
			return nil, err
		}
		if name == fnBool {
			return &Literal{Value: v != 0, T: typeBool}, nil
		}
		return b.intervalLiteral(x, v)
	case fnTumble, fnHop, fnSession:
		return nil, b.errAt(x, CodeGroupingError, "%s is only allowed in GROUP BY", upper(name[len("sluice_"):]))
	}
	args, err := b.bindList(x.Args, sc)
	if err != nil {
		return nil, err
	}
	switch name {
	case "lower", "upper":
		return b.typedCall(x, name, args, []arrow.DataType{typeText}, typeText)
	case "length", "char_length", "character_length":
		return b.typedCall(x, "length", args, []arrow.DataType{typeText}, typeInt4)
	case "substring", "substr":
		if len(args) == 2 {
			return b.typedCall(x, "substring", args, []arrow.DataType{typeText, typeInt8}, typeText)
		}
		return b.typedCall(x, "substring", args, []arrow.DataType{typeText, typeInt8, typeInt8}, typeText)
	case "concat":
		return b.concat(x, args)
	case "coalesce":
		if len(args) == 0 {
			break
		}
		args, t, err := b.unifyAll(args, "COALESCE")
		if err != nil {
			return nil, b.position(err, x)
		}
		return &Call{Func: "coalesce", Args: args, T: t}, nil
	case "date_trunc":
		return b.dateTrunc(x, args)
	case fnExtract, "date_part":
		return b.extract(x, args)
	}
	if e, ok, err := b.bindMoreFunc(x, name, args); ok {
		return e, err
	}
	return nil, b.noFunction(x, name, args)
}

func (b *binder) noFunction(x ast.Node, name string, args []Expr) *Error {
	types := make([]string, len(args))
	for i, a := range args {
		types[i] = typeName(a)
	}
	e := b.errAt(x, CodeUndefinedFunction, "function %s(%s) does not exist", name, strings.Join(types, ", "))
	e.Hint = "No function matches the given name and argument types. You might need to add explicit type casts."
	return e
}

// typedCall coerces args to the parameter types of a fixed signature.
func (b *binder) typedCall(x *ast.FuncCallExpr, fn string, args []Expr, sig []arrow.DataType, ret arrow.DataType) (Expr, error) {
	if len(args) != len(sig) {
		return nil, b.noFunction(x, x.FnName.L, args)
	}
	out := make([]Expr, len(args))
	for i, a := range args {
		c, ok, err := b.coerce(a, sig[i])
		if err != nil {
			return nil, b.position(err, x)
		}
		if !ok {
			return nil, b.noFunction(x, x.FnName.L, args)
		}
		out[i] = c
	}
	return &Call{Func: fn, Args: out, T: ret}, nil
}

// concat binds concat(…) and ||: every argument is converted to text.
func (b *binder) concat(x *ast.FuncCallExpr, args []Expr) (Expr, error) {
	out := make([]Expr, len(args))
	for i, a := range args {
		c, ok, err := b.coerce(a, typeText)
		if err != nil {
			return nil, b.position(err, x)
		}
		if !ok {
			c = &Cast{Expr: a, T: typeText}
		}
		out[i] = c
	}
	return &Call{Func: "concat", Args: out, T: typeText}, nil
}

var truncUnits = map[string]bool{
	"microseconds": true, "milliseconds": true, "second": true, "minute": true, "hour": true,
	"day": true, "week": true, "month": true, "quarter": true, "year": true,
}

var extractFields = map[string]bool{
	"microseconds": true, "milliseconds": true, "second": true, "minute": true, "hour": true,
	"day": true, "week": true, "month": true, "quarter": true, "year": true,
	"epoch": true, "dow": true, "isodow": true, "doy": true,
}

// timeArg checks a date/time function's unit (a text constant from the given
// set) and its timestamp argument.
func (b *binder) timeArg(x *ast.FuncCallExpr, what string, args []Expr, units map[string]bool) (*Literal, Expr, error) {
	if len(args) != 2 {
		return nil, nil, b.noFunction(x, what, args)
	}
	u, ok := args[0].(*Literal)
	var s string
	if ok {
		s, ok = u.Value.(string)
	}
	if !ok {
		return nil, nil, b.notSupportedAt(x, what+" with a unit that is not a text constant")
	}
	s = strings.ToLower(s)
	if !units[strings.TrimSuffix(s, "s")] && !units[s] {
		return nil, nil, b.errAt(x, CodeInvalidParameter, "unit %q not recognized for %s", s, what)
	}
	ts := args[1]
	if tr := temporalRank(ts.Type()); tr == 0 {
		c, ok, err := b.coerce(ts, typeTimestamp)
		if err != nil || !ok {
			return nil, nil, b.noFunction(x, what, args)
		}
		ts = c
	} else if tr == 1 {
		ts = &Cast{Expr: ts, T: typeTimestamp}
	}
	unit := strings.TrimSuffix(s, "s")
	if unit == "microsecond" || unit == "millisecond" {
		unit += "s"
	}
	return &Literal{Value: unit, T: typeText}, ts, nil
}

func (b *binder) dateTrunc(x *ast.FuncCallExpr, args []Expr) (Expr, error) {
	unit, ts, err := b.timeArg(x, "date_trunc", args, truncUnits)
	if err != nil {
		return nil, err
	}
	return &Call{Func: "date_trunc", Args: []Expr{unit, ts}, T: ts.Type()}, nil
}

func (b *binder) extract(x *ast.FuncCallExpr, args []Expr) (Expr, error) {
	field, ts, err := b.timeArg(x, "extract", args, extractFields)
	if err != nil {
		return nil, err
	}
	return &Call{Func: "extract", Args: []Expr{field, ts}, T: typeFloat8}, nil
}

// bindCast binds sluice_cast(x, i): constants are converted now, other
// expressions get a Cast when the conversion exists.
func (b *binder) bindCast(x *ast.FuncCallExpr, sc scope) (Expr, error) {
	i, err := b.internalArg(x, 1)
	if err != nil {
		return nil, err
	}
	target := b.si.casts[i]
	e, err := b.bindExpr(x.Args[0], sc)
	if err != nil {
		return nil, err
	}
	if l, ok := e.(*Literal); ok {
		c, err := convertLiteral(l, target.T)
		if err != nil {
			return nil, b.position(err, x)
		}
		return c, nil
	}
	if p, ok := e.(*Param); ok && p.T == nil {
		_ = b.setParamType(p, target.T)
		return p, nil
	}
	if sameType(e.Type(), target.T) {
		return e, nil
	}
	if !castExists(e.Type(), target.T) {
		return nil, b.errAt(x, CodeCannotCoerce, "cannot cast type %s to %s", typeName(e), PGTypeName(target.T))
	}
	return &Cast{Expr: e, T: target.T}, nil
}

// castExists reports whether CAST(from AS to) is defined at run time.
func castExists(from, to arrow.DataType) bool {
	switch {
	case to.ID() == arrow.DURATION || from.ID() == arrow.DURATION:
		return false
	case isText(from) || isText(to):
		return true
	case isNumeric(from) && isNumeric(to), temporalRank(from) > 0 && temporalRank(to) > 0:
		return true
	case isBool(from) && to.ID() == arrow.INT32, from.ID() == arrow.INT32 && isBool(to):
		return true
	}
	return false
}

// internalArg reads the integer argument i of a rewriter-emitted function.
func (b *binder) internalArg(x *ast.FuncCallExpr, i int) (int64, error) {
	if i < len(x.Args) {
		arg, neg := x.Args[i], int64(1)
		if u, ok := arg.(*ast.UnaryOperationExpr); ok && u.Op == opcode.Minus {
			arg, neg = u.V, -1 // a negative interval
		}
		if v, ok := arg.(*test_driver.ValueExpr); ok && v.Kind() == test_driver.KindInt64 {
			n := neg * v.GetInt64()
			if x.FnName.L != fnCast || (n >= 0 && n < int64(len(b.si.casts))) {
				return n, nil
			}
		}
	}
	return 0, b.errAt(x, CodeInternal, "sql: malformed internal call %s", x.FnName.L)
}
