package planner

import (
	"strings"

	"github.com/sluicedb/sluice/sql"
)

// group partitions the rows of an aggregating SELECT by its GROUP BY keys
// (one group of every row without GROUP BY) and applies HAVING. Each group
// is evaluated through its first row, with the group's rows attached for
// the aggregates.
func (ev *pgEval) group(envs []*pgEnv, srcs []*pgSource, outer *pgEnv, s *sql.PGSelect) ([]*pgEnv, error) {
	var groups []*pgEnv
	index := map[string]*pgEnv{}
	for _, env := range envs {
		key, err := ev.groupKey(env, s)
		if err != nil {
			return nil, err
		}
		g, ok := index[key]
		if !ok {
			g = &pgEnv{srcs: env.srcs, row: env.row, outer: env.outer, group: [][][]any{}}
			index[key] = g
			groups = append(groups, g)
		}
		g.group = append(g.group, env.row)
	}
	if len(groups) == 0 && len(s.GroupBy) == 0 && len(envs) == 0 {
		// Aggregates over no rows still give one row: count(*) = 0.
		groups = []*pgEnv{{srcs: srcs, outer: outer, group: [][][]any{}}}
	}
	if s.Having == nil {
		return groups, nil
	}
	var kept []*pgEnv
	for _, g := range groups {
		ok, err := ev.truth(s.Having, g)
		if err != nil {
			return nil, err
		}
		if ok {
			kept = append(kept, g)
		}
	}
	return kept, nil
}

func (ev *pgEval) groupKey(env *pgEnv, s *sql.PGSelect) (string, error) {
	vals := make([]any, len(s.GroupBy))
	for i, e := range s.GroupBy {
		if c, ok := e.(*sql.PGConst); ok {
			if n, isInt := c.Value.(int64); isInt && n >= 1 && int(n) <= len(s.Items) {
				e = s.Items[n-1].Expr
			}
		}
		v, err := ev.eval(e, env)
		if err != nil {
			return "", err
		}
		vals[i] = v
	}
	return rowKey(vals), nil
}

// aggregate evaluates an aggregate call over the current group's rows.
func (ev *pgEval) aggregate(f *sql.PGFunc, env *pgEnv) (any, error) {
	g := env
	for g != nil && g.group == nil {
		g = g.outer
	}
	if g == nil {
		return nil, sql.Errorf(sql.CodeGroupingError, "aggregate function %s is not allowed here", f.Name)
	}
	rows, err := ev.aggregateOrder(f, g)
	if err != nil {
		return nil, err
	}
	var vals [][]any
	seen := map[string]bool{}
	for _, r := range rows {
		args, err := ev.evalArgs(f.Args, &pgEnv{srcs: g.srcs, row: r, outer: g.outer})
		if err != nil {
			return nil, err
		}
		if len(args) > 0 && args[0] == nil && f.Name != "array_agg" {
			continue
		}
		if f.Distinct {
			k := rowKey(args[:1])
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		vals = append(vals, args)
	}
	return foldAggregate(f, vals)
}

// aggregateOrder is the group's rows in the order of the aggregate's ORDER
// BY (array_agg(x ORDER BY y)); without one, in the group's order.
func (ev *pgEval) aggregateOrder(f *sql.PGFunc, g *pgEnv) ([][][]any, error) {
	if len(f.Order) == 0 {
		return g.group, nil
	}
	idx := make([][]any, len(g.group)) // row number, then the keys
	for i, r := range g.group {
		env := &pgEnv{srcs: g.srcs, row: r, outer: g.outer}
		idx[i] = []any{int64(i)}
		for _, o := range f.Order {
			v, err := ev.eval(o.Expr, env)
			if err != nil {
				return nil, err
			}
			idx[i] = append(idx[i], v)
		}
	}
	keys := make([][]any, len(idx))
	for i, k := range idx {
		keys[i] = k[1:]
	}
	sortRows(idx, keys, f.Order)
	out := make([][][]any, len(idx))
	for i, k := range idx {
		out[i] = g.group[k[0].(int64)]
	}
	return out, nil
}

func foldAggregate(f *sql.PGFunc, vals [][]any) (any, error) {
	switch f.Name {
	case "count":
		return int64(len(vals)), nil
	case "array_agg":
		if len(vals) == 0 {
			return nil, nil
		}
		out := make([]any, len(vals))
		for i, v := range vals {
			out[i] = v[0]
		}
		return out, nil
	case "string_agg":
		if len(vals) == 0 {
			return nil, nil
		}
		parts := make([]string, len(vals))
		sep := ""
		for i, v := range vals {
			parts[i] = textOf(v[0])
			if len(v) > 1 && i == 0 {
				sep = textOf(v[1])
			}
		}
		return strings.Join(parts, sep), nil
	}
	var acc any
	for _, v := range vals {
		next, err := foldStep(f.Name, acc, v[0])
		if err != nil {
			return nil, err
		}
		acc = next
	}
	return acc, nil
}

func foldStep(name string, acc, v any) (any, error) {
	if acc == nil {
		if name == "bool_and" || name == "bool_or" || name == "every" {
			return toBool(v)
		}
		return v, nil
	}
	switch name {
	case "sum":
		return arith("+", acc, v)
	case "min", "max":
		c, err := compareValues(v, acc)
		if err != nil {
			return nil, err
		}
		if (name == "min" && c < 0) || (name == "max" && c > 0) {
			return v, nil
		}
		return acc, nil
	case "bool_and", "every", "bool_or":
		b, err := toBool(v)
		if err != nil {
			return nil, err
		}
		if name == "bool_or" {
			return acc.(bool) || b, nil
		}
		return acc.(bool) && b, nil
	}
	return nil, sql.Errorf(sql.CodeUndefinedFunction, "function %s does not exist", name)
}

// selectAggregates reports whether the select list or HAVING calls an
// aggregate outside any subquery.
func selectAggregates(s *sql.PGSelect) bool {
	for _, it := range s.Items {
		if it.Expr != nil && containsAggregate(it.Expr) {
			return true
		}
	}
	return s.Having != nil && containsAggregate(s.Having)
}

func containsAggregate(e sql.PGExpr) bool {
	switch x := e.(type) {
	case *sql.PGFunc:
		if pgAggregates[x.Name] && (x.Name != "min" && x.Name != "max" || len(x.Args) == 1) {
			return true
		}
		return anyAggregate(x.Args...)
	case *sql.PGOp:
		return anyAggregate(x.L, x.R)
	case *sql.PGCast:
		return containsAggregate(x.X)
	case *sql.PGCase:
		parts := []sql.PGExpr{x.Value, x.Else}
		for _, w := range x.Whens {
			parts = append(parts, w.Cond, w.Then)
		}
		return anyAggregate(parts...)
	case *sql.PGIsNull:
		return containsAggregate(x.X)
	case *sql.PGBetween:
		return anyAggregate(x.X, x.Lo, x.Hi)
	case *sql.PGIn:
		return anyAggregate(append([]sql.PGExpr{x.X}, x.List...)...)
	case *sql.PGLike:
		return anyAggregate(x.X, x.Pattern)
	}
	return false
}

func anyAggregate(es ...sql.PGExpr) bool {
	for _, e := range es {
		if e != nil && containsAggregate(e) {
			return true
		}
	}
	return false
}
