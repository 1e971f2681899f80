package planner

import (
	"math"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/sql"
)

// pgReg is a value of a reg* type (regclass, regtype, regnamespace): it
// compares as its OID and prints as its name, as in PostgreSQL.
type pgReg struct {
	oid  int64
	name string
}

// pgRecord is a composite value, such as a row of _pg_expandarray; (v).name
// reads a field.
type pgRecord struct {
	names []string
	vals  []any
}

func toBool(v any) (bool, error) {
	switch x := v.(type) {
	case nil:
		return false, nil
	case bool:
		return x, nil
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "t", "true", "y", "yes", "on", "1":
			return true, nil
		case "f", "false", "n", "no", "off", "0":
			return false, nil
		}
	}
	return false, sql.Errorf(sql.CodeDatatypeMismatch, "cannot use %s as a boolean", textOf(v))
}

func toInt(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case float64:
		return int64(math.Round(x)), nil
	case pgReg:
		return x.oid, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		if err == nil {
			return n, nil
		}
	}
	return 0, sql.Errorf(sql.CodeInvalidText, "invalid input syntax for type bigint: %q", textOf(v))
}

func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case int64:
		return float64(x), nil
	case float64:
		return x, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		if err == nil {
			return f, nil
		}
	}
	return 0, sql.Errorf(sql.CodeInvalidText, "invalid input syntax for type double precision: %q", textOf(v))
}

// textOf renders a value as PostgreSQL's text output does.
func textOf(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "true"
		}
		return "false"
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case pgReg:
		return x.name
	case []any:
		return arrayText(x)
	case pgRecord:
		return "(" + strings.Trim(arrayText(x.vals), "{}") + ")"
	}
	return ""
}

// arrayText is an array's text form: {a,b,"c d",NULL}.
func arrayText(a []any) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range a {
		if i > 0 {
			b.WriteByte(',')
		}
		if v == nil {
			b.WriteString("NULL")
			continue
		}
		s := textOf(v)
		if s == "" || strings.ContainsAny(s, `{},"\ `) || strings.EqualFold(s, "null") {
			s = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
		}
		b.WriteString(s)
	}
	b.WriteByte('}')
	return b.String()
}

// asArray reads an array value; a string is parsed from the text form
// ('{0}' in psql's queries).
func asArray(v any) ([]any, error) {
	switch x := v.(type) {
	case []any:
		return x, nil
	case string:
		s := strings.TrimSpace(x)
		if len(s) < 2 || s[0] != '{' || s[len(s)-1] != '}' {
			return nil, sql.Errorf(sql.CodeInvalidText, "malformed array literal: %q", x)
		}
		return parseArrayBody(s[1 : len(s)-1]), nil
	}
	return nil, sql.Errorf(sql.CodeDatatypeMismatch, "%s is not an array", textOf(v))
}

func parseArrayBody(s string) []any {
	out := []any{}
	if strings.TrimSpace(s) == "" {
		return out
	}
	for _, part := range strings.Split(s, ",") {
		p := strings.TrimSpace(part)
		switch {
		case strings.EqualFold(p, "null"):
			out = append(out, nil)
		case len(p) >= 2 && p[0] == '"':
			out = append(out, strings.ReplaceAll(p[1:len(p)-1], `\"`, `"`))
		default:
			out = append(out, p)
		}
	}
	return out
}

// compareOp applies a comparison. Operands of different kinds are coerced
// the way PostgreSQL coerces an unknown-typed literal: a string compared
// with a number is read as a number, with a boolean as a boolean.
func compareOp(op string, l, r any) (any, error) {
	if l == nil || r == nil {
		return nil, nil
	}
	c, err := compareValues(l, r)
	if err != nil {
		return nil, err
	}
	switch op {
	case "=":
		return c == 0, nil
	case "<>":
		return c != 0, nil
	case "<":
		return c < 0, nil
	case "<=":
		return c <= 0, nil
	case ">":
		return c > 0, nil
	case ">=":
		return c >= 0, nil
	}
	return nil, sql.Errorf(sql.CodeUndefinedFunction, "operator does not exist: %s", op)
}

func compareValues(l, r any) (int, error) {
	if lr, ok := l.(pgReg); ok {
		if rs, isStr := r.(string); isStr {
			return strings.Compare(lr.name, rs), nil
		}
		l = lr.oid
	}
	if rr, ok := r.(pgReg); ok {
		if ls, isStr := l.(string); isStr {
			return strings.Compare(ls, rr.name), nil
		}
		r = rr.oid
	}
	switch lv := l.(type) {
	case int64, float64:
		return compareNumbers(lv, r)
	case bool:
		rb, err := toBool(r)
		if err != nil {
			return 0, err
		}
		return boolCompare(lv, rb), nil
	case string:
		switch rv := r.(type) {
		case int64, float64:
			c, err := compareNumbers(rv, lv)
			return -c, err
		case bool:
			lb, err := toBool(lv)
			return boolCompare(lb, rv), err
		}
	}
	return strings.Compare(textOf(l), textOf(r)), nil
}

func compareNumbers(l, r any) (int, error) {
	li, lInt := l.(int64)
	ri, err := toInt(r)
	if _, rFloat := r.(float64); lInt && err == nil && !rFloat {
		if s, isStr := r.(string); !isStr || !strings.ContainsAny(s, ".eE") {
			return cmpOrdered(li, ri), nil
		}
	}
	lf, err := toFloat(l)
	if err != nil {
		return 0, err
	}
	rf, err := toFloat(r)
	if err != nil {
		return 0, err
	}
	return cmpOrdered(lf, rf), nil
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

// orderValues compares two non-NULL values for ORDER BY; values that do not
// compare (mixed kinds) order by their text.
func orderValues(a, b any) int {
	c, err := compareValues(a, b)
	if err != nil {
		return strings.Compare(textOf(a), textOf(b))
	}
	return c
}

func arith(op string, l, r any) (any, error) {
	li, lok := l.(int64)
	ri, rok := r.(int64)
	if lok && rok {
		switch op {
		case "+":
			return li + ri, nil
		case "-":
			return li - ri, nil
		case "*":
			return li * ri, nil
		case "/", "%":
			if ri == 0 {
				return nil, sql.Errorf(sql.CodeDivisionByZero, "division by zero")
			}
			if op == "/" {
				return li / ri, nil
			}
			return li % ri, nil
		}
	}
	lf, err := toFloat(l)
	if err != nil {
		return nil, err
	}
	rf, err := toFloat(r)
	if err != nil {
		return nil, err
	}
	switch op {
	case "+":
		return lf + rf, nil
	case "-":
		return lf - rf, nil
	case "*":
		return lf * rf, nil
	case "/":
		if rf == 0 {
			return nil, sql.Errorf(sql.CodeDivisionByZero, "division by zero")
		}
		return lf / rf, nil
	}
	return nil, sql.Errorf(sql.CodeUndefinedFunction, "operator does not exist: %s", op)
}

// rowKey identifies a row for DISTINCT and UNION.
func rowKey(r []any) string {
	var b strings.Builder
	for _, v := range r {
		if v == nil {
			b.WriteString("\x00N")
		} else {
			b.WriteString("\x00V")
			b.WriteString(textOf(v))
		}
	}
	return b.String()
}

// quoteIdentPG quotes a name unless it is a plain lower-case identifier,
// as quote_ident and regclass output do.
func quoteIdentPG(s string) string {
	plain := s != "" && !(s[0] >= '0' && s[0] <= '9')
	for _, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			plain = false
		}
	}
	if plain && !pgReservedWords[s] {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// pgReservedWords are the reserved keywords quote_ident quotes.
var pgReservedWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`all analyse analyze and any array as asc asymmetric both case cast
		check collate column constraint create current_catalog current_date current_role current_time
		current_timestamp current_user default deferrable desc distinct do else end except false fetch
		for foreign from grant group having in initially intersect into lateral leading limit localtime
		localtimestamp not null offset on only or order placing primary references returning select
		session_user some symmetric table then to trailing true union unique user using variadic when
		where window with`) {
		pgReservedWords[w] = true
	}
}
