package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// gather builds a column of type t whose row i is srcs[which[i]][idx[i]],
// or NULL where which[i] < 0. It backs take (one source), CASE and the
// filter and sort operators.
func gather(mem memory.Allocator, t arrow.DataType, srcs []arrow.Array, which, idx []int32) (arrow.Array, error) {
	n := len(idx)
	vbuf, vbits := newBitmap(mem, n)
	nulls := 0
	if len(srcs) == 1 && srcs[0] != nil && srcs[0].NullN() == 0 {
		vbuf.Release() // plain take of a column without NULLs
		return gatherValues(mem, t, srcs, which, idx, nil, 0)
	}
	for i, w := range which {
		if w >= 0 && srcs[w].IsValid(int(idx[i])) {
			vbits[i>>3] |= 1 << (i & 7)
		} else {
			nulls++
		}
	}
	if nulls == 0 {
		vbuf.Release()
		vbuf = nil
	}
	return gatherValues(mem, t, srcs, which, idx, vbuf, nulls)
}

// gatherValues builds the values of a gather given its validity.
func gatherValues(mem memory.Allocator, t arrow.DataType, srcs []arrow.Array, which, idx []int32, vbuf *memory.Buffer, nulls int) (arrow.Array, error) {
	n := len(idx)
	var (
		vals *memory.Buffer
		err  error
	)
	switch t.ID() {
	case arrow.INT16:
		vals = gatherFixed[int16](mem, srcs, which, idx)
	case arrow.INT32, arrow.DATE32, arrow.FLOAT32:
		vals = gatherFixed[int32](mem, srcs, which, idx)
	case arrow.INT64, arrow.TIMESTAMP, arrow.FLOAT64:
		vals = gatherFixed[int64](mem, srcs, which, idx)
	case arrow.DECIMAL128:
		vals = gatherFixed[decimal128.Num](mem, srcs, which, idx)
	case arrow.BOOL:
		vals = gatherBools(mem, srcs, which, idx)
	case arrow.STRING, arrow.BINARY:
		return gatherBinary(mem, t, srcs, which, idx, vbuf, nulls)
	default:
		err = fmt.Errorf("take of %s not supported", t)
	}
	if err != nil {
		if vbuf != nil {
			vbuf.Release()
		}
		return nil, err
	}
	return makeArray(t, n, nulls, vbuf, vals), nil
}

func gatherFixed[T fixedElem](mem memory.Allocator, srcs []arrow.Array, which, idx []int32) *memory.Buffer {
	vs := make([][]T, len(srcs))
	for i, s := range srcs {
		if s != nil { // a branch no row chose
			vs[i] = arrow.GetValues[T](s.Data(), 1)
		}
	}
	buf, out := newFixedBuf[T](mem, len(idx))
	var zero T
	if len(vs) == 1 { // the common take path
		src := vs[0]
		for i, j := range idx {
			if which[i] >= 0 {
				out[i] = src[j]
			} else {
				out[i] = zero
			}
		}
		return buf
	}
	for i, w := range which {
		if w >= 0 {
			out[i] = vs[w][idx[i]]
		} else {
			out[i] = zero
		}
	}
	return buf
}

func gatherBools(mem memory.Allocator, srcs []arrow.Array, which, idx []int32) *memory.Buffer {
	buf, bits := newBitmap(mem, len(idx))
	for i, w := range which {
		if w < 0 {
			continue
		}
		d := srcs[w].Data()
		if bitutil.BitIsSet(d.Buffers()[1].Bytes(), d.Offset()+int(idx[i])) {
			bits[i>>3] |= 1 << (i & 7)
		}
	}
	return buf
}

func gatherBinary(mem memory.Allocator, t arrow.DataType, srcs []arrow.Array, which, idx []int32, vbuf *memory.Buffer, nulls int) (arrow.Array, error) {
	n := len(idx)
	offs := make([][]int32, len(srcs))
	datas := make([][]byte, len(srcs))
	for i, s := range srcs {
		if s == nil {
			continue
		}
		var err error
		if offs[i], datas[i], err = binaryParts(s); err != nil {
			if vbuf != nil {
				vbuf.Release()
			}
			return nil, err
		}
	}
	obuf, out := newFixedBuf[int32](mem, n+1)
	total := int32(0)
	out[0] = 0
	for i, w := range which {
		if w >= 0 {
			j := idx[i]
			total += offs[w][j+1] - offs[w][j]
		}
		out[i+1] = total
	}
	dbuf := memory.NewResizableBuffer(mem)
	dbuf.Resize(int(total))
	data := dbuf.Bytes()
	for i, w := range which {
		if w >= 0 {
			j := idx[i]
			copy(data[out[i]:out[i+1]], datas[w][offs[w][j]:offs[w][j+1]])
		}
	}
	return makeArray(t, n, nulls, vbuf, obuf, dbuf), nil
}

// takeArray returns the rows idx of a.
func takeArray(mem memory.Allocator, a arrow.Array, idx []int32, which []int32) (arrow.Array, error) {
	return gather(mem, a.DataType(), []arrow.Array{a}, which, idx)
}

// takeBatch returns the rows idx of b as a new batch the caller releases.
func takeBatch(mem memory.Allocator, b arrow.RecordBatch, idx []int32) (arrow.RecordBatch, error) {
	which := make([]int32, len(idx)) // all zero: every row comes from the one source
	cols := make([]arrow.Array, 0, b.NumCols())
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for _, c := range b.Columns() {
		tc, err := takeArray(mem, c, idx, which)
		if err != nil {
			return nil, err
		}
		cols = append(cols, tc)
	}
	return array.NewRecordBatch(b.Schema(), cols, int64(len(idx))), nil
}
