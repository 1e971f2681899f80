package planner

import (
	"sort"

	"github.com/sluicedb/sluice/sql"
)

// Window functions run after WHERE, GROUP BY and HAVING, over the rows the
// select list is computed for: each call's value is worked out for every
// row at once and attached to the row's environment, where eval finds it.
// The frame is PostgreSQL's default, so the ranking functions (what pgjdbc's
// getColumns and Metabase use) see their whole partition in order.

// windows computes every window call of the select list for envs.
func (ev *pgEval) windows(items []sql.PGItem, envs []*pgEnv) error {
	var wins []*sql.PGWindow
	for _, it := range items {
		collectWindows(it.Expr, &wins)
	}
	for _, w := range wins {
		if err := ev.window(w, envs); err != nil {
			return err
		}
	}
	return nil
}

func collectWindows(e sql.PGExpr, out *[]*sql.PGWindow) {
	if w, ok := e.(*sql.PGWindow); ok {
		*out = append(*out, w)
		return
	}
	forChildren(e, func(ch sql.PGExpr) { collectWindows(ch, out) })
}

// window partitions envs, orders each partition and numbers its rows.
func (ev *pgEval) window(w *sql.PGWindow, envs []*pgEnv) error {
	switch w.Name {
	case "row_number", "rank", "dense_rank":
	default:
		return sql.Errorf(sql.CodeFeatureNotSupported, "not supported in a catalog query: window function %s", w.Name)
	}
	var order []string
	parts := map[string][]int{}
	keys := make([][]any, len(envs))
	for i, env := range envs {
		pv, err := ev.evalArgs(w.Partition, env)
		if err != nil {
			return err
		}
		k := rowKey(pv)
		if _, ok := parts[k]; !ok {
			order = append(order, k)
		}
		parts[k] = append(parts[k], i)
		if keys[i], err = ev.orderValues(w.Order, env); err != nil {
			return err
		}
	}
	for _, k := range order {
		rankPartition(w, parts[k], keys, envs)
	}
	return nil
}

func (ev *pgEval) orderValues(order []sql.PGOrder, env *pgEnv) ([]any, error) {
	out := make([]any, len(order))
	for i, o := range order {
		v, err := ev.eval(o.Expr, env)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// rankPartition sorts one partition's rows (idx) by their keys and gives
// each its number; rows with equal keys are peers for rank and dense_rank.
func rankPartition(w *sql.PGWindow, idx []int, keys [][]any, envs []*pgEnv) {
	cmp := func(a, b int) int {
		for i, o := range w.Order {
			if c := sortCompare(keys[a][i], keys[b][i], o); c != 0 {
				return c
			}
		}
		return 0
	}
	sort.SliceStable(idx, func(a, b int) bool { return cmp(idx[a], idx[b]) < 0 })
	var rank, dense int64
	for pos, i := range idx {
		if pos == 0 || cmp(idx[pos-1], i) != 0 {
			rank, dense = int64(pos+1), dense+1
		}
		v := int64(pos + 1)
		switch w.Name {
		case "rank":
			v = rank
		case "dense_rank":
			v = dense
		}
		if envs[i].win == nil {
			envs[i].win = map[*sql.PGWindow]any{}
		}
		envs[i].win[w] = v
	}
}

// windowValue is a window call's value for the current row.
func (env *pgEnv) windowValue(w *sql.PGWindow) (any, error) {
	for e := env; e != nil; e = e.outer {
		if v, ok := e.win[w]; ok {
			return v, nil
		}
	}
	return nil, sql.Errorf("42P20", "window functions are not allowed here")
}
