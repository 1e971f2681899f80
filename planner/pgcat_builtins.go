package planner

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/sluicedb/sluice/sql"
)

// pgBuiltin is a scalar function of catalog queries. Arguments are
// evaluated; most functions return NULL for a NULL argument (strict).
type pgBuiltin struct {
	fn     func(ev *pgEval, args []any) (any, error)
	lax    bool // called with NULL arguments too
	minArg int
}

// pgBuiltins are the functions the statements of psql, JDBC, psycopg/
// SQLAlchemy and Grafana call. Functions about objects Sluice does not have
// (indexes, constraints, defaults, triggers, comments) return NULL, which is
// what PostgreSQL returns for an object without them.
var pgBuiltins map[string]pgBuiltin

func init() {
	null := pgBuiltin{fn: func(*pgEval, []any) (any, error) { return nil, nil }, lax: true}
	yes := pgBuiltin{fn: func(*pgEval, []any) (any, error) { return true, nil }, lax: true}
	no := pgBuiltin{fn: func(*pgEval, []any) (any, error) { return false, nil }, lax: true}
	constant := func(v any) pgBuiltin {
		return pgBuiltin{fn: func(*pgEval, []any) (any, error) { return v, nil }, lax: true}
	}
	pgBuiltins = map[string]pgBuiltin{
		"pg_get_userbyid":            {fn: userByID, minArg: 1},
		"pg_table_is_visible":        {fn: tableIsVisible, minArg: 1},
		"pg_type_is_visible":         yes,
		"pg_function_is_visible":     yes,
		"format_type":                {fn: formatTypeFn, minArg: 1, lax: true},
		"pg_get_viewdef":             {fn: viewDef, minArg: 1},
		"pg_encoding_to_char":        {fn: func(*pgEval, []any) (any, error) { return "UTF8", nil }, minArg: 1},
		"array_to_string":            {fn: arrayToString, minArg: 2},
		"array_length":               {fn: arrayLength, minArg: 2},
		"array_upper":                {fn: arrayLength, minArg: 2},
		"cardinality":                {fn: arrayLength, minArg: 1},
		"array_lower":                {fn: arrayLower, minArg: 2},
		"string_to_array":            {fn: stringToArray, minArg: 2},
		"parse_ident":                {fn: parseIdent, minArg: 1},
		"current_schemas":            {fn: currentSchemas, minArg: 1},
		"current_setting":            {fn: currentSetting, minArg: 1},
		"quote_ident":                {fn: func(_ *pgEval, a []any) (any, error) { return quoteIdentPG(textOf(a[0])), nil }, minArg: 1},
		"replace":                    {fn: replaceFn, minArg: 3},
		"format":                     {fn: formatFn, minArg: 1, lax: true},
		"lower":                      {fn: func(_ *pgEval, a []any) (any, error) { return strings.ToLower(textOf(a[0])), nil }, minArg: 1},
		"upper":                      {fn: func(_ *pgEval, a []any) (any, error) { return strings.ToUpper(textOf(a[0])), nil }, minArg: 1},
		"trim":                       {fn: func(_ *pgEval, a []any) (any, error) { return strings.TrimSpace(textOf(a[0])), nil }, minArg: 1},
		"btrim":                      {fn: trimFn(strings.Trim), minArg: 1},
		"ltrim":                      {fn: trimFn(strings.TrimLeft), minArg: 1},
		"rtrim":                      {fn: trimFn(strings.TrimRight), minArg: 1},
		"length":                     {fn: func(_ *pgEval, a []any) (any, error) { return int64(len([]rune(textOf(a[0])))), nil }, minArg: 1},
		"coalesce":                   {fn: coalesce, lax: true},
		"nullif":                     {fn: nullIf, lax: true, minArg: 2},
		"pg_size_pretty":             {fn: func(_ *pgEval, a []any) (any, error) { return textOf(a[0]) + " bytes", nil }, minArg: 1},
		"current_schema":             constant("public"),
		"current_database":           constant(catalogDB),
		"current_user":               constant(catalogOwner),
		"session_user":               constant(catalogOwner),
		"user":                       constant(catalogOwner),
		"current_role":               constant(catalogOwner),
		"version":                    constant("PostgreSQL 15.0 (Sluice 0.1) on x86_64-pc-linux-gnu, compiled by Go, 64-bit"),
		"pg_my_temp_schema":          constant(int64(0)),
		"pg_backend_pid":             constant(int64(0)),
		"pg_relation_size":           constant(int64(0)),
		"pg_total_relation_size":     constant(int64(0)),
		"pg_table_size":              constant(int64(0)),
		"pg_indexes_size":            constant(int64(0)),
		"pg_is_other_temp_schema":    no,
		"pg_relation_is_publishable": no,
		"pg_is_in_recovery":          no,
		"has_table_privilege":        yes,
		"has_schema_privilege":       yes,
		"has_database_privilege":     yes,
		"has_column_privilege":       yes,
		"has_function_privilege":     yes,
		"has_any_column_privilege":   yes,
		"has_sequence_privilege":     yes,
		"_pg_expandarray": {fn: func(*pgEval, []any) (any, error) {
			return nil, sql.Errorf(sql.CodeFeatureNotSupported,
				"not supported in a catalog query: set-returning function _pg_expandarray outside FROM")
		}, minArg: 1},
		"pg_has_role": yes,
	}
	for _, name := range []string{"pg_get_expr", "pg_get_indexdef", "pg_get_constraintdef",
		"pg_get_triggerdef", "pg_get_ruledef", "pg_get_statisticsobjdef_columns", "pg_get_function_result",
		"pg_get_function_arguments", "pg_get_function_identity_arguments", "pg_get_serial_sequence",
		"pg_get_partkeydef", "obj_description", "col_description", "shobj_description",
		"pg_tablespace_location", "pg_get_partition_constraintdef"} {
		pgBuiltins[name] = null
	}
}

// call applies a scalar function to evaluated arguments.
func (ev *pgEval) call(name string, args []any) (any, error) {
	b, ok := pgBuiltins[name]
	if !ok {
		if name == "generate_series" || name == "unnest" {
			return nil, sql.Errorf(sql.CodeFeatureNotSupported,
				"not supported in a catalog query: set-returning function %s outside FROM", name)
		}
		return nil, sql.Errorf(sql.CodeUndefinedFunction, "function %s does not exist (in a catalog query)", name)
	}
	if len(args) < b.minArg {
		return nil, sql.Errorf(sql.CodeUndefinedFunction, "function %s needs %d arguments", name, b.minArg)
	}
	if !b.lax {
		for _, a := range args {
			if a == nil {
				return nil, nil
			}
		}
	}
	return b.fn(ev, args)
}

func userByID(_ *pgEval, a []any) (any, error) {
	oid, err := toInt(a[0])
	if err != nil {
		return nil, err
	}
	if oid == roleSluice {
		return catalogOwner, nil
	}
	return "unknown (OID=" + strconv.FormatInt(oid, 10) + ")", nil
}

// tableIsVisible: a relation is visible when its schema is on the search
// path and no earlier schema has a relation of the same name.
func tableIsVisible(ev *pgEval, a []any) (any, error) {
	oid, err := toInt(a[0])
	if err != nil {
		return nil, err
	}
	r, ok := ev.snap.byOID[oid]
	if !ok {
		return nil, nil
	}
	return onSearchPath(r.nsp) && ev.snap.lookupRel(r.name) == r, nil
}

func formatTypeFn(_ *pgEval, a []any) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	oid, err := toInt(a[0])
	if err != nil {
		return nil, err
	}
	typmod := int64(-1)
	if len(a) > 1 && a[1] != nil {
		if typmod, err = toInt(a[1]); err != nil {
			return nil, err
		}
	}
	return formatType(oid, typmod), nil
}

func viewDef(ev *pgEval, a []any) (any, error) {
	r, err := ev.regclass(a[0])
	if err != nil {
		return nil, err
	}
	rel, ok := ev.snap.byOID[r.(pgReg).oid]
	if !ok {
		return nil, nil
	}
	return viewDefinition(rel), nil
}

// viewAs finds the AS that starts a CREATE … AS statement's query.
var viewAs = regexp.MustCompile(`(?is)\sAS\s`)

func arrayToString(_ *pgEval, a []any) (any, error) {
	arr, err := asArray(a[0])
	if err != nil {
		return nil, err
	}
	sep := textOf(a[1])
	var parts []string
	for _, v := range arr {
		switch {
		case v != nil:
			parts = append(parts, textOf(v))
		case len(a) > 2 && a[2] != nil:
			parts = append(parts, textOf(a[2]))
		}
	}
	return strings.Join(parts, sep), nil
}

func arrayLength(_ *pgEval, a []any) (any, error) {
	arr, err := asArray(a[0])
	if err != nil || len(arr) == 0 {
		return nil, err
	}
	return int64(len(arr)), nil
}

func arrayLower(_ *pgEval, a []any) (any, error) {
	arr, err := asArray(a[0])
	if err != nil || len(arr) == 0 {
		return nil, err
	}
	return int64(1), nil
}

func stringToArray(_ *pgEval, a []any) (any, error) {
	parts := strings.Split(textOf(a[0]), textOf(a[1]))
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func currentSchemas(_ *pgEval, a []any) (any, error) {
	withImplicit, err := toBool(a[0])
	if err != nil {
		return nil, err
	}
	if withImplicit {
		return []any{"pg_catalog", "public"}, nil
	}
	return []any{"public"}, nil
}

// pgSettings are the settings current_setting answers in catalog queries.
var pgSettings = map[string]string{
	"search_path": `"$user", public`, "server_version_num": "150000", "server_version": "15.0",
	"server_encoding": "UTF8", "client_encoding": "UTF8", "datestyle": "ISO, MDY", "timezone": "UTC",
	"standard_conforming_strings": "on", "integer_datetimes": "on", "max_identifier_length": "63",
	"max_index_keys": "32", "transaction_isolation": "read committed", "intervalstyle": "postgres",
	"is_superuser": "on", "lc_collate": "C", "lc_ctype": "C", "block_size": "8192",
}

func currentSetting(_ *pgEval, a []any) (any, error) {
	v, ok := pgSettings[strings.ToLower(textOf(a[0]))]
	if !ok {
		if len(a) > 1 && a[1] == true {
			return nil, nil
		}
		return nil, sql.Errorf(sql.CodeUndefinedObject, "unrecognized configuration parameter %q", textOf(a[0]))
	}
	return v, nil
}

// formatFn is format(fmt, args…) with %s, %I (identifier), %L (literal)
// and %%: what Metabase builds qualified names with.
func formatFn(_ *pgEval, a []any) (any, error) {
	if a[0] == nil {
		return nil, nil
	}
	f, args := textOf(a[0]), a[1:]
	var b strings.Builder
	for i := 0; i < len(f); i++ {
		if f[i] != '%' || i+1 == len(f) {
			b.WriteByte(f[i])
			continue
		}
		i++
		if f[i] == '%' {
			b.WriteByte('%')
			continue
		}
		if len(args) == 0 {
			return nil, sql.Errorf(sql.CodeInvalidParameter, "too few arguments for format()")
		}
		v := args[0]
		args = args[1:]
		switch f[i] {
		case 's':
			b.WriteString(textOf(v))
		case 'I':
			b.WriteString(quoteIdentPG(textOf(v)))
		case 'L':
			if v == nil {
				b.WriteString("NULL")
			} else {
				b.WriteString("'" + strings.ReplaceAll(textOf(v), "'", "''") + "'")
			}
		default:
			return nil, sql.Errorf(sql.CodeInvalidParameter, "unrecognized format() type specifier %q", f[i])
		}
	}
	return b.String(), nil
}

// trimFn removes the characters of the second argument (default a space)
// from one or both ends.
func trimFn(trim func(s, cutset string) string) func(*pgEval, []any) (any, error) {
	return func(_ *pgEval, a []any) (any, error) {
		chars := " "
		if len(a) > 1 {
			chars = textOf(a[1])
		}
		return trim(textOf(a[0]), chars), nil
	}
}

func replaceFn(_ *pgEval, a []any) (any, error) {
	return strings.ReplaceAll(textOf(a[0]), textOf(a[1]), textOf(a[2])), nil
}

func coalesce(_ *pgEval, a []any) (any, error) {
	for _, v := range a {
		if v != nil {
			return v, nil
		}
	}
	return nil, nil
}

func nullIf(_ *pgEval, a []any) (any, error) {
	if a[0] == nil || a[1] == nil {
		return a[0], nil
	}
	eq, err := compareOp("=", a[0], a[1])
	if err != nil {
		return nil, err
	}
	if eq == true {
		return nil, nil
	}
	return a[0], nil
}

// parseIdent splits a qualified name into its parts, unquoting "quoted"
// parts and folding the others to lower case.
func parseIdent(_ *pgEval, a []any) (any, error) {
	var out []any
	for _, part := range strings.Split(textOf(a[0]), ".") {
		p := strings.TrimSpace(part)
		if len(p) >= 2 && p[0] == '"' && p[len(p)-1] == '"' {
			out = append(out, strings.ReplaceAll(p[1:len(p)-1], `""`, `"`))
		} else {
			out = append(out, strings.ToLower(p))
		}
	}
	return out, nil
}
