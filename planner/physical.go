package planner

import (
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// buildSpec turns a bound query into the physical micro-batch plan, with
// parameters and session functions (env) substituted as literals.
func (p *Planner) buildSpec(env *stmtEnv, q *sql.Query, params []any) (*exec.QuerySpec, error) {
	def, ok := p.eng.Stream(q.From.Name)
	if !ok {
		return nil, sql.Errorf(sql.CodeUndefinedTable, "relation %q does not exist", q.From.Name)
	}
	ops, err := p.buildOps(env, q, params)
	if err != nil {
		return nil, err
	}
	return &exec.QuerySpec{Source: sourceSpec(q, def), Ops: ops, Output: outputSchema(q)}, nil
}

// buildOps is the operator chain of a query over its Input columns:
// Filter(WHERE) → WindowAgg → Filter(HAVING) → Sort(ORDER BY) → Project.
func (p *Planner) buildOps(env *stmtEnv, q *sql.Query, params []any) ([]exec.OpSpec, error) {
	c := &converter{params: params, env: env}
	var ops []exec.OpSpec
	if q.Where != nil {
		ops = append(ops, &exec.FilterSpec{Pred: c.expr(q.Where)})
	}
	if q.Aggregating() {
		agg, err := p.aggSpec(q, c)
		if err != nil {
			return nil, err
		}
		ops = append(ops, agg)
		c.aggregated = true
		c.keys = len(q.GroupBy)
		c.windowed = q.Window != nil
		if q.Having != nil {
			ops = append(ops, &exec.FilterSpec{Pred: c.expr(q.Having)})
		}
	}
	if len(q.OrderBy) > 0 {
		keys := make([]exec.SortKey, len(q.OrderBy))
		for i, o := range q.OrderBy {
			keys[i] = exec.SortKey{Expr: c.expr(o.Expr), Desc: o.Desc, NullsFirst: o.NullsFirst}
		}
		ops = append(ops, &exec.SortSpec{Keys: keys})
	}
	proj := &exec.ProjectSpec{}
	for _, o := range q.Output {
		proj.Exprs = append(proj.Exprs, c.expr(o.Expr))
		proj.Names = append(proj.Names, o.Name)
	}
	ops = append(ops, proj)
	if c.err != nil {
		return nil, c.err
	}
	return ops, nil
}

// sourceSpec lists the columns to decode: the query's inputs, plus the
// stream's watermark column when the query does not read it (the watermark
// needs it). A stream without WATERMARK FOR takes its watermark from the
// window's time column with no delay, so windows still close.
func sourceSpec(q *sql.Query, def exec.StreamDef) exec.SourceSpec {
	src := exec.SourceSpec{Stream: def.Name, EventTimeCol: -1}
	for _, in := range q.Input {
		src.Columns = append(src.Columns, arrow.Field{Name: in.Name, Type: in.Type, Nullable: true})
	}
	switch {
	case def.WatermarkColumn != "":
		src.WatermarkDelay = def.WatermarkDelay
		src.EventTimeCol = -1
		for i, in := range q.Input {
			if in.Name == def.WatermarkColumn {
				src.EventTimeCol = i
			}
		}
		if src.EventTimeCol < 0 {
			f := def.Schema.Field(def.Schema.FieldIndices(def.WatermarkColumn)[0])
			src.Columns = append(src.Columns, arrow.Field{Name: f.Name, Type: f.Type, Nullable: true})
			src.EventTimeCol = len(src.Columns) - 1
		}
	case q.Window != nil:
		src.EventTimeCol = q.Window.TimeCol
	}
	return src
}

var windowKinds = map[sql.WindowKind]exec.WindowKind{
	sql.WindowNone: exec.NoWindow, sql.WindowTumble: exec.Tumble,
	sql.WindowHop: exec.Hop, sql.WindowSession: exec.Session,
}

func (p *Planner) aggSpec(q *sql.Query, c *converter) (*exec.WindowAggSpec, error) {
	emit, err := p.emitMode(q)
	if err != nil {
		return nil, err
	}
	spec := &exec.WindowAggSpec{Emit: emit}
	if w := q.Window; w != nil {
		spec.Window = exec.WindowSpec{Kind: windowKinds[w.Kind], TimeCol: w.TimeCol,
			Size: w.Size, Slide: w.Slide, Gap: w.Gap}
	}
	for _, k := range q.GroupBy {
		spec.Keys = append(spec.Keys, c.expr(k))
	}
	for _, a := range q.Aggregates {
		as := exec.AggSpec{Func: a.Func, Distinct: a.Distinct, Type: a.Type}
		if a.Star {
			as.Func = "count_star"
		} else {
			as.Arg = c.expr(a.Arg)
		}
		spec.Aggs = append(spec.Aggs, as)
	}
	return spec, c.err
}
