package planner

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// converter turns bound sql expressions into exec expressions. In the
// aggregated scope, window bounds, group keys and aggregates become column
// references into the WindowAgg output (window_start, window_end, key0…,
// agg0…). The first error sticks in err, so callers check once.
type converter struct {
	params     []any
	env        *stmtEnv // nil refuses session functions (persistent queries)
	aggregated bool
	windowed   bool
	keys       int
	err        error
}

func (c *converter) expr(e sql.Expr) exec.Expr {
	switch e := e.(type) {
	case *sql.ColumnRef:
		if c.aggregated {
			c.fail(fmt.Errorf("planner: column %s referenced after aggregation", e.Name))
		}
		return exec.Col(e.Index, e.T)
	case *sql.Literal:
		if e.T.ID() == arrow.DURATION {
			if _, ok := e.Value.(sql.Interval); ok {
				// The binder lowers timestamp ± a calendar interval to
				// add_interval; exec has no value for one anywhere else.
				c.fail(sql.Errorf(sql.CodeFeatureNotSupported, "not supported: an INTERVAL in months or years outside timestamp ± INTERVAL"))
				return exec.Lit(nil, arrow.PrimitiveTypes.Int64)
			}
			// An INTERVAL constant: exec adds BIGINT microseconds to timestamps.
			return exec.Lit(e.Value, arrow.PrimitiveTypes.Int64)
		}
		return exec.Lit(e.Value, e.T)
	case *sql.Param:
		if e.Index >= len(c.params) {
			c.fail(sql.Errorf(sql.CodeProtocolViolation, "no value supplied for parameter $%d", e.Index+1))
			return exec.Lit(nil, e.T)
		}
		return exec.Lit(c.params[e.Index], e.T)
	case *sql.Call:
		return c.call(e)
	case *sql.Cast:
		x, err := exec.Cast(c.expr(e.Expr), e.T)
		c.fail(err)
		return x
	case *sql.Case:
		conds := make([]exec.Expr, len(e.Whens))
		vals := make([]exec.Expr, len(e.Whens))
		for i, w := range e.Whens {
			conds[i], vals[i] = c.expr(w.Cond), c.expr(w.Then)
		}
		var els exec.Expr
		if e.Else != nil {
			els = c.expr(e.Else)
		}
		return exec.CaseWhen(conds, vals, els, e.T)
	case *sql.WindowBound:
		return c.aggCol(boolIndex(e.End), e.Type())
	case *sql.GroupRef:
		return c.aggCol(c.windowCols()+e.Index, e.T)
	case *sql.AggRef:
		return c.aggCol(c.windowCols()+c.keys+e.Index, e.T)
	}
	c.fail(fmt.Errorf("planner: unexpected expression %T", e))
	return exec.Lit(nil, arrow.Null)
}

func (c *converter) call(e *sql.Call) exec.Expr {
	if sql.IsSessionFunc(e.Func) {
		return c.sessionCall(e)
	}
	args := make([]exec.Expr, len(e.Args))
	for i, a := range e.Args {
		args[i] = c.expr(a)
	}
	x, err := exec.Call(e.Func, e.T, args...)
	c.fail(err)
	return x
}

func (c *converter) aggCol(i int, t arrow.DataType) exec.Expr {
	if !c.aggregated {
		c.fail(fmt.Errorf("planner: aggregate scope reference outside aggregation"))
	}
	return exec.Col(i, t)
}

func (c *converter) windowCols() int {
	if c.windowed {
		return 2
	}
	return 0
}

func (c *converter) fail(err error) {
	if err != nil && c.err == nil {
		c.err = err
	}
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// collectParams fills the types of parameters the binder typed.
func collectParams(q *sql.Query, out []arrow.DataType) {
	var walk func(e sql.Expr)
	walk = func(e sql.Expr) {
		switch e := e.(type) {
		case *sql.Param:
			if e.Index < len(out) && out[e.Index] == nil {
				out[e.Index] = e.T
			}
		case *sql.Call:
			for _, a := range e.Args {
				walk(a)
			}
		case *sql.Cast:
			walk(e.Expr)
		case *sql.Case:
			for _, w := range e.Whens {
				walk(w.Cond)
				walk(w.Then)
			}
			if e.Else != nil {
				walk(e.Else)
			}
		}
	}
	walkQuery(q, walk)
}

// walkQuery calls fn on every top-level expression of q.
func walkQuery(q *sql.Query, fn func(sql.Expr)) {
	if q.Where != nil {
		fn(q.Where)
	}
	for _, g := range q.GroupBy {
		fn(g)
	}
	for _, a := range q.Aggregates {
		if a.Arg != nil {
			fn(a.Arg)
		}
	}
	for _, o := range q.Output {
		fn(o.Expr)
	}
	if q.Having != nil {
		fn(q.Having)
	}
	for _, o := range q.OrderBy {
		fn(o.Expr)
	}
}
