package exec

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// colExpr reads column index of the input batch.
type colExpr struct {
	idx int
	t   arrow.DataType
}

// Col returns an expression reading column index of the batch, of type t.
func Col(index int, t arrow.DataType) Expr { return &colExpr{idx: index, t: t} }

func (c *colExpr) DataType() arrow.DataType { return c.t }
func (c *colExpr) String() string           { return "#" + strconv.Itoa(c.idx) }

func (c *colExpr) Eval(_ context.Context, _ memory.Allocator, b arrow.RecordBatch) (arrow.Array, error) {
	if c.idx < 0 || c.idx >= int(b.NumCols()) {
		return nil, fmt.Errorf("column $%d: batch has %d columns", c.idx, b.NumCols())
	}
	col := b.Column(c.idx)
	if !arrow.TypeEqual(col.DataType(), c.t) {
		return nil, fmt.Errorf("column $%d: expected %s, batch has %s", c.idx, c.t, col.DataType())
	}
	col.Retain()
	return col, nil
}

// litExpr is a constant. v holds the canonical Go value for t: int64 for
// integers, timestamps (µs) and dates (days), float64 for floats,
// decimal128.Num, bool, string or []byte; nil is NULL.
type litExpr struct {
	v   any
	t   arrow.DataType
	err error // a literal that does not convert fails the first Eval
}

// Lit returns a constant of type t. v is nil, bool, int64, float64, string,
// []byte, decimal128.Num or time.Time; int64 is µs for timestamps and days
// for dates, and a string is parsed as the text form of t.
func Lit(v any, t arrow.DataType) Expr {
	cv, err := canonicalLit(v, t)
	if err != nil {
		err = fmt.Errorf("literal %v as %s: %w", v, t, err)
	}
	return &litExpr{v: cv, t: t, err: err}
}

func canonicalLit(v any, t arrow.DataType) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case int:
		v = int64(x)
	case int32:
		v = int64(x)
	case time.Time:
		v = x.UnixMicro()
		if t.ID() == arrow.DATE32 {
			v = floorDiv(x.UnixMicro(), microsPerDay)
		}
	}
	if s, ok := v.(string); ok && t.ID() != arrow.STRING {
		return parseText(s, t)
	}
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64, arrow.TIMESTAMP, arrow.DATE32:
		if f, ok := v.(float64); ok && f == float64(int64(f)) {
			v = int64(f)
		}
		if _, ok := v.(int64); ok {
			return v, nil
		}
	case arrow.FLOAT32, arrow.FLOAT64:
		if i, ok := v.(int64); ok {
			return float64(i), nil
		}
		if _, ok := v.(float64); ok {
			return v, nil
		}
	case arrow.DECIMAL128:
		return decimalLit(v, t.(*arrow.Decimal128Type))
	case arrow.BOOL:
		if _, ok := v.(bool); ok {
			return v, nil
		}
	case arrow.STRING:
		if _, ok := v.(string); ok {
			return v, nil
		}
	case arrow.BINARY:
		if _, ok := v.([]byte); ok {
			return v, nil
		}
	}
	return nil, fmt.Errorf("%w: cannot use %T", ErrInvalidValue, v)
}

func decimalLit(v any, dt *arrow.Decimal128Type) (any, error) {
	switch x := v.(type) {
	case decimal128.Num:
		return x, nil
	case int64:
		return decimalFromInt(x, dt)
	case float64:
		return decimalFromFloat(x, dt)
	}
	return nil, fmt.Errorf("%w: cannot use %T", ErrInvalidValue, v)
}

func (l *litExpr) DataType() arrow.DataType { return l.t }

func (l *litExpr) String() string {
	switch x := l.v.(type) {
	case nil:
		return "NULL"
	case string:
		return strconv.Quote(x)
	}
	s, err := formatScalar(l.v, l.t)
	if err != nil {
		return fmt.Sprint(l.v)
	}
	return s
}

// Eval materialises the constant as a column of b.NumRows() rows. Kernels
// avoid this path: they read literals through operand.
func (l *litExpr) Eval(_ context.Context, mem memory.Allocator, b arrow.RecordBatch) (arrow.Array, error) {
	if l.err != nil {
		return nil, l.err
	}
	return constArray(mem, l.v, l.t, int(b.NumRows()))
}

// constArray builds n copies of canonical value v of type t.
func constArray(mem memory.Allocator, v any, t arrow.DataType, n int) (arrow.Array, error) {
	if v == nil {
		return array.MakeArrayOfNull(mem, t, n), nil
	}
	switch t.ID() {
	case arrow.INT16:
		return constFixed[int16](mem, v, t, n), nil
	case arrow.INT32, arrow.DATE32:
		return constFixed[int32](mem, v, t, n), nil
	case arrow.INT64, arrow.TIMESTAMP:
		return constFixed[int64](mem, v, t, n), nil
	case arrow.FLOAT32:
		return constFixed[float32](mem, v, t, n), nil
	case arrow.FLOAT64:
		return constFixed[float64](mem, v, t, n), nil
	case arrow.DECIMAL128:
		return constFixed[decimal128.Num](mem, v, t, n), nil
	case arrow.BOOL:
		buf, bits := newBitmap(mem, n)
		if v.(bool) {
			for i := range bits {
				bits[i] = 0xff
			}
		}
		return makeArray(t, n, 0, nil, buf), nil
	case arrow.STRING, arrow.BINARY:
		bb := array.NewBinaryBuilder(mem, t.(arrow.BinaryDataType))
		defer bb.Release()
		var val []byte
		if s, ok := v.(string); ok {
			val = []byte(s)
		} else {
			val = v.([]byte)
		}
		bb.ReserveData(len(val) * n)
		for range n {
			bb.Append(val)
		}
		return finishBinary(bb), nil
	}
	return nil, fmt.Errorf("constant of type %s not supported", t)
}

func constFixed[T fixedElem](mem memory.Allocator, v any, t arrow.DataType, n int) arrow.Array {
	buf, vals := newFixedBuf[T](mem, n)
	x := litAs[T](v)
	for i := range vals {
		vals[i] = x
	}
	return makeArray(t, n, 0, nil, buf)
}
