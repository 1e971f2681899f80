package sql

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// infixOps maps binary Call functions to their SQL operators.
var infixOps = map[string]string{
	"add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%",
	"eq": "=", "ne": "<>", "lt": "<", "le": "<=", "gt": ">", "ge": ">=",
	"and": "AND", "or": "OR",
	"like": "LIKE", "not_like": "NOT LIKE", "ilike": "ILIKE", "not_ilike": "NOT ILIKE",
}

// postfixOps maps unary postfix Call functions to their SQL spelling.
var postfixOps = map[string]string{
	"is_null": "IS NULL", "is_not_null": "IS NOT NULL", "is_true": "IS TRUE", "is_false": "IS FALSE",
}

// String implements Expr.
func (e *ColumnRef) String() string { return quoteIdent(e.Name) }

// String implements Expr.
func (e *Param) String() string { return "$" + strconv.Itoa(e.Index+1) }

// String implements Expr.
func (e *GroupRef) String() string { return "group#" + strconv.Itoa(e.Index) }

// String implements Expr.
func (e *AggRef) String() string { return "agg#" + strconv.Itoa(e.Index) }

// String implements Expr.
func (e *WindowBound) String() string {
	if e.End {
		return "window_end"
	}
	return "window_start"
}

// String implements Expr.
func (e *Cast) String() string {
	return "CAST(" + e.Expr.String() + " AS " + PGTypeName(e.T) + ")"
}

// String implements Expr.
func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range e.Whens {
		b.WriteString(" WHEN " + w.Cond.String() + " THEN " + w.Then.String())
	}
	if e.Else != nil {
		b.WriteString(" ELSE " + e.Else.String())
	}
	b.WriteString(" END")
	return b.String()
}

// String implements Expr.
func (e *Call) String() string {
	if op, ok := infixOps[e.Func]; ok && len(e.Args) == 2 {
		return "(" + e.Args[0].String() + " " + op + " " + e.Args[1].String() + ")"
	}
	if op, ok := postfixOps[e.Func]; ok && len(e.Args) == 1 {
		return "(" + e.Args[0].String() + " " + op + ")"
	}
	switch e.Func {
	case "neg":
		return "(- " + e.Args[0].String() + ")"
	case "not":
		return "(NOT " + e.Args[0].String() + ")"
	case "in", "not_in":
		op := " IN ("
		if e.Func == "not_in" {
			op = " NOT IN ("
		}
		return "(" + e.Args[0].String() + op + joinExprs(e.Args[1:]) + "))"
	}
	return e.Func + "(" + joinExprs(e.Args) + ")"
}

func joinExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, a := range es {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

// String implements Expr. Typed constants other than INT8, FLOAT8, TEXT
// and BOOLEAN print with a cast so that the text reads back to the same type.
func (e *Literal) String() string {
	if e.Value == nil {
		return "NULL"
	}
	s := literalText(e.Value, e.T)
	switch e.T.ID() {
	case arrow.INT64, arrow.FLOAT64, arrow.BOOL:
		return s
	case arrow.STRING:
		return quoteLiteral(s)
	case arrow.DURATION:
		return "INTERVAL " + quoteLiteral(s)
	case arrow.INT16, arrow.INT32, arrow.FLOAT32, arrow.DECIMAL128:
		return s + "::" + PGTypeName(e.T)
	}
	return quoteLiteral(s) + "::" + PGTypeName(e.T)
}

// literalText renders a literal value as PostgreSQL's text output would.
func literalText(v any, t arrow.DataType) string {
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return x
	case []byte:
		return `\x` + hex.EncodeToString(x)
	case decimal128.Num:
		return x.ToString(t.(*arrow.Decimal128Type).Scale)
	case int64:
		return intLiteralText(x, t)
	case Interval:
		return x.String()
	}
	return "?"
}

func intLiteralText(x int64, t arrow.DataType) string {
	switch tt := t.(type) {
	case *arrow.TimestampType:
		s := time.UnixMicro(x).UTC().Format("2006-01-02 15:04:05.999999")
		if tt.TimeZone != "" {
			s += "+00"
		}
		return s
	case *arrow.Date32Type:
		return time.Unix(x*86400, 0).UTC().Format("2006-01-02")
	case *arrow.DurationType:
		if x%1e6 == 0 {
			return strconv.FormatInt(x/1e6, 10) + " seconds"
		}
		return strconv.FormatInt(x, 10) + " microseconds"
	}
	return strconv.FormatInt(x, 10)
}
