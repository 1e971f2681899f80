package planner

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
)

var explainSchema = arrow.NewSchema(textFields("QUERY PLAN"), nil)

func (p *Planner) executeExplain(prep *Prepared, params []any) (*Result, error) {
	spec, err := p.buildSpec(prep.query, params)
	if err != nil {
		return nil, err
	}
	var rows [][]any
	for _, line := range strings.Split(strings.TrimRight(Explain(spec), "\n"), "\n") {
		rows = append(rows, []any{line})
	}
	return p.finite("EXPLAIN", explainSchema, rows)
}

// Explain renders a physical plan as an indented tree, source first, one
// operator per line.
func Explain(spec *exec.QuerySpec) string {
	var b strings.Builder
	src := spec.Source
	cols := make([]string, len(src.Columns))
	for i, c := range src.Columns {
		cols[i] = c.Name
	}
	fmt.Fprintf(&b, "Source %s decode=[%s]", src.Stream, strings.Join(cols, ", "))
	if src.EventTimeCol >= 0 {
		fmt.Fprintf(&b, " event_time=%s watermark_delay=%s", cols[src.EventTimeCol], src.WatermarkDelay)
	}
	b.WriteByte('\n')
	for i, op := range spec.Ops {
		b.WriteString(strings.Repeat("  ", i+1))
		b.WriteString("-> ")
		b.WriteString(explainOp(op))
		b.WriteByte('\n')
	}
	if spec.Limit > 0 {
		fmt.Fprintf(&b, "%s-> Limit %d\n", strings.Repeat("  ", len(spec.Ops)+1), spec.Limit)
	}
	return b.String()
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
