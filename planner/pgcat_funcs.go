package planner

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/sql"
)

// cast converts a value to a type named as PostgreSQL spells it.
func (ev *pgEval) cast(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	if strings.HasSuffix(typ, "[]") {
		return asArray(v)
	}
	switch typ {
	case "text", "name", "character varying", `"char"`, "char", "character", "bpchar", "varchar", "unknown":
		return textOf(v), nil
	case "bigint", "integer", "smallint", "oid", "int8", "int4", "int2", "xid":
		return toInt(v)
	case "double precision", "real", "numeric", "float8", "float4":
		return toFloat(v)
	case "boolean", "bool":
		return toBool(v)
	case "regclass":
		return ev.regclass(v)
	case "regtype":
		return regOf(v, func(oid int64) string { return formatType(oid, -1) }, func(s string) (int64, bool) {
			t, ok := pgTypes.byName[s]
			if !ok {
				return 0, false
			}
			return t.oid, true
		}, "type")
	case "regnamespace":
		return regOf(v, nspName, nspOID, "schema")
	case "regrole":
		return regOf(v, func(int64) string { return catalogOwner }, func(s string) (int64, bool) {
			return roleSluice, s == catalogOwner
		}, "role")
	case "regproc", "regprocedure":
		// Every function is in pg_catalog, and regproc prints unqualified.
		return strings.TrimPrefix(textOf(v), "pg_catalog."), nil
	}
	return nil, sql.Errorf(sql.CodeFeatureNotSupported, "not supported in a catalog query: cast to %s", typ)
}

func (ev *pgEval) regclass(v any) (any, error) {
	if s, ok := v.(string); ok {
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			r := ev.snap.lookupRel(relationName(s))
			if r == nil {
				return nil, sql.Errorf(sql.CodeUndefinedTable, "relation %q does not exist", s)
			}
			return pgReg{oid: r.oid, name: r.qualifiedName()}, nil
		}
	}
	oid, err := toInt(v)
	if err != nil {
		return nil, err
	}
	if r, ok := ev.snap.byOID[oid]; ok {
		return pgReg{oid: oid, name: r.qualifiedName()}, nil
	}
	if oid == 0 {
		return pgReg{name: "-"}, nil
	}
	return pgReg{oid: oid, name: strconv.FormatInt(oid, 10)}, nil
}

// relationName normalises a relation name as regclass reads it:
// "Quoted" parts keep their case, others are folded to lower case.
func relationName(s string) string {
	parts, _ := parseIdent(nil, []any{s})
	var out []string
	for _, p := range parts.([]any) {
		out = append(out, p.(string))
	}
	return strings.Join(out, ".")
}

// regOf converts to a reg* value by OID (an integer) or by name (a string).
func regOf(v any, name func(int64) string, lookup func(string) (int64, bool), what string) (any, error) {
	if s, ok := v.(string); ok {
		if _, err := strconv.ParseInt(s, 10, 64); err != nil {
			oid, found := lookup(strings.ToLower(s))
			if !found {
				return nil, sql.Errorf(sql.CodeUndefinedObject, "%s %q does not exist", what, s)
			}
			return pgReg{oid: oid, name: s}, nil
		}
	}
	oid, err := toInt(v)
	if err != nil {
		return nil, err
	}
	n := name(oid)
	switch {
	case oid == 0:
		// InvalidOid prints as "-" (asyncpg's elemtype::regtype::text
		// for a type that is not an array).
		n = "-"
	case n == "" || n == "???":
		n = strconv.FormatInt(oid, 10)
	}
	return pgReg{oid: oid, name: n}, nil
}

func (ev *pgEval) like(x *sql.PGLike, env *pgEnv) (any, error) {
	vals, err := ev.evalArgs([]sql.PGExpr{x.X, x.Pattern}, env)
	if err != nil || vals[0] == nil || vals[1] == nil {
		return nil, err
	}
	re, err := likeRegexp(textOf(vals[1]), x.Escape, x.IgnoreCase)
	if err != nil {
		return nil, err
	}
	return re.MatchString(textOf(vals[0])) != x.Not, nil
}

// likeRegexp translates a LIKE pattern: % any string, _ one character,
// the escape character (backslash by default) quoting the next one.
func likeRegexp(pat string, esc byte, ignoreCase bool) (*regexp.Regexp, error) {
	if esc == 0 {
		esc = '\\'
	}
	var b strings.Builder
	b.WriteString("(?s)")
	if ignoreCase {
		b.WriteString("(?i)")
	}
	b.WriteByte('^')
	for i := 0; i < len(pat); i++ {
		switch c := pat[i]; {
		case c == esc && i+1 < len(pat):
			i++
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		case c == '%':
			b.WriteString(".*")
		case c == '_':
			b.WriteByte('.')
		default:
			b.WriteString(regexp.QuoteMeta(pat[i : i+1]))
		}
	}
	b.WriteByte('$')
	return regexp.Compile(b.String())
}

// regex is POSIX ~. Go's RE2 syntax covers the patterns clients send
// (anchors, groups, alternation, classes); back-references are refused.
func (ev *pgEval) regex(x *sql.PGRegex, env *pgEnv) (any, error) {
	vals, err := ev.evalArgs([]sql.PGExpr{x.X, x.Pattern}, env)
	if err != nil || vals[0] == nil || vals[1] == nil {
		return nil, err
	}
	pat := textOf(vals[1])
	if x.IgnoreCase {
		pat = "(?i)" + pat
	}
	re, err := regexp.Compile(pat)
	if err != nil {
		return nil, sql.Errorf("2201B", "invalid regular expression: %v", err)
	}
	return re.MatchString(textOf(vals[0])) != x.Not, nil
}

// pgAggregates are the aggregate functions the evaluator runs.
var pgAggregates = map[string]bool{"count": true, "sum": true, "min": true, "max": true,
	"string_agg": true, "array_agg": true, "bool_and": true, "bool_or": true, "every": true}

func (ev *pgEval) funcCall(f *sql.PGFunc, env *pgEnv) (any, error) {
	if pgAggregates[f.Name] && (f.Name != "min" && f.Name != "max" || len(f.Args) == 1) {
		return ev.aggregate(f, env)
	}
	args, err := ev.evalArgs(f.Args, env)
	if err != nil {
		return nil, err
	}
	return ev.call(f.Name, args)
}
