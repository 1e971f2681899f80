package sql

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
)

// Session functions read or change the client session (its settings,
// user, process ID) or the server. The binder only types them; the planner
// evaluates each call once, when the statement executes, with the session
// in hand (IsSessionFunc), so their arguments must be constants or
// parameters.
var sessionFuncs = map[string]struct {
	sig []arrow.DataType
	ret arrow.DataType
}{
	"version":           {nil, typeText},
	"current_database":  {nil, typeText},
	"current_schema":    {nil, typeText},
	"current_user":      {nil, typeText},
	"session_user":      {nil, typeText},
	"pg_backend_pid":    {nil, typeInt4},
	"now":               {nil, typeTimestampTZ},
	"current_schemas":   {[]arrow.DataType{typeBool}, typeText},
	"pg_cancel_backend": {[]arrow.DataType{typeInt4}, typeBool},
	"set_config":        {[]arrow.DataType{typeText, typeText, typeBool}, typeText},
}

// sessionAliases are other spellings of the session functions.
var sessionAliases = map[string]string{
	"user": "current_user", "current_role": "current_user", "current_catalog": "current_database",
	"current_timestamp": "now", "transaction_timestamp": "now", "statement_timestamp": "now",
	"clock_timestamp": "now",
}

// IsSessionFunc reports whether a bound Call's function is a session
// function, which the planner evaluates with the session.
func IsSessionFunc(fn string) bool {
	_, ok := sessionFuncs[fn]
	return ok || fn == "current_setting"
}

// sessionKeyword binds the session functions PostgreSQL spells without
// parentheses (current_schema, session_user, user, current_role,
// current_catalog, localtimestamp): a column of that name wins, as these
// are reached only when no column matched.
func (b *binder) sessionKeyword(x *ast.ColumnNameExpr) (Expr, bool) {
	if x.Name.Table.O != "" {
		return nil, false
	}
	name := x.Name.Name.L
	if name == "localtimestamp" {
		return &Cast{Expr: &Call{Func: "now", T: typeTimestampTZ}, T: typeTimestamp}, true
	}
	if a, ok := sessionAliases[name]; ok {
		name = a
	}
	if f, ok := sessionFuncs[name]; ok && f.sig == nil {
		return &Call{Func: name, T: f.ret}, true
	}
	return nil, false
}

// bindMoreFunc binds the session functions and the numeric and time
// functions beyond the streaming core. ok is false for an unknown name.
func (b *binder) bindMoreFunc(x *ast.FuncCallExpr, name string, args []Expr) (Expr, bool, error) {
	if a, ok := sessionAliases[name]; ok {
		name = a
	}
	if f, ok := sessionFuncs[name]; ok {
		e, err := b.typedCall(x, name, args, f.sig, f.ret)
		return e, true, err
	}
	switch name {
	case "current_setting":
		sig := []arrow.DataType{typeText, typeBool}[:max(1, min(len(args), 2))]
		e, err := b.typedCall(x, name, args, sig, typeText)
		return e, true, err
	case "localtimestamp":
		e, err := b.typedCall(x, "now", args, nil, typeTimestampTZ)
		if err != nil {
			return nil, true, err
		}
		return &Cast{Expr: e, T: typeTimestamp}, true, nil
	case "to_timestamp":
		e, err := b.toTimestamp(x, args)
		return e, true, err
	case "to_char":
		e, err := b.toChar(x, args)
		return e, true, err
	case "pg_sleep":
		// PostgreSQL's result is void, which clients read as an empty
		// string; it is typed text here.
		e, err := b.typedCall(x, name, args, []arrow.DataType{typeFloat8}, typeText)
		return e, true, err
	case "floor", "ceil", "ceiling", "trunc", "round", "abs":
		e, err := b.mathCall(x, name, args)
		return e, true, err
	}
	return nil, false, nil
}

// mathCall types floor, ceil, trunc, round and abs as PostgreSQL does:
// double precision and numeric keep their type, integers become double
// precision (abs keeps them), and round(x, n) is numeric.
func (b *binder) mathCall(x *ast.FuncCallExpr, name string, args []Expr) (Expr, error) {
	if name == "ceiling" {
		name = "ceil"
	}
	if len(args) == 2 && name == "round" {
		return b.typedCall(x, name, args, []arrow.DataType{typeNumeric, typeInt4}, typeNumeric)
	}
	if len(args) != 1 {
		return nil, b.noFunction(x, x.FnName.L, args)
	}
	t := args[0].Type()
	switch {
	case b.kindOf(args[0]) == kindUnknown || t == nil:
		t = typeFloat8 // a string literal or untyped parameter: PostgreSQL's preferred numeric type
	case isInteger(t) && name == "abs":
	case t.ID() == arrow.DECIMAL128, t.ID() == arrow.FLOAT64:
	case isNumeric(t):
		t = typeFloat8
	default:
		return nil, b.noFunction(x, x.FnName.L, args)
	}
	return b.typedCall(x, name, args, []arrow.DataType{t}, t)
}

// toTimestamp binds to_timestamp(double precision) (Grafana's time macros)
// and to_timestamp(text, text) (Superset's time filters). The template
// form reads text without a zone as UTC: Sluice reads and shows every
// timestamp in UTC whatever the session's TimeZone, and the binder does
// not see the session, so this stays consistent with '…'::timestamptz.
func (b *binder) toTimestamp(x *ast.FuncCallExpr, args []Expr) (Expr, error) {
	if len(args) == 2 {
		return b.typedCall(x, "to_timestamp", args, []arrow.DataType{typeText, typeText}, typeTimestampTZ)
	}
	return b.typedCall(x, "to_timestamp", args, []arrow.DataType{typeFloat8}, typeTimestampTZ)
}

// toChar binds to_char(timestamp|timestamptz, text); a date is formatted
// as the timestamptz of its midnight, which PostgreSQL picks for it. The
// numeric and interval forms are not built.
func (b *binder) toChar(x *ast.FuncCallExpr, args []Expr) (Expr, error) {
	if len(args) != 2 {
		return nil, b.noFunction(x, x.FnName.L, args)
	}
	t := args[0].Type()
	switch {
	case b.kindOf(args[0]) == kindUnknown || t == nil:
		e := b.errAt(x, codeAmbiguousFunction, "function %s(%s, %s) is not unique", x.FnName.L, typeName(args[0]), typeName(args[1]))
		e.Hint = "Could not choose a best candidate function. You might need to add explicit type casts."
		return nil, e
	case t.ID() == arrow.TIMESTAMP:
	case t.ID() == arrow.DATE32:
		t = typeTimestampTZ
	case isNumeric(t) || arrow.TypeEqual(t, typeInterval):
		return nil, b.notSupportedAt(x, "to_char("+typeName(args[0])+", text)")
	default:
		return nil, b.noFunction(x, x.FnName.L, args)
	}
	return b.typedCall(x, "to_char", args, []arrow.DataType{t, typeText}, typeText)
}

// codeAmbiguousFunction is 42725: more than one function fits the call.
const codeAmbiguousFunction = "42725"
