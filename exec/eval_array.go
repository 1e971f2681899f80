package exec

import (
	"context"
	"fmt"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fixedElem is the storage type of a fixed-width column that kernels loop
// over; timestamps are read as int64 and dates as int32.
type fixedElem interface {
	~int16 | ~int32 | ~int64 | ~float32 | ~float64 | ~uint8 | ~uint64 | decimal128.Num
}

// operand is one evaluated argument. A literal stays a Go value so kernels
// can loop over it with stride 0 instead of materialising a column.
type operand struct {
	arr   arrow.Array
	lit   any // canonical literal value (see Lit); nil is SQL NULL
	isLit bool
}

func evalOperand(ctx context.Context, mem memory.Allocator, e Expr, b arrow.RecordBatch) (operand, error) {
	if l, ok := e.(*litExpr); ok {
		if l.err != nil {
			return operand{}, l.err
		}
		return operand{lit: l.v, isLit: true}, nil
	}
	a, err := e.Eval(ctx, mem, b)
	if err != nil {
		return operand{}, err
	}
	return operand{arr: a}, nil
}

// evalOperands evaluates args; on error nothing stays allocated.
func evalOperands(ctx context.Context, mem memory.Allocator, args []Expr, b arrow.RecordBatch) ([]operand, error) {
	ops := make([]operand, 0, len(args))
	for _, e := range args {
		o, err := evalOperand(ctx, mem, e, b)
		if err != nil {
			releaseOperands(ops)
			return nil, err
		}
		ops = append(ops, o)
	}
	return ops, nil
}

func releaseOperands(ops []operand) {
	for _, o := range ops {
		o.release()
	}
}

func (o operand) release() {
	if o.arr != nil {
		o.arr.Release()
	}
}

func (o operand) nullLit() bool { return o.isLit && o.lit == nil }

func (o operand) valid(i int) bool {
	if o.isLit {
		return o.lit != nil
	}
	return o.arr.IsValid(i)
}

// fixedVals returns the raw values of o and the stride to index them with
// (0 for a literal, so vals[i*stride] works for both).
func fixedVals[T fixedElem](o operand) ([]T, int) {
	if o.isLit {
		return []T{litAs[T](o.lit)}, 0
	}
	return arrow.GetValues[T](o.arr.Data(), 1), 1
}

// litAs converts a canonical literal to a kernel's element type.
func litAs[T fixedElem](v any) T {
	var zero T
	switch x := v.(type) {
	case int64:
		return convertInt[T](x)
	case float64:
		return convertFloat[T](x)
	case bool:
		if x {
			return convertInt[T](1)
		}
		return zero
	case decimal128.Num:
		if p, ok := any(&zero).(*decimal128.Num); ok {
			*p = x
		}
	}
	return zero
}

func convertInt[T fixedElem](x int64) T {
	var out T
	switch p := any(&out).(type) {
	case *decimal128.Num:
		*p = decimal128.FromI64(x)
	case *int16:
		*p = int16(x)
	case *int32:
		*p = int32(x)
	case *int64:
		*p = x
	case *float32:
		*p = float32(x)
	case *float64:
		*p = float64(x)
	case *uint8:
		*p = uint8(x)
	case *uint64:
		*p = uint64(x)
	}
	return out
}

func convertFloat[T fixedElem](x float64) T {
	var out T
	switch p := any(&out).(type) {
	case *float32:
		*p = float32(x)
	case *float64:
		*p = x
	default:
		return convertInt[T](int64(x))
	}
	return out
}

// combineValidity returns the validity bitmap of a row-wise function of ops
// (valid where every operand is valid) and its null count; the bitmap is nil
// when no row is null. Literal NULL operands must be handled by the caller.
func combineValidity(mem memory.Allocator, n int, ops ...operand) (*memory.Buffer, int) {
	var buf *memory.Buffer
	for _, o := range ops {
		if o.isLit || o.arr.NullN() == 0 {
			continue
		}
		d := o.arr.Data()
		src := d.Buffers()[0].Bytes()
		if buf == nil {
			buf = memory.NewResizableBuffer(mem)
			buf.Resize(int(bitutil.BytesForBits(int64(n))))
			bitutil.CopyBitmap(src, d.Offset(), n, buf.Bytes(), 0)
			continue
		}
		bitutil.BitmapAnd(buf.Bytes(), src, 0, int64(d.Offset()), buf.Bytes(), 0, int64(n))
	}
	if buf == nil {
		return nil, 0
	}
	return buf, n - bitutil.CountSetBits(buf.Bytes(), 0, n)
}

// newFixedBuf allocates an n-element output buffer of T.
func newFixedBuf[T fixedElem](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var zero T
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(n * int(unsafe.Sizeof(zero)))
	if n == 0 {
		return buf, nil
	}
	return buf, arrow.GetData[T](buf.Bytes())[:n]
}

// newBitmap allocates a zeroed bitmap of n bits.
func newBitmap(mem memory.Allocator, n int) (*memory.Buffer, []byte) {
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(int(bitutil.BytesForBits(int64(n))))
	b := buf.Bytes()
	clear(b)
	return buf, b
}

// makeArray wraps buffers (validity first, nil allowed) into an array and
// drops this function's references to them.
func makeArray(t arrow.DataType, n, nulls int, bufs ...*memory.Buffer) arrow.Array {
	data := array.NewData(t, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer data.Release()
	return array.MakeFromData(data)
}

// finishBinary turns a BinaryBuilder's contents into an array of the
// builder's type (NewArray returns *array.Binary even for STRING).
func finishBinary(bb *array.BinaryBuilder) arrow.Array {
	a := bb.NewArray()
	defer a.Release()
	return array.MakeFromData(a.Data())
}

// validAt reports whether bit i of a validity bitmap is set (nil: all valid).
func validAt(bm []byte, i int) bool { return bm == nil || bitutil.BitIsSet(bm, i) }

// isRowValid reads a result validity buffer (nil: all valid).
func isRowValid(buf *memory.Buffer, i int) bool {
	return buf == nil || bitutil.BitIsSet(buf.Bytes(), i)
}

// binaryParts exposes the offsets and data of a String or Binary array so
// kernels can slice values without copying.
func binaryParts(a arrow.Array) (offs []int32, data []byte, err error) {
	switch x := a.(type) {
	case *array.String:
		offs = x.ValueOffsets()
	case *array.Binary:
		offs = x.ValueOffsets()
	default:
		return nil, nil, fmt.Errorf("expected string or binary column, got %s", a.DataType())
	}
	if bufs := a.Data().Buffers(); len(bufs) > 2 && bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	return offs, data, nil
}

// isIntType reports the signed integer types kernels support.
func isIntType(t arrow.DataType) bool {
	switch t.ID() {
	case arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

func isFloatType(t arrow.DataType) bool {
	return t.ID() == arrow.FLOAT32 || t.ID() == arrow.FLOAT64
}

func isNumericType(t arrow.DataType) bool {
	return isIntType(t) || isFloatType(t) || t.ID() == arrow.DECIMAL128
}

// mapKernel applies f to the int64 storage of the last operand (a
// timestamp), producing type t; earlier operands are unit literals.
func mapKernel[D fixedElem](t arrow.DataType, f func(int64) (D, error)) kernelFunc {
	return func(_ context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		o := ops[len(ops)-1]
		if o.nullLit() {
			return array.MakeArrayOfNull(mem, t, n), nil
		}
		if o.isLit {
			v, err := f(o.lit.(int64))
			if err != nil {
				return nil, err
			}
			return constFixed[D](mem, v, t, n), nil
		}
		return mapFixed(mem, o.arr, t, f)
	}
}
