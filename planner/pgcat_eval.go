package planner

import (
	"context"
	"sort"

	"github.com/sluicedb/sluice/sql"
)

// The catalog evaluator runs a sql.PGQuery row at a time over the virtual
// catalog relations. The relations are small (hundreds of rows), so joins
// are nested loops and nothing is indexed; a row budget stops a runaway
// cross join with an error instead of a hung session.

// pgRowBudget caps the joined rows one catalog query may produce.
const pgRowBudget = 5_000_000

// pgEval evaluates one catalog query. It is used by one goroutine.
type pgEval struct {
	ctx    context.Context
	snap   *pgSnapshot
	params []any
	tables map[string]*pgRowSet // virtual relations read so far, by schema.name
	budget int
	cte    *pgCTEScope // the WITH clauses around the query being evaluated
	// inCTE is the WITH queries being evaluated, innermost last: a
	// recursive query's working table is read only by the query itself.
	inCTE []*sql.PGCTE
	// typing holds the WITH queries whose types are being worked out
	// (pgcat_static.go), which a recursive query would otherwise repeat
	// forever.
	typing map[*sql.PGCTE]bool
}

// pgCTEScope is one WITH clause: its queries, evaluated once when first
// read, and the enclosing WITH clause.
type pgCTEScope struct {
	defs  []sql.PGCTE
	res   map[string]*pgResult
	outer *pgCTEScope
	// env is the row around the query the WITH belongs to: asyncpg's
	// typebases query is correlated with the pg_type row it is computed for.
	env *pgEnv
	// work holds the working tables of the recursive queries being
	// evaluated (pgcat_recursive.go).
	work map[string]*pgWorkTable
}

// pgSource is one relation of a FROM clause as expressions see it.
type pgSource struct {
	alias string
	cols  []string
	types []int64 // pg_type OIDs, 0 when only known from the values
}

// pgRowSet is the rows of a FROM clause: each row holds one value slice
// per source.
type pgRowSet struct {
	srcs []*pgSource
	rows [][][]any
}

// pgEnv is the evaluation context of an expression: the current row of the
// FROM sources, the enclosing query's for correlated subqueries, and, in an
// aggregating SELECT, the rows of the current group.
type pgEnv struct {
	srcs  []*pgSource
	row   [][]any
	outer *pgEnv
	group [][][]any             // nil outside aggregation
	win   map[*sql.PGWindow]any // window function values for this row (pgcat_window.go)
}

// pgResult is a query's output.
type pgResult struct {
	names []string
	types []int64
	rows  [][]any
}

func (ev *pgEval) query(q *sql.PGQuery, outer *pgEnv) (*pgResult, error) {
	if len(q.With) > 0 {
		saved := ev.cte
		ev.cte = &pgCTEScope{defs: q.With, res: map[string]*pgResult{}, outer: saved,
			env: outer, work: map[string]*pgWorkTable{}}
		defer func() { ev.cte = saved }()
	}
	if q.Select != nil {
		return ev.selectQuery(q, outer)
	}
	var res *pgResult
	for i, arm := range q.Arms {
		r, err := ev.query(arm, outer)
		if err != nil {
			return nil, err
		}
		if res == nil {
			res = r
			continue
		}
		if len(r.names) != len(res.names) {
			return nil, sql.Errorf(sql.CodeSyntax, "each UNION query must have the same number of columns")
		}
		res.rows = append(res.rows, r.rows...)
		for c, t := range r.types {
			if res.types[c] == 0 {
				res.types[c] = t
			}
		}
		if !q.All[i] {
			res.rows = distinctRows(res.rows)
		}
	}
	if err := ev.orderOutput(res, q.OrderBy); err != nil {
		return nil, err
	}
	return ev.limit(res, q, outer)
}

// selectQuery runs a plain SELECT with its ORDER BY and LIMIT, which may
// use expressions over the FROM rows as well as output columns.
func (ev *pgEval) selectQuery(q *sql.PGQuery, outer *pgEnv) (*pgResult, error) {
	s := q.Select
	rs, err := ev.fromWhere(s.From, s.Where, outer)
	if err != nil {
		return nil, err
	}
	envs := ev.rowEnvs(rs, outer)
	if s.GroupBy != nil || selectAggregates(s) {
		if envs, err = ev.group(envs, rs.srcs, outer, s); err != nil {
			return nil, err
		}
	}
	res, keys, err := ev.project(s, rs.srcs, envs, q.OrderBy)
	if err != nil {
		return nil, err
	}
	if s.Distinct {
		res.rows, keys = distinctWithKeys(res.rows, keys)
	}
	sortRows(res.rows, keys, q.OrderBy)
	return ev.limit(res, q, outer)
}

func (ev *pgEval) rowEnvs(rs *pgRowSet, outer *pgEnv) []*pgEnv {
	envs := make([]*pgEnv, len(rs.rows))
	for i, r := range rs.rows {
		envs[i] = &pgEnv{srcs: rs.srcs, row: r, outer: outer}
	}
	return envs
}

func (ev *pgEval) filter(rs *pgRowSet, where sql.PGExpr, outer *pgEnv) (*pgRowSet, error) {
	if where == nil {
		return rs, nil
	}
	out := &pgRowSet{srcs: rs.srcs}
	for i, r := range rs.rows {
		if i%1024 == 0 {
			if err := ev.ctx.Err(); err != nil {
				return nil, err
			}
		}
		ok, err := ev.truth(where, &pgEnv{srcs: rs.srcs, row: r, outer: outer})
		if err != nil {
			return nil, err
		}
		if ok {
			out.rows = append(out.rows, r)
		}
	}
	return out, nil
}

// project computes the select list and the ORDER BY keys of every row.
func (ev *pgEval) project(s *sql.PGSelect, srcs []*pgSource, envs []*pgEnv, order []sql.PGOrder) (*pgResult, [][]any, error) {
	res := &pgResult{}
	items, err := expandStars(s.Items, srcs)
	if err != nil {
		return nil, nil, err
	}
	for _, it := range items {
		res.names = append(res.names, it.Name)
		res.types = append(res.types, ev.staticType(it.Expr, srcs))
	}
	if err := ev.windows(items, envs); err != nil {
		return nil, nil, err
	}
	keys := make([][]any, len(envs))
	for i, env := range envs {
		row := make([]any, len(items))
		for j, it := range items {
			if row[j], err = ev.eval(it.Expr, env); err != nil {
				return nil, nil, err
			}
		}
		res.rows = append(res.rows, row)
		if keys[i], err = ev.orderKeys(order, res.names, row, env); err != nil {
			return nil, nil, err
		}
	}
	return res, keys, nil
}

// orderKeys evaluates ORDER BY: an integer is an output ordinal, a bare
// name an output column when one has it, anything else an expression over
// the row (PostgreSQL's rules for a plain SELECT).
func (ev *pgEval) orderKeys(order []sql.PGOrder, names []string, row []any, env *pgEnv) ([]any, error) {
	keys := make([]any, len(order))
	for i, o := range order {
		if c, ok := outputRef(o.Expr, names); ok {
			if c < 0 || c >= len(row) {
				return nil, sql.Errorf("42P10", "ORDER BY position %d is not in select list", c+1)
			}
			keys[i] = row[c]
			continue
		}
		if env == nil {
			return nil, sql.Errorf(sql.CodeFeatureNotSupported,
				"not supported: ORDER BY an expression over a UNION (use an output column or position)")
		}
		v, err := ev.eval(o.Expr, env)
		if err != nil {
			return nil, err
		}
		keys[i] = v
	}
	return keys, nil
}

// outputRef resolves an ORDER BY item to an output column index.
func outputRef(e sql.PGExpr, names []string) (int, bool) {
	switch x := e.(type) {
	case *sql.PGConst:
		if n, ok := x.Value.(int64); ok {
			return int(n) - 1, true
		}
	case *sql.PGColumn:
		if x.Table != "" {
			return 0, false
		}
		for i, n := range names {
			if n == x.Name {
				return i, true
			}
		}
	}
	return 0, false
}

func (ev *pgEval) orderOutput(res *pgResult, order []sql.PGOrder) error {
	if len(order) == 0 {
		return nil
	}
	keys := make([][]any, len(res.rows))
	for i, row := range res.rows {
		k, err := ev.orderKeys(order, res.names, row, nil)
		if err != nil {
			return err
		}
		keys[i] = k
	}
	sortRows(res.rows, keys, order)
	return nil
}

// sortRows sorts rows by their keys, stably. NULLs sort as larger than
// every value, PostgreSQL's default: last ascending, first descending.
func sortRows(rows [][]any, keys [][]any, order []sql.PGOrder) {
	if len(order) == 0 {
		return
	}
	idx := make([]int, len(rows))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ka, kb := keys[idx[a]], keys[idx[b]]
		for i, o := range order {
			c := sortCompare(ka[i], kb[i], o)
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	sorted := make([][]any, len(rows))
	for i, j := range idx {
		sorted[i] = rows[j]
	}
	copy(rows, sorted)
}

func sortCompare(a, b any, o sql.PGOrder) int {
	nullsFirst := o.Desc
	if o.NullsFirst != nil {
		nullsFirst = *o.NullsFirst
	}
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if nullsFirst {
			return -1
		}
		return 1
	case b == nil:
		if nullsFirst {
			return 1
		}
		return -1
	}
	c := orderValues(a, b)
	if o.Desc {
		return -c
	}
	return c
}

func (ev *pgEval) limit(res *pgResult, q *sql.PGQuery, outer *pgEnv) (*pgResult, error) {
	env := &pgEnv{outer: outer}
	if q.Offset != nil {
		n, err := ev.countArg(q.Offset, env, "OFFSET")
		if err != nil {
			return nil, err
		}
		if n >= 0 {
			res.rows = res.rows[min(int(n), len(res.rows)):]
		}
	}
	if q.Limit != nil {
		n, err := ev.countArg(q.Limit, env, "LIMIT")
		if err != nil {
			return nil, err
		}
		if n >= 0 && int(n) < len(res.rows) {
			res.rows = res.rows[:n]
		}
	}
	return res, nil
}

func (ev *pgEval) countArg(e sql.PGExpr, env *pgEnv, what string) (int64, error) {
	v, err := ev.eval(e, env)
	if err != nil || v == nil {
		return -1, err
	}
	n, err := toInt(v)
	if err != nil || n < 0 {
		return 0, sql.Errorf(sql.CodeInvalidRowCount, "%s must be a non-negative integer", what)
	}
	return n, nil
}

func distinctRows(rows [][]any) [][]any {
	out, _ := distinctWithKeys(rows, nil)
	return out
}

// distinctWithKeys drops repeated rows, keeping the first and its sort keys.
func distinctWithKeys(rows [][]any, keys [][]any) ([][]any, [][]any) {
	seen := map[string]bool{}
	var outRows, outKeys [][]any
	for i, r := range rows {
		k := rowKey(r)
		if seen[k] {
			continue
		}
		seen[k] = true
		outRows = append(outRows, r)
		if keys != nil {
			outKeys = append(outKeys, keys[i])
		}
	}
	return outRows, outKeys
}
