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
		return resultRowSet(res, x.Alias, x.Cols), nil
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
	if t.Schema == "" {
		if rs, ok, err := ev.cteTable(t); ok || err != nil {
			return rs, err
		}
	}
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

// cteTable reads a WITH query by name: the innermost WITH that defines it.
func (ev *pgEval) cteTable(t *sql.PGTable) (*pgRowSet, bool, error) {
	for sc := ev.cte; sc != nil; sc = sc.outer {
		for i := range sc.defs {
			if sc.defs[i].Name != t.Name {
				continue
			}
			res, err := ev.cteResult(sc, i)
			if err != nil {
				return nil, true, err
			}
			alias := t.Alias
			if alias == "" {
				alias = t.Name
			}
			return resultRowSet(res, alias, sc.defs[i].Cols), true, nil
		}
	}
	return nil, false, nil
}

// cteResult is the result of the i-th query of a WITH clause. It runs
// once, when first read, in the scope of its own WITH clause; a recursive
// query being evaluated reads its working table instead.
func (ev *pgEval) cteResult(sc *pgCTEScope, i int) (*pgResult, error) {
	def := &sc.defs[i]
	if res, ok := sc.res[def.Name]; ok {
		return res, nil
	}
	if w, ok := sc.work[def.Name]; ok {
		return ev.readWorkTable(w)
	}
	saved := ev.cte
	ev.cte = sc
	if !def.Recursive {
		// A WITH query sees the ones before it, not itself.
		ev.cte = &pgCTEScope{defs: sc.defs[:i], res: sc.res, outer: sc.outer, env: sc.env, work: sc.work}
	}
	ev.inCTE = append(ev.inCTE, def)
	defer func() {
		ev.cte = saved
		ev.inCTE = ev.inCTE[:len(ev.inCTE)-1]
	}()
	var res *pgResult
	var err error
	if def.Recursive {
		res, err = ev.recursiveCTE(sc, def)
	} else {
		res, err = ev.query(def.Query, sc.env)
	}
	if err != nil {
		return nil, err
	}
	sc.res[def.Name] = res
	return res, nil
}

// resultRowSet makes a query's result a FROM item; cols renames its first
// columns (alias(c1, c2)).
func resultRowSet(res *pgResult, alias string, cols []string) *pgRowSet {
	names := res.names
	if len(cols) > 0 {
		names = append([]string(nil), names...)
		copy(names, cols)
	}
	rs := &pgRowSet{srcs: []*pgSource{{alias: alias, cols: names, types: res.types}}}
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

// tableFunction evaluates a function in FROM: generate_series, unnest and
// _pg_expandarray return rows; any other function one row holding its
// value. Column aliases rename the columns; a one-column function's column
// is otherwise named after the alias.
func (ev *pgEval) tableFunction(f *sql.PGFuncFrom, outer *pgEnv) (*pgRowSet, error) {
	alias := f.Alias
	if alias == "" {
		alias = f.Call.Name
	}
	args, err := ev.evalArgs(f.Call.Args, &pgEnv{outer: outer})
	if err != nil {
		return nil, err
	}
	cols, rows, err := ev.functionRows(f.Call.Name, args)
	if err != nil {
		return nil, err
	}
	if cols == nil {
		cols = []string{alias}
	}
	cols = append([]string(nil), cols...)
	copy(cols, f.Cols)
	rs := &pgRowSet{srcs: []*pgSource{{alias: alias, cols: cols, types: make([]int64, len(cols))}}}
	for _, r := range rows {
		rs.rows = append(rs.rows, [][]any{r})
	}
	return rs, nil
}

// functionRows computes a function's rows; cols is nil for a function of
// one unnamed column.
func (ev *pgEval) functionRows(name string, args []any) (cols []string, rows [][]any, err error) {
	var vals []any
	switch name {
	case "generate_series":
		vals, err = generateSeries(args)
	case "unnest":
		if len(args) != 1 {
			return nil, nil, sql.Errorf(sql.CodeUndefinedFunction, "function unnest takes one array")
		}
		vals, _ = args[0].([]any)
	case "_pg_expandarray":
		if len(args) != 1 || args[0] == nil {
			return []string{"x", "n"}, nil, nil
		}
		arr, err := asArray(args[0])
		for i, v := range arr {
			rows = append(rows, []any{v, int64(i + 1)})
		}
		return []string{"x", "n"}, rows, err
	default:
		var v any
		v, err = ev.call(name, args)
		vals = []any{v}
	}
	for _, v := range vals {
		rows = append(rows, []any{v})
	}
	return nil, rows, err
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
