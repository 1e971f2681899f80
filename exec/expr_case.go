package exec

import (
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// caseExpr is CASE WHEN c1 THEN v1 … ELSE els END. Evaluation is lazy like
// PostgreSQL's: each condition sees only the rows no earlier condition
// took, and each value only the rows that chose it, so
// CASE WHEN x = 0 THEN 0 ELSE 10 / x END never divides by zero.
type caseExpr struct {
	conds, vals []Expr
	els         Expr // nil: NULL
	t           arrow.DataType
}

// CaseWhen returns the searched CASE expression of type t; els may be nil.
func CaseWhen(conds, vals []Expr, els Expr, t arrow.DataType) Expr {
	return &caseExpr{conds: conds, vals: vals, els: els, t: t}
}

func (c *caseExpr) DataType() arrow.DataType { return c.t }

func (c *caseExpr) String() string {
	var sb strings.Builder
	sb.WriteString("CASE")
	for i := range c.conds {
		fmt.Fprintf(&sb, " WHEN %s THEN %s", c.conds[i], c.vals[i])
	}
	if c.els != nil {
		fmt.Fprintf(&sb, " ELSE %s", c.els)
	}
	sb.WriteString(" END")
	return sb.String()
}

func (c *caseExpr) Eval(ctx context.Context, mem memory.Allocator, b arrow.RecordBatch) (arrow.Array, error) {
	if len(c.conds) != len(c.vals) {
		return nil, fmt.Errorf("case: %d conditions but %d values", len(c.conds), len(c.vals))
	}
	n := int(b.NumRows())
	pick, err := c.choose(ctx, mem, b)
	if err != nil {
		return nil, err
	}
	branches := append(append([]Expr(nil), c.vals...), c.els)
	srcs := make([]arrow.Array, len(branches))
	defer func() {
		for _, s := range srcs {
			if s != nil {
				s.Release()
			}
		}
	}()
	which := make([]int32, n)
	idx := make([]int32, n)
	for j, e := range branches {
		rows := rowsWhere(pick, int32(j))
		for k, r := range rows {
			which[r], idx[r] = int32(j), int32(k)
		}
		if e == nil || len(rows) == 0 {
			for _, r := range rows {
				which[r] = -1
			}
			continue
		}
		if srcs[j], err = evalOnRows(ctx, mem, e, b, rows); err != nil {
			return nil, err
		}
		if !arrow.TypeEqual(srcs[j].DataType(), c.t) {
			return nil, fmt.Errorf("case: branch of type %s, want %s", srcs[j].DataType(), c.t)
		}
	}
	return gather(mem, c.t, srcs, which, idx)
}

// choose returns for every row the index of the first true condition
// (len(conds) when none is true).
func (c *caseExpr) choose(ctx context.Context, mem memory.Allocator, b arrow.RecordBatch) ([]int32, error) {
	n := int(b.NumRows())
	pick := make([]int32, n)
	for i := range pick {
		pick[i] = int32(len(c.conds))
	}
	for j, cond := range c.conds {
		rows := rowsWhere(pick, int32(len(c.conds)))
		if len(rows) == 0 {
			break
		}
		res, err := evalOnRows(ctx, mem, cond, b, rows)
		if err != nil {
			return nil, err
		}
		d := res.Data()
		vals := d.Buffers()[1].Bytes()
		for k, r := range rows {
			if res.IsValid(k) && bitutil.BitIsSet(vals, d.Offset()+k) {
				pick[r] = int32(j)
			}
		}
		res.Release()
	}
	return pick, nil
}

func rowsWhere(pick []int32, v int32) []int32 {
	var rows []int32
	for i, p := range pick {
		if p == v {
			rows = append(rows, int32(i))
		}
	}
	return rows
}

// evalOnRows evaluates e over the rows of b listed in rows (all of b
// without copying when rows covers it).
func evalOnRows(ctx context.Context, mem memory.Allocator, e Expr, b arrow.RecordBatch, rows []int32) (arrow.Array, error) {
	if len(rows) == int(b.NumRows()) {
		return e.Eval(ctx, mem, b)
	}
	sub, err := takeBatch(mem, b, rows)
	if err != nil {
		return nil, err
	}
	defer sub.Release()
	return e.Eval(ctx, mem, sub)
}

// newCoalesce lowers coalesce(a, b, …) to CASE WHEN a IS NOT NULL THEN a …
// ELSE last END, which evaluates later arguments only where needed.
func newCoalesce(t arrow.DataType, args []Expr) (Expr, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("expected at least one argument")
	}
	if t == nil {
		t = args[0].DataType()
	}
	args = append([]Expr(nil), args...)
	var conds, vals []Expr
	for i, a := range args {
		if !arrow.TypeEqual(a.DataType(), t) {
			c, err := Cast(a, t)
			if err != nil {
				return nil, err
			}
			args[i], a = c, c
		}
		if i == len(args)-1 {
			break
		}
		conds = append(conds, &callExpr{fn: "is_not_null", t: boolType, args: []Expr{a}, kernel: logicKernel("is_not_null")})
		vals = append(vals, a)
	}
	return &namedExpr{Expr: CaseWhen(conds, vals, args[len(args)-1], t), name: "coalesce", args: args}, nil
}
