package sql

import (
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/pingcap/tidb/pkg/parser/ast"
	"github.com/pingcap/tidb/pkg/parser/test_driver"
)

// bindGroupBy binds GROUP BY: at most one window function, plus keys that are
// expressions, select-list ordinals (GROUP BY 1) or select aliases.
func (b *binder) bindGroupBy(st *ast.SelectStmt, items []selItem) error {
	if st.GroupBy == nil {
		return nil
	}
	b.clause = "GROUP BY"
	for _, it := range st.GroupBy.Items {
		n, err := b.groupNode(it.Expr, items)
		if err != nil {
			return err
		}
		if fc, ok := n.(*ast.FuncCallExpr); ok && windowKinds[fc.FnName.L] != WindowNone {
			if b.q.Window != nil {
				return b.notSupportedAt(fc, "more than one window function in GROUP BY")
			}
			if err := b.bindWindow(fc); err != nil {
				return err
			}
			continue
		}
		if containsAggregate(n) {
			return b.errAt(n, CodeGroupingError, "aggregate functions are not allowed in GROUP BY")
		}
		e, err := b.bindExpr(n, scopeInput)
		if err != nil {
			return err
		}
		b.q.GroupBy = append(b.q.GroupBy, e)
		b.groupKey = append(b.groupKey, exprKey(e))
	}
	return nil
}

// groupNode resolves GROUP BY ordinals and output aliases to the select
// item's expression. As in PostgreSQL an input column wins over an alias.
func (b *binder) groupNode(n ast.ExprNode, items []selItem) (ast.ExprNode, error) {
	if i, ok := ordinal(n); ok {
		if i < 1 || i > len(items) {
			return nil, b.errAt(n, CodeInvalidColumnReference, "GROUP BY position %d is not in select list", i)
		}
		return items[i-1].node, nil
	}
	if cn, ok := n.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" {
		if _, isCol := b.lookupColumn(cn.Name.Name.O); !isCol {
			for _, it := range items {
				if it.alias == cn.Name.Name.O {
					return it.node, nil
				}
			}
		}
	}
	return n, nil
}

// CodeInvalidColumnReference is the SQLSTATE of a bad ORDER/GROUP BY position.
const CodeInvalidColumnReference = "42P10"

// ordinal reports whether n is an integer constant (a select-list position).
func ordinal(n ast.ExprNode) (int, bool) {
	if pe, ok := n.(*ast.PositionExpr); ok {
		if pe.P != nil {
			return -1, true
		}
		return pe.N, true
	}
	v, ok := n.(*test_driver.ValueExpr)
	if !ok {
		return 0, false
	}
	switch v.Kind() {
	case test_driver.KindInt64:
		return int(v.GetInt64()), true
	case test_driver.KindUint64:
		return -1, true
	}
	return 0, false
}

var windowKinds = map[string]WindowKind{fnTumble: WindowTumble, fnHop: WindowHop, fnSession: WindowSession}

var windowArity = map[WindowKind]int{WindowTumble: 2, WindowHop: 3, WindowSession: 2}

// bindWindow binds TUMBLE(ts, size), HOP(ts, slide, size), SESSION(ts, gap).
func (b *binder) bindWindow(fc *ast.FuncCallExpr) error {
	kind := windowKinds[fc.FnName.L]
	name := upper(fc.FnName.L[len("sluice_"):])
	if b.q.From != nil && !b.q.From.IsStream {
		// A view or system table is a finite set of rows: there is no
		// watermark to close its windows.
		return b.notSupportedAt(fc, name+" in GROUP BY of a query over "+b.q.From.Name+
			" (windows need a stream; group by window_start instead)")
	}
	if len(fc.Args) != windowArity[kind] {
		return b.errAt(fc, CodeUndefinedFunction, "%s takes %d arguments", name, windowArity[kind])
	}
	ts, err := b.bindExpr(fc.Args[0], scopeInput)
	if err != nil {
		return err
	}
	col, ok := ts.(*ColumnRef)
	if !ok {
		return b.notSupportedAt(fc.Args[0], "a window time argument that is not a column")
	}
	if col.T.ID() != arrow.TIMESTAMP {
		return b.errAt(fc.Args[0], CodeDatatypeMismatch,
			"%s time column %q must be a timestamp, not %s", name, col.Name, PGTypeName(col.T))
	}
	var ds []time.Duration
	for _, a := range fc.Args[1:] {
		d, err := b.windowDuration(a, name)
		if err != nil {
			return err
		}
		ds = append(ds, d)
	}
	w := &WindowSpec{Kind: kind, TimeCol: col.Index}
	switch kind {
	case WindowTumble:
		w.Size = ds[0]
	case WindowHop:
		w.Slide, w.Size = ds[0], ds[1]
		if w.Slide > w.Size { // windows with gaps between them: events in no window
			return b.errAt(fc, CodeInvalidParameter, "HOP slide %s must not exceed its size %s", w.Slide, w.Size)
		}
	case WindowSession:
		w.Gap = ds[0]
	}
	b.q.Window = w
	return nil
}

// windowDuration reads a window size argument: a positive INTERVAL constant.
func (b *binder) windowDuration(a ast.ExprNode, name string) (time.Duration, error) {
	e, err := b.bindExpr(a, scopeInput)
	if err != nil {
		return 0, err
	}
	lit, ok := e.(*Literal)
	if !ok || lit.T.ID() != arrow.DURATION {
		return 0, b.errAt(a, CodeDatatypeMismatch, "%s size must be an INTERVAL constant, not %s", name, PGTypeName(e.Type()))
	}
	if _, ok := lit.Value.(Interval); ok {
		return 0, b.notSupportedAt(a, name+" size in months or years (a window needs a fixed length)")
	}
	us, _ := lit.Value.(int64)
	if lit.Value == nil || us <= 0 {
		return 0, b.errAt(a, CodeInvalidParameter, "%s size must be greater than zero", name)
	}
	return time.Duration(us) * time.Microsecond, nil
}

// bindOrderBy binds ORDER BY items: ordinals and output names refer to the
// select list, anything else is an expression in the query's scope.
func (b *binder) bindOrderBy(st *ast.SelectStmt, items []selItem, sc scope) error {
	if st.OrderBy == nil {
		return nil
	}
	b.clause = "ORDER BY"
	for i, it := range st.OrderBy.Items {
		e, err := b.orderExpr(it.Expr, items, sc)
		if err != nil {
			return err
		}
		nf, ok := b.si.nullsFirst[i]
		if !ok {
			nf = it.Desc // PostgreSQL: NULLs sort as if larger than any value
		}
		b.q.OrderBy = append(b.q.OrderBy, OrderItem{Expr: e, Desc: it.Desc, NullsFirst: nf})
	}
	return nil
}

func (b *binder) orderExpr(n ast.ExprNode, items []selItem, sc scope) (Expr, error) {
	if i, ok := ordinal(n); ok {
		if i < 1 || i > len(b.q.Output) {
			return nil, b.errAt(n, CodeInvalidColumnReference, "ORDER BY position %d is not in select list", i)
		}
		return b.q.Output[i-1].Expr, nil
	}
	if cn, ok := n.(*ast.ColumnNameExpr); ok && cn.Name.Table.O == "" {
		for i, it := range items {
			if it.name == cn.Name.Name.O {
				return b.q.Output[i].Expr, nil
			}
		}
	}
	return b.bindExpr(n, sc)
}

// bindLimit accepts a non-negative integer constant or a parameter.
func (b *binder) bindLimit(st *ast.SelectStmt) error {
	if st.Limit == nil || st.Limit.Count == nil {
		return nil
	}
	n := st.Limit.Count
	if pm, ok := n.(*test_driver.ParamMarkerExpr); ok {
		p, err := b.bindParam(pm)
		if err != nil {
			return err
		}
		if err := b.setParamType(p, typeInt8); err != nil {
			return err
		}
		b.q.LimitParam = p
		return nil
	}
	v, ok := n.(*test_driver.ValueExpr)
	if !ok || (v.Kind() != test_driver.KindInt64 && v.Kind() != test_driver.KindUint64) {
		return b.errAt(n, CodeSyntax, "LIMIT must be an integer constant or a parameter")
	}
	if v.Kind() == test_driver.KindUint64 {
		if v.GetUint64() > math.MaxInt64 {
			return b.errAt(n, CodeNumericOutOfRange, "bigint out of range")
		}
		b.q.Limit = int64(v.GetUint64())
		return nil
	}
	if v.GetInt64() < 0 {
		return b.errAt(n, CodeInvalidRowCount, "LIMIT must not be negative")
	}
	b.q.Limit = v.GetInt64()
	return nil
}

// finishParams gives every still-untyped parameter TEXT and sets NumParams.
func (b *binder) finishParams() {
	max := len(b.declared)
	for i := range b.params {
		if i+1 > max {
			max = i + 1
		}
	}
	for i, ps := range b.params {
		t := b.paramT[i]
		if t == nil {
			t = typeText
		}
		for _, p := range ps {
			p.T = t
		}
	}
	b.q.NumParams = max
}
