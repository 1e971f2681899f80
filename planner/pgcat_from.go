package planner

import (
	"github.com/sluicedb/sluice/sql"
)

func (ev *pgEval) fromItem(it sql.PGFrom, outer *pgEnv) (*pgRowSet, error) {
	switch x := it.(type) {
	case *sql.PGTable:
		return ev.table(x)
	case *sql.PGSubFrom:
		res, err := ev.query(x.Query, outer)
		if err != nil {
			return nil, err
		}
		return resultRowSet(res, x.Alias), nil
	case *sql.PGFuncFrom:
		return ev.tableFunction(x, outer)
	case *sql.PGJoin:
		l, err := ev.fromItem(x.Left, outer)
		if err != nil {
			return nil, err
		}
		r, err := ev.fromItem(x.Right, outer)
		if err != nil {
			return nil, err
		}
		on := x.On
		if len(x.Using) > 0 {
			on = usingCondition(x.Using, l, r)
		}
		if x.Kind == sql.PGRightJoin {
			return ev.rightJoin(l, r, on, outer)
		}
		return ev.join(l, r, x.Kind, on, outer)
	case *sql.PGUnsupported:
		return nil, sql.Errorf(sql.CodeFeatureNotSupported, "not supported in a catalog query: %s", x.Feature)
	}
	return nil, sql.Errorf(sql.CodeFeatureNotSupported, "not supported in a catalog query: FROM item %T", it)
}

// usingCondition turns JOIN … USING (a, b) into l.a = r.a AND l.b = r.b;
// the shared columns stay visible under both names.
func usingCondition(cols []string, l, r *pgRowSet) sql.PGExpr {
	var on sql.PGExpr
	for _, c := range cols {
		eq := &sql.PGOp{Op: "=", L: &sql.PGColumn{Table: ownerOf(l, c), Name: c}, R: &sql.PGColumn{Table: ownerOf(r, c), Name: c}}
		if on == nil {
			on = eq
		} else {
			on = &sql.PGOp{Op: "and", L: on, R: eq}
		}
	}
	return on
}

func ownerOf(rs *pgRowSet, col string) string {
	for _, s := range rs.srcs {
		for _, c := range s.cols {
			if c == col {
				return s.alias
			}
		}
	}
	return ""
}

// table reads a virtual relation. Unqualified names are looked up in
// pg_catalog, then information_schema is never implied (PostgreSQL's
// search path); a relation Sluice does not have is 42P01.
func (ev *pgEval) table(t *sql.PGTable) (*pgRowSet, error) {
	schema := t.Schema
	if schema == "" {
		schema = "pg_catalog"
	}
	key := schema + "." + t.Name
	vt, ok := pgVirtualTables[key]
	if !ok {
		return nil, sql.Errorf(sql.CodeUndefinedTable, "relation %q does not exist (catalog queries read pg_catalog and information_schema only)", qualified(t))
	}
	alias := t.Alias
	if alias == "" {
		alias = t.Name
	}
	cached, ok := ev.tables[key]
	if !ok {
		cached = &pgRowSet{}
		if vt.rows != nil {
			for _, r := range vt.rows(ev.snap) {
				cached.rows = append(cached.rows, [][]any{r})
			}
		}
		ev.tables[key] = cached
	}
	src := &pgSource{alias: alias}
	for _, c := range vt.cols {
		src.cols = append(src.cols, c.name)
		src.types = append(src.types, c.typ)
	}
	return &pgRowSet{srcs: []*pgSource{src}, rows: cached.rows}, nil
}

func qualified(t *sql.PGTable) string {
	if t.Schema == "" {
		return t.Name
	}
	return t.Schema + "." + t.Name
}

func resultRowSet(res *pgResult, alias string) *pgRowSet {
	rs := &pgRowSet{srcs: []*pgSource{{alias: alias, cols: res.names, types: res.types}}}
	for _, r := range res.rows {
		rs.rows = append(rs.rows, [][]any{r})
	}
	return rs
}

// join is the nested-loop join of l and r. A LEFT join keeps every l row,
// padding r's columns with NULLs where nothing matched.
func (ev *pgEval) join(l, r *pgRowSet, kind sql.PGJoinKind, on sql.PGExpr, outer *pgEnv) (*pgRowSet, error) {
	out := &pgRowSet{srcs: append(append([]*pgSource(nil), l.srcs...), r.srcs...)}
	for _, lr := range l.rows {
		matched := false
		for _, rr := range r.rows {
			if ev.budget--; ev.budget < 0 {
				return nil, sql.Errorf("54001", "catalog query too complex: it joins more than %d rows", pgRowBudget)
			}
			row := append(append(make([][]any, 0, len(out.srcs)), lr...), rr...)
			if on != nil {
				ok, err := ev.truth(on, &pgEnv{srcs: out.srcs, row: row, outer: outer})
				if err != nil {
					return nil, err
				}
				if !ok {
					continue
				}
			}
			matched = true
			out.rows = append(out.rows, row)
		}
		if !matched && kind == sql.PGLeftJoin {
			out.rows = append(out.rows, append(append(make([][]any, 0, len(out.srcs)), lr...), nullRow(r.srcs)...))
		}
	}
	if err := ev.ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// rightJoin is a LEFT join with the sides swapped, re-ordered back.
func (ev *pgEval) rightJoin(l, r *pgRowSet, on sql.PGExpr, outer *pgEnv) (*pgRowSet, error) {
	swapped, err := ev.join(r, l, sql.PGLeftJoin, on, outer)
	if err != nil {
		return nil, err
	}
	n := len(r.srcs)
	out := &pgRowSet{srcs: append(append([]*pgSource(nil), l.srcs...), r.srcs...)}
	for _, row := range swapped.rows {
		out.rows = append(out.rows, append(append([][]any(nil), row[n:]...), row[:n]...))
	}
	return out, nil
}

func nullRow(srcs []*pgSource) [][]any {
	out := make([][]any, len(srcs))
	for i, s := range srcs {
		out[i] = make([]any, len(s.cols))
	}
	return out
}

// expandStars replaces * and t.* by the columns they stand for.
func expandStars(items []sql.PGItem, srcs []*pgSource) ([]sql.PGItem, error) {
	var out []sql.PGItem
	for _, it := range items {
		if !it.Star {
			out = append(out, it)
			continue
		}
		found := false
		for _, s := range srcs {
			if it.StarTable != "" && s.alias != it.StarTable {
				continue
			}
			found = true
			for _, c := range s.cols {
				out = append(out, sql.PGItem{Expr: &sql.PGColumn{Table: s.alias, Name: c}, Name: c})
			}
		}
		if !found && it.StarTable != "" {
			return nil, sql.Errorf(sql.CodeUndefinedTable, "missing FROM-clause entry for table %q", it.StarTable)
		}
	}
	return out, nil
}

// staticType is the PostgreSQL type of a select item when it is known
// without evaluating it: a column of a catalog relation or a cast. Other
// items are typed from their values.
func staticType(e sql.PGExpr, srcs []*pgSource) int64 {
	switch x := e.(type) {
	case *sql.PGColumn:
		for _, s := range srcs {
			if x.Table != "" && s.alias != x.Table {
				continue
			}
			for i, c := range s.cols {
				if c == x.Name && i < len(s.types) {
					return s.types[i]
				}
			}
		}
	case *sql.PGCast:
		if t, ok := pgTypes.byName[x.Type]; ok {
			return t.oid
		}
	}
	return 0
}

// tableFunction evaluates a function in FROM: generate_series and unnest
// return rows; any other function one row holding its value.
func (ev *pgEval) tableFunction(f *sql.PGFuncFrom, outer *pgEnv) (*pgRowSet, error) {
	alias := f.Alias
	if alias == "" {
		alias = f.Call.Name
	}
	args, err := ev.evalArgs(f.Call.Args, &pgEnv{outer: outer})
	if err != nil {
		return nil, err
	}
	var vals []any
	switch f.Call.Name {
	case "generate_series":
		if vals, err = generateSeries(args); err != nil {
			return nil, err
		}
	case "unnest":
		if len(args) != 1 {
			return nil, sql.Errorf(sql.CodeUndefinedFunction, "function unnest takes one array")
		}
		vals, _ = args[0].([]any)
	default:
		v, err := ev.call(f.Call.Name, args)
		if err != nil {
			return nil, err
		}
		vals = []any{v}
	}
	rs := &pgRowSet{srcs: []*pgSource{{alias: alias, cols: []string{alias}, types: []int64{0}}}}
	for _, v := range vals {
		rs.rows = append(rs.rows, [][]any{{v}})
	}
	return rs, nil
}

func generateSeries(args []any) ([]any, error) {
	if len(args) < 2 || len(args) > 3 {
		return nil, sql.Errorf(sql.CodeUndefinedFunction, "function generate_series takes 2 or 3 integers")
	}
	for _, a := range args {
		if a == nil {
			return nil, nil
		}
	}
	lo, err1 := toInt(args[0])
	hi, err2 := toInt(args[1])
	step := int64(1)
	var err3 error
	if len(args) == 3 {
		step, err3 = toInt(args[2])
	}
	if err1 != nil || err2 != nil || err3 != nil || step == 0 {
		return nil, sql.Errorf(sql.CodeInvalidParameter, "generate_series needs integer bounds and a non-zero step")
	}
	var out []any
	for v := lo; (step > 0 && v <= hi) || (step < 0 && v >= hi); v += step {
		if len(out) >= pgRowBudget {
			return nil, sql.Errorf("54001", "generate_series returns more than %d rows", pgRowBudget)
		}
		out = append(out, v)
	}
	return out, nil
}
