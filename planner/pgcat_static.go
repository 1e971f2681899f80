package planner

import (
	"github.com/sluicedb/sluice/sql"
)

// A catalog query's result columns are typed when the statement is
// prepared, by evaluating it with NULL parameters (pgcat.go). A column
// whose values are all NULL then — asyncpg's introspection finds no rows
// for a NULL list of type OIDs — would be text; PostgreSQL types it from
// the expression. staticType does the same for the expressions the
// clients' queries use, without evaluating anything.

// staticType is the PostgreSQL type of a select item when it is known
// without evaluating it, else 0 (typed from its values).
func (ev *pgEval) staticType(e sql.PGExpr, srcs []*pgSource) int64 {
	switch x := e.(type) {
	case *sql.PGColumn:
		return columnStaticType(x, srcs)
	case *sql.PGCast:
		if t, ok := pgTypes.byName[x.Type]; ok {
			return t.oid
		}
	case *sql.PGConst:
		return valueType(x.Value)
	case *sql.PGCase:
		branches := []sql.PGExpr{x.Else}
		for _, w := range x.Whens {
			branches = append(branches, w.Then)
		}
		return ev.firstStaticType(branches, srcs)
	case *sql.PGFunc:
		return ev.funcStaticType(x, srcs)
	case *sql.PGSubquery:
		if s := ev.querySource(x.Sub); s != nil && len(s.types) == 1 {
			return s.types[0]
		}
	}
	return 0
}

func columnStaticType(x *sql.PGColumn, srcs []*pgSource) int64 {
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
	return 0
}

// firstStaticType is the type of the first expression that has one, as
// PostgreSQL resolves CASE and COALESCE when the others are NULL.
func (ev *pgEval) firstStaticType(es []sql.PGExpr, srcs []*pgSource) int64 {
	for _, e := range es {
		if e == nil {
			continue
		}
		if t := ev.staticType(e, srcs); t != 0 {
			return t
		}
	}
	return 0
}

func (ev *pgEval) funcStaticType(f *sql.PGFunc, srcs []*pgSource) int64 {
	switch f.Name {
	case "coalesce", "nullif", "greatest", "least", "min", "max":
		return ev.firstStaticType(f.Args, srcs)
	case "array_agg":
		if len(f.Args) == 1 {
			if t, ok := pgTypes.byOID[ev.staticType(f.Args[0], srcs)]; ok && t.array != 0 {
				return t.array
			}
		}
	case "count":
		return oidInt8
	}
	return 0
}

// querySource is a query's output columns and their static types, or nil
// when its FROM cannot be resolved without evaluating it.
func (ev *pgEval) querySource(q *sql.PGQuery) *pgSource {
	if len(q.With) > 0 {
		saved := ev.cte
		ev.cte = &pgCTEScope{defs: q.With, res: map[string]*pgResult{}, outer: saved, work: map[string]*pgWorkTable{}}
		defer func() { ev.cte = saved }()
	}
	if q.Select == nil {
		var out *pgSource
		for _, arm := range q.Arms {
			s := ev.querySource(arm)
			switch {
			case s == nil:
				continue
			case out == nil:
				out = &pgSource{cols: s.cols, types: append([]int64(nil), s.types...)}
			case len(s.types) == len(out.types):
				for i, t := range s.types {
					if out.types[i] == 0 {
						out.types[i] = t
					}
				}
			}
		}
		return out
	}
	var srcs []*pgSource
	for _, f := range q.Select.From {
		srcs = append(srcs, ev.fromSources(f)...)
	}
	items, err := expandStars(q.Select.Items, srcs)
	if err != nil {
		return nil
	}
	out := &pgSource{}
	for _, it := range items {
		out.cols = append(out.cols, it.Name)
		out.types = append(out.types, ev.staticType(it.Expr, srcs))
	}
	return out
}

// fromSources are the sources of a FROM item, without rows; an item it
// cannot type (a table function) contributes none.
func (ev *pgEval) fromSources(f sql.PGFrom) []*pgSource {
	switch x := f.(type) {
	case *sql.PGTable:
		alias := x.Alias
		if alias == "" {
			alias = x.Name
		}
		if s := ev.tableSource(x); s != nil {
			return []*pgSource{{alias: alias, cols: s.cols, types: s.types}}
		}
	case *sql.PGSubFrom:
		if s := ev.querySource(x.Query); s != nil {
			cols := append([]string(nil), s.cols...)
			copy(cols, x.Cols)
			return []*pgSource{{alias: x.Alias, cols: cols, types: s.types}}
		}
	case *sql.PGJoin:
		return append(ev.fromSources(x.Left), ev.fromSources(x.Right)...)
	}
	return nil
}

// tableSource types a named relation: a WITH query, else a catalog.
func (ev *pgEval) tableSource(t *sql.PGTable) *pgSource {
	if t.Schema == "" {
		if s, found := ev.cteSource(t.Name); found {
			return s
		}
	}
	schema := t.Schema
	if schema == "" {
		schema = "pg_catalog"
	}
	vt, ok := pgVirtualTables[schema+"."+t.Name]
	if !ok {
		return nil
	}
	s := &pgSource{}
	for _, c := range vt.cols {
		s.cols = append(s.cols, c.name)
		s.types = append(s.types, c.typ)
	}
	return s
}

// cteSource types a WITH query by name. A recursive query's types are
// its non-recursive term's; reaching the query again while typing it
// gives nil.
func (ev *pgEval) cteSource(name string) (*pgSource, bool) {
	for sc := ev.cte; sc != nil; sc = sc.outer {
		for i := range sc.defs {
			def := &sc.defs[i]
			if def.Name != name {
				continue
			}
			if res, ok := sc.res[name]; ok {
				return renamed(&pgSource{cols: res.names, types: res.types}, def.Cols), true
			}
			if ev.typing[def] {
				return nil, true
			}
			if ev.typing == nil {
				ev.typing = map[*sql.PGCTE]bool{}
			}
			ev.typing[def] = true
			saved := ev.cte
			ev.cte = sc
			s := ev.querySource(def.Query)
			ev.cte = saved
			delete(ev.typing, def)
			return renamed(s, def.Cols), true
		}
	}
	return nil, false
}

func renamed(s *pgSource, cols []string) *pgSource {
	if s == nil || len(cols) == 0 {
		return s
	}
	names := append([]string(nil), s.cols...)
	copy(names, cols)
	return &pgSource{cols: names, types: s.types}
}
