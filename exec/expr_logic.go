package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func newLogic(fn string, args []Expr) (Expr, error) {
	n := 1
	if fn == "and" || fn == "or" {
		n = 2
	}
	if err := wantArgs(args, n); err != nil {
		return nil, err
	}
	boolArgs := fn != "is_null" && fn != "is_not_null"
	for _, a := range args {
		if boolArgs && a.DataType().ID() != arrow.BOOL {
			return nil, fmt.Errorf("argument of type %s, want boolean", a.DataType())
		}
	}
	return &callExpr{fn: fn, t: boolType, args: args, kernel: logicKernel(fn)}, nil
}

// truthAt reads row i of a boolean operand in three-valued logic.
func truthAt(o operand, i int) (val, ok bool) {
	if !o.valid(i) {
		return false, false
	}
	return boolAt(o, i) == 1, true
}

// logicKernel implements SQL three-valued logic row by row: false AND NULL
// is false, true OR NULL is true, NOT NULL is NULL; the IS forms never
// return NULL.
func logicKernel(fn string) kernelFunc {
	var rule func(a, b operand, i int) (val, ok bool)
	switch fn {
	case "and":
		rule = func(a, b operand, i int) (bool, bool) {
			x, xok := truthAt(a, i)
			y, yok := truthAt(b, i)
			if (xok && !x) || (yok && !y) {
				return false, true
			}
			return true, xok && yok
		}
	case "or":
		rule = func(a, b operand, i int) (bool, bool) {
			x, xok := truthAt(a, i)
			y, yok := truthAt(b, i)
			if (xok && x) || (yok && y) {
				return true, true
			}
			return false, xok && yok
		}
	case "not":
		rule = func(a, _ operand, i int) (bool, bool) { x, ok := truthAt(a, i); return !x, ok }
	case "is_null":
		rule = func(a, _ operand, i int) (bool, bool) { return !a.valid(i), true }
	case "is_not_null":
		rule = func(a, _ operand, i int) (bool, bool) { return a.valid(i), true }
	case "is_true":
		rule = func(a, _ operand, i int) (bool, bool) { x, ok := truthAt(a, i); return x && ok, true }
	default: // is_false
		rule = func(a, _ operand, i int) (bool, bool) { x, ok := truthAt(a, i); return !x && ok, true }
	}
	return func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		a, b := ops[0], ops[0]
		if len(ops) > 1 {
			b = ops[1]
		}
		return boolRows(mem, n, func(i int) (bool, bool) { return rule(a, b, i) }), nil
	}
}

// boolRows builds a boolean column from a row function returning (value, valid).
func boolRows(mem memory.Allocator, n int, f func(i int) (bool, bool)) arrow.Array {
	vbuf, vbits := newBitmap(mem, n)
	bbuf, bits := newBitmap(mem, n)
	nulls := 0
	for i := range n {
		v, ok := f(i)
		if !ok {
			nulls++
			continue
		}
		vbits[i>>3] |= 1 << (i & 7)
		if v {
			bits[i>>3] |= 1 << (i & 7)
		}
	}
	if nulls == 0 {
		vbuf.Release()
		vbuf = nil
	}
	return makeArray(boolType, n, nulls, vbuf, bbuf)
}

// newIn lowers x IN (v1, …) to x = v1 OR x = v2 …, which gives SQL's
// semantics: NULL when nothing matches and x or some vi is NULL.
func newIn(fn string, args []Expr) (Expr, error) {
	if len(args) < 2 {
		return nil, fmt.Errorf("expected a value and at least one candidate")
	}
	var acc Expr
	for _, v := range args[1:] {
		eq, err := newCompare("eq", []Expr{args[0], v})
		if err != nil {
			return nil, err
		}
		if acc == nil {
			acc = eq
			continue
		}
		acc = &callExpr{fn: "or", t: boolType, args: []Expr{acc, eq}, kernel: logicKernel("or")}
	}
	if fn == "not_in" {
		acc = &callExpr{fn: "not", t: boolType, args: []Expr{acc}, kernel: logicKernel("not")}
	}
	return &namedExpr{Expr: acc, name: fn, args: args}, nil
}

// namedExpr renders a lowered expression under its SQL name for EXPLAIN.
type namedExpr struct {
	Expr
	name string
	args []Expr
}

func (n *namedExpr) String() string {
	return (&callExpr{fn: n.name, args: n.args}).String()
}
