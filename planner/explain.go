package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
)

var explainSchema = arrow.NewSchema(textFields("QUERY PLAN"), nil)

func (p *Planner) executeExplain(prep *Prepared, params []any) (*Result, error) {
	if prep.query.From == nil {
		return p.finite("EXPLAIN", explainSchema, [][]any{{"Result (one row, no source)"}})
	}
	var spec *exec.QuerySpec
	var err error
	// EXPLAIN shows session functions as a fresh session's values and
	// runs none of their effects (set_config, pg_cancel_backend).
	env := &stmtEnv{sess: defaultSession{}, now: p.eng.Now()}
	pull := !prep.query.From.IsStream
	if pull {
		spec = &exec.QuerySpec{Source: exec.SourceSpec{Stream: prep.query.From.Name, EventTimeCol: -1}}
		spec.Ops, err = p.buildOps(env, prep.query, params)
		for _, in := range prep.query.Input {
			spec.Source.Columns = append(spec.Source.Columns, arrow.Field{Name: in.Name, Type: in.Type})
		}
	} else {
		spec, err = p.buildSpec(env, prep.query, params)
	}
	if err != nil {
		return nil, err
	}
	if spec.Limit, err = limitOf(prep.query, params); err != nil {
		return nil, err
	}
	text := Explain(spec)
	if pull {
		src := strings.TrimPrefix(explainSource(spec.Source), "Source "+spec.Source.Stream+" decode=")
		text = explainTree(spec, "Scan "+spec.Source.Stream+" columns="+src)
	}
	var rows [][]any
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		rows = append(rows, []any{line})
	}
	return p.finite("EXPLAIN", explainSchema, rows)
}

// Explain renders a physical plan as a tree in PostgreSQL's order: the
// operator that produces the result first, the source last. Column
// references are #i, the i-th column of the operator's input (for the
// operators after WindowAgg: window_start, window_end, keys, aggregates).
func Explain(spec *exec.QuerySpec) string {
	return explainTree(spec, explainSource(spec.Source))
}

// explainTree renders spec's limit and operators over the leaf line source.
func explainTree(spec *exec.QuerySpec, source string) string {
	lines := make([]string, 0, len(spec.Ops)+2)
	if spec.Limit > 0 {
		lines = append(lines, fmt.Sprintf("Limit %d", spec.Limit))
	}
	for i := len(spec.Ops) - 1; i >= 0; i-- {
		lines = append(lines, explainOp(spec.Ops[i]))
	}
	lines = append(lines, source)
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString(strings.Repeat("  ", i-1) + "  -> ")
		}
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String()
}

func explainSource(src exec.SourceSpec) string {
	cols := make([]string, len(src.Columns))
	for i, c := range src.Columns {
		cols[i] = fmt.Sprintf("#%d %s", i, c.Name)
	}
	s := fmt.Sprintf("Source %s decode=[%s]", src.Stream, strings.Join(cols, ", "))
	if src.EventTimeCol >= 0 {
		s += fmt.Sprintf(" event_time=#%d watermark_delay=%s", src.EventTimeCol, src.WatermarkDelay)
	}
	return s
}

func explainOp(op exec.OpSpec) string {
	switch op := op.(type) {
	case *exec.FilterSpec:
		return "Filter " + op.Pred.String()
	case *exec.ProjectSpec:
		items := make([]string, len(op.Exprs))
		for i, e := range op.Exprs {
			items[i] = e.String() + " AS " + op.Names[i]
		}
		return "Project " + strings.Join(items, ", ")
	case *exec.SortSpec:
		items := make([]string, len(op.Keys))
		for i, k := range op.Keys {
			items[i] = k.Expr.String()
			if k.Desc {
				items[i] += " DESC"
			}
		}
		return "Sort " + strings.Join(items, ", ")
	case *exec.WindowAggSpec:
		return explainAgg(op)
	}
	return fmt.Sprintf("%T", op)
}

func explainAgg(op *exec.WindowAggSpec) string {
	var b strings.Builder
	w := op.Window
	switch w.Kind {
	case exec.Tumble:
		fmt.Fprintf(&b, "WindowAgg TUMBLE(#%d, %s)", w.TimeCol, w.Size)
	case exec.Hop:
		fmt.Fprintf(&b, "WindowAgg HOP(#%d, %s, %s)", w.TimeCol, w.Slide, w.Size)
	case exec.Session:
		fmt.Fprintf(&b, "WindowAgg SESSION(#%d, %s)", w.TimeCol, w.Gap)
	default:
		b.WriteString("RunningAgg")
	}
	keys := make([]string, len(op.Keys))
	for i, k := range op.Keys {
		keys[i] = k.String()
	}
	aggs := make([]string, len(op.Aggs))
	for i, a := range op.Aggs {
		arg := "*"
		if a.Arg != nil {
			arg = a.Arg.String()
		}
		if a.Distinct {
			arg = "DISTINCT " + arg
		}
		aggs[i] = a.Func + "(" + arg + ")"
	}
	emit := "on window close"
	if op.Emit == exec.EmitChanges {
		emit = "changes"
	}
	fmt.Fprintf(&b, " keys=[%s] aggs=[%s] emit=%s", strings.Join(keys, ", "), strings.Join(aggs, ", "), emit)
	return b.String()
}
