package exec

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// sortOp reorders the rows of each batch by its keys (stable).
type sortOp struct {
	mem  memory.Allocator
	keys []SortKey
}

var _ Operator = (*sortOp)(nil)

func newSort(mem memory.Allocator, spec *SortSpec) (*sortOp, error) {
	for _, k := range spec.Keys {
		if _, err := rowComparer(k.Expr.DataType(), nil); err != nil {
			return nil, fmt.Errorf("sort: %w", err)
		}
	}
	return &sortOp{mem: mem, keys: spec.Keys}, nil
}

func (s *sortOp) Push(ctx context.Context, in arrow.RecordBatch, emit EmitFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := int(in.NumRows())
	cmps := make([]func(i, j int32) int, len(s.keys))
	for k, key := range s.keys {
		col, err := key.Expr.Eval(ctx, s.mem, in)
		if err != nil {
			return fmt.Errorf("sort: %w", err)
		}
		defer col.Release()
		c, err := rowComparer(col.DataType(), col)
		if err != nil {
			return fmt.Errorf("sort: %w", err)
		}
		cmps[k] = withNullsAndDirection(c, col, key)
	}
	perm := make([]int32, n)
	for i := range perm {
		perm[i] = int32(i)
	}
	slices.SortStableFunc(perm, func(a, b int32) int {
		for _, c := range cmps {
			if r := c(a, b); r != 0 {
				return r
			}
		}
		return 0
	})
	out, err := takeBatch(s.mem, in, perm)
	if err != nil {
		return fmt.Errorf("sort: %w", err)
	}
	defer out.Release()
	return emit(ctx, out)
}

// withNullsAndDirection places NULLs per key.NullsFirst and flips the
// value order for DESC.
func withNullsAndDirection(c func(i, j int32) int, col arrow.Array, key SortKey) func(i, j int32) int {
	return func(i, j int32) int {
		ni, nj := col.IsNull(int(i)), col.IsNull(int(j))
		switch {
		case ni && nj:
			return 0
		case ni != nj:
			if ni == key.NullsFirst {
				return -1
			}
			return 1
		}
		r := c(i, j)
		if key.Desc {
			return -r
		}
		return r
	}
}

// rowComparer returns a three-way comparison of two non-NULL rows of col;
// with a nil col it only checks that the type is supported.
func rowComparer(t arrow.DataType, col arrow.Array) (func(i, j int32) int, error) {
	switch t.ID() {
	case arrow.INT16:
		return fixedComparer[int16](col), nil
	case arrow.INT32, arrow.DATE32:
		return fixedComparer[int32](col), nil
	case arrow.INT64, arrow.TIMESTAMP:
		return fixedComparer[int64](col), nil
	case arrow.FLOAT32:
		return fixedComparer[float32](col), nil
	case arrow.FLOAT64:
		return fixedComparer[float64](col), nil
	case arrow.BOOL, arrow.DECIMAL128, arrow.STRING, arrow.BINARY:
		if col == nil {
			return nil, nil
		}
		o := operand{arr: col}
		switch t.ID() {
		case arrow.BOOL:
			return func(i, j int32) int { return boolAt(o, int(i)) - boolAt(o, int(j)) }, nil
		case arrow.DECIMAL128:
			v := arrow.GetValues[decimal128.Num](col.Data(), 1)
			return func(i, j int32) int { return v[i].Cmp(v[j]) }, nil
		}
		get := bytesGetter(o)
		return func(i, j int32) int { return bytes.Compare(get(int(i)), get(int(j))) }, nil
	}
	return nil, fmt.Errorf("ordering by %s not supported", t)
}

func fixedComparer[T orderedElem](col arrow.Array) func(i, j int32) int {
	if col == nil {
		return nil
	}
	v := arrow.GetValues[T](col.Data(), 1)
	return func(i, j int32) int { return cmp.Compare(v[i], v[j]) }
}

func (s *sortOp) Flush(context.Context, int64, EmitFunc) error { return nil }
func (s *sortOp) Stats() OpStats                               { return OpStats{} }
func (s *sortOp) Close()                                       {}
