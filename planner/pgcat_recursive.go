package planner

import (
	"github.com/sluicedb/sluice/sql"
)

// WITH RECURSIVE runs as PostgreSQL runs it: the non-recursive term's rows
// are the first working table; the recursive term is evaluated again and
// again over the last step's new rows, until a step adds none. UNION (not
// ALL) keeps only rows not seen in any earlier step, which is what makes a
// walk over a cyclic graph end. asyncpg's type introspection walks pg_type
// this way (element, base, range and attribute types of the types it was
// asked about).

// The bounds of one recursive query. PostgreSQL iterates until the server
// runs out of memory; a catalog query that has not converged by then is a
// mistake (UNION ALL over a cycle), better reported at once than after the
// session has hung.
const (
	pgRecursionRows  = 1_000_000
	pgRecursionSteps = 100_000
)

// pgWorkTable is the working table of a recursive query being evaluated.
type pgWorkTable struct {
	def   *sql.PGCTE
	table *pgResult // the previous step's new rows; nil outside the recursive term
	// code and msg are the error for a read while table is nil: the query
	// is not of the recursive form, or reads itself in its first term.
	code, msg string
	reads     int // reads in the current step
}

// recursiveCTE evaluates a query of a WITH RECURSIVE clause. One that does
// not read itself gives its plain result.
func (ev *pgEval) recursiveCTE(sc *pgCTEScope, def *sql.PGCTE) (*pgResult, error) {
	w := &pgWorkTable{def: def}
	sc.work[def.Name] = w
	defer delete(sc.work, def.Name)
	// The converter wraps a UNION that has ORDER BY or LIMIT in a
	// one-arm query.
	q, plain := def.Query, true
	for len(q.Arms) == 1 && len(q.With) == 0 {
		plain = plain && plainUnion(q)
		q = q.Arms[0]
	}
	n := len(q.Arms)
	switch {
	case n < 2 || len(q.With) > 0:
		w.code, w.msg = "42P19", "recursive query \""+def.Name+"\" does not have the form non-recursive-term UNION [ALL] recursive-term"
		return ev.query(def.Query, sc.env)
	case !plain || !plainUnion(q):
		w.code, w.msg = sql.CodeFeatureNotSupported, "ORDER BY, LIMIT or OFFSET in a recursive query is not implemented"
		return ev.query(def.Query, sc.env)
	}
	w.code, w.msg = "42P19", "recursive reference to query \""+def.Name+"\" must not appear within its non-recursive term"
	res, err := ev.query(&sql.PGQuery{Arms: q.Arms[:n-1], All: q.All[:n-1]}, sc.env)
	if err != nil {
		return nil, err
	}
	return ev.iterate(w, res, q.Arms[n-1], q.All[n-1], sc.env)
}

// plainUnion reports whether a UNION chain has no ORDER BY, LIMIT or
// OFFSET of its own.
func plainUnion(q *sql.PGQuery) bool {
	return q.Select == nil && len(q.OrderBy) == 0 && q.Limit == nil && q.Offset == nil
}

// iterate runs the recursive term until a step adds no rows, appending each
// step's rows to res. A term that did not read the working table does not
// depend on it: its rows are added once.
func (ev *pgEval) iterate(w *pgWorkTable, res *pgResult, term *sql.PGQuery, all bool, env *pgEnv) (*pgResult, error) {
	var seen map[string]bool
	if !all {
		seen = map[string]bool{}
		res.rows = keepUnseen(res.rows, seen)
	}
	work := res.rows
	for step := 1; len(work) > 0; step++ {
		if err := ev.ctx.Err(); err != nil {
			return nil, err
		}
		if step > pgRecursionSteps {
			return nil, sql.Errorf("54001", "recursive query %q did not finish in %d steps", w.def.Name, pgRecursionSteps)
		}
		w.table, w.reads = &pgResult{names: res.names, types: res.types, rows: work}, 0
		r, err := ev.query(term, env)
		w.table = nil
		if err != nil {
			return nil, err
		}
		if len(r.names) != len(res.names) {
			return nil, sql.Errorf(sql.CodeSyntax, "each UNION query must have the same number of columns")
		}
		for c, t := range r.types {
			if res.types[c] == 0 {
				res.types[c] = t
			}
		}
		if !all {
			r.rows = keepUnseen(r.rows, seen)
		}
		if len(res.rows)+len(r.rows) > pgRecursionRows {
			return nil, sql.Errorf("54001", "recursive query %q returns more than %d rows", w.def.Name, pgRecursionRows)
		}
		res.rows = append(res.rows, r.rows...)
		if w.reads == 0 {
			break
		}
		work = r.rows
	}
	return res, nil
}

// keepUnseen drops the rows already in seen (or repeated in rows) and
// records the rest.
func keepUnseen(rows [][]any, seen map[string]bool) [][]any {
	var out [][]any
	for _, r := range rows {
		k := rowKey(r)
		if !seen[k] {
			seen[k] = true
			out = append(out, r)
		}
	}
	return out
}

// readWorkTable is a reference to a recursive query from inside itself.
func (ev *pgEval) readWorkTable(w *pgWorkTable) (*pgResult, error) {
	if len(ev.inCTE) == 0 || ev.inCTE[len(ev.inCTE)-1] != w.def {
		// PostgreSQL does not implement mutual recursion either.
		return nil, sql.Errorf(sql.CodeFeatureNotSupported,
			"recursive reference to query %q from another WITH query is not implemented", w.def.Name)
	}
	if w.table == nil {
		return nil, sql.Errorf(w.code, "%s", w.msg)
	}
	if w.reads++; w.reads > 1 {
		// The working table is one step's rows: a second read in the step
		// (a self-join, a subquery) has no meaning PostgreSQL accepts.
		return nil, sql.Errorf("42P19", "recursive reference to query %q must not appear more than once", w.def.Name)
	}
	return w.table, nil
}
