package planner

import (
	"sort"

	"github.com/sluicedb/sluice/sql"
)

// fromWhere builds the rows of FROM … WHERE. Clients join catalogs with
// comma lists and put the join conditions in WHERE (ODBC's primary-key
// query crosses six relations), so the product is never built whole: each
// WHERE conjunct is applied as soon as the relations it names are joined —
// single-relation conditions before any join — and the relations are
// joined smallest first. No FROM is one empty row.
func (ev *pgEval) fromWhere(items []sql.PGFrom, where sql.PGExpr, outer *pgEnv) (*pgRowSet, error) {
	sets := make([]*pgRowSet, len(items))
	for i, it := range items {
		rs, err := ev.fromItem(it, outer)
		if err != nil {
			return nil, err
		}
		sets[i] = rs
	}
	conds := splitAnd(where, nil)
	pending := conds[:0:0]
	for _, c := range conds {
		if pushable(c) {
			pending = append(pending, c)
		}
	}
	for i, rs := range sets {
		var here sql.PGExpr
		here, pending = takeCovered(pending, []*pgRowSet{rs}, sets)
		var err error
		if sets[i], err = ev.filter(rs, here, outer); err != nil {
			return nil, err
		}
	}
	order := make([]int, len(sets))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return len(sets[order[a]].rows) < len(sets[order[b]].rows) })
	acc := &pgRowSet{rows: [][][]any{{}}}
	joined := []*pgRowSet{}
	for _, i := range order {
		joined = append(joined, sets[i])
		var on sql.PGExpr
		on, pending = takeCovered(pending, joined, sets)
		var err error
		if acc, err = ev.join(acc, sets[i], sql.PGInnerJoin, on, outer); err != nil {
			return nil, err
		}
	}
	acc = restoreOrder(acc, sets, order)
	var rest sql.PGExpr
	for _, c := range conds {
		if !pushable(c) {
			rest = andExpr(rest, c)
		}
	}
	return ev.filter(acc, andExpr(rest, conjunction(pending)), outer)
}

// restoreOrder puts the sources back in FROM order, so SELECT * lists the
// columns as written whatever order the relations were joined in.
func restoreOrder(acc *pgRowSet, sets []*pgRowSet, order []int) *pgRowSet {
	pos := make([]int, len(sets)) // FROM item → first source index in acc
	n := 0
	for _, i := range order {
		pos[i] = n
		n += len(sets[i].srcs)
	}
	var perm []int
	out := &pgRowSet{}
	for i, rs := range sets {
		for k := range rs.srcs {
			perm = append(perm, pos[i]+k)
			out.srcs = append(out.srcs, acc.srcs[pos[i]+k])
		}
	}
	for _, row := range acc.rows {
		r := make([][]any, len(perm))
		for j, p := range perm {
			r[j] = row[p]
		}
		out.rows = append(out.rows, r)
	}
	return out
}

func splitAnd(e sql.PGExpr, out []sql.PGExpr) []sql.PGExpr {
	if e == nil {
		return out
	}
	if op, ok := e.(*sql.PGOp); ok && op.Op == "and" && op.L != nil {
		return splitAnd(op.R, splitAnd(op.L, out))
	}
	return append(out, e)
}

func andExpr(a, b sql.PGExpr) sql.PGExpr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return &sql.PGOp{Op: "and", L: a, R: b}
}

func conjunction(es []sql.PGExpr) sql.PGExpr {
	var out sql.PGExpr
	for _, e := range es {
		out = andExpr(out, e)
	}
	return out
}

// takeCovered splits conds into those whose columns all belong to the
// joined row sets (or to no FROM item at all: outer references) and the rest.
func takeCovered(conds []sql.PGExpr, joined, all []*pgRowSet) (sql.PGExpr, []sql.PGExpr) {
	var here sql.PGExpr
	var rest []sql.PGExpr
	for _, c := range conds {
		if covered(c, joined, all) {
			here = andExpr(here, c)
		} else {
			rest = append(rest, c)
		}
	}
	return here, rest
}

func covered(c sql.PGExpr, joined, all []*pgRowSet) bool {
	ok := true
	walkColumns(c, func(col *sql.PGColumn) {
		if ok && !hasColumn(joined, col) && hasColumn(all, col) {
			ok = false
		}
	})
	return ok
}

func hasColumn(sets []*pgRowSet, col *sql.PGColumn) bool {
	for _, rs := range sets {
		for _, s := range rs.srcs {
			if col.Table != "" && s.alias != col.Table {
				continue
			}
			if col.Table != "" {
				return true
			}
			for _, name := range s.cols {
				if name == col.Name {
					return true
				}
			}
		}
	}
	return false
}

// pushable reports whether a condition can be moved: it reaches no
// subquery (whose correlation this walk does not follow) and no aggregate.
func pushable(e sql.PGExpr) bool {
	ok := true
	var walk func(e sql.PGExpr)
	walk = func(e sql.PGExpr) {
		switch x := e.(type) {
		case *sql.PGSubquery, *sql.PGExists, *sql.PGUnsupported, *sql.PGWindow:
			ok = false
		case *sql.PGIn:
			ok = ok && x.Sub == nil
		case *sql.PGAny:
			ok = ok && x.Sub == nil
		case *sql.PGArray:
			ok = ok && x.Sub == nil
		}
		forChildren(e, walk)
	}
	walk(e)
	return ok && !containsAggregate(e)
}

func walkColumns(e sql.PGExpr, fn func(*sql.PGColumn)) {
	if c, ok := e.(*sql.PGColumn); ok {
		fn(c)
		return
	}
	forChildren(e, func(ch sql.PGExpr) { walkColumns(ch, fn) })
}

// forChildren calls fn on each direct sub-expression of e (not into
// subqueries).
func forChildren(e sql.PGExpr, fn func(sql.PGExpr)) {
	var kids []sql.PGExpr
	switch x := e.(type) {
	case *sql.PGOp:
		kids = []sql.PGExpr{x.L, x.R}
	case *sql.PGFunc:
		kids = append(kids, x.Args...)
		for _, o := range x.Order {
			kids = append(kids, o.Expr)
		}
	case *sql.PGIsNull:
		kids = []sql.PGExpr{x.X}
	case *sql.PGIsBool:
		kids = []sql.PGExpr{x.X}
	case *sql.PGIn:
		kids = append([]sql.PGExpr{x.X}, x.List...)
	case *sql.PGAny:
		kids = []sql.PGExpr{x.X, x.Arr}
	case *sql.PGArray:
		kids = x.Elems
	case *sql.PGCase:
		kids = []sql.PGExpr{x.Value, x.Else}
		for _, w := range x.Whens {
			kids = append(kids, w.Cond, w.Then)
		}
	case *sql.PGCast:
		kids = []sql.PGExpr{x.X}
	case *sql.PGLike:
		kids = []sql.PGExpr{x.X, x.Pattern}
	case *sql.PGRegex:
		kids = []sql.PGExpr{x.X, x.Pattern}
	case *sql.PGBetween:
		kids = []sql.PGExpr{x.X, x.Lo, x.Hi}
	case *sql.PGSubscript:
		kids = []sql.PGExpr{x.X, x.Index}
	case *sql.PGField:
		kids = []sql.PGExpr{x.X}
	case *sql.PGWindow:
		kids = append(kids, x.Args...)
		kids = append(kids, x.Partition...)
		for _, o := range x.Order {
			kids = append(kids, o.Expr)
		}
	}
	for _, k := range kids {
		if k != nil {
			fn(k)
		}
	}
}
