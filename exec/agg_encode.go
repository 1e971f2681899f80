package exec

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
)

// Group keys are encoded so that bytes.Compare orders them like SQL
// (NULLs last): each column is a flag byte (1 value, 2 NULL) then, for a
// value, big-endian bits with the sign flipped (integers, timestamps,
// dates, decimals), IEEE bits flipped for order (floats, -0 folded into 0
// so they group together), one byte (bool), or the bytes with 0x00
// escaped as 0x00 0xFF and terminated by 0x00 0x01 (text, bytea).
const (
	flagValue = 1
	flagNull  = 2
)

// keyEncoder encodes the key columns of a batch row by row, column at a
// time; its buffers are reused across batches.
type keyEncoder struct {
	buf  []byte
	offs []int32 // row i is buf[offs[i]:offs[i+1]]
	pos  []int32 // write cursor per row
}

func (e *keyEncoder) row(i int) []byte { return e.buf[e.offs[i]:e.offs[i+1]] }

// encode encodes n rows: an optional int64 prefix per row (the pane start),
// then cols.
func (e *keyEncoder) encode(n int, prefix []int64, cols []arrow.Array) error {
	e.offs = resizeInt32(e.offs, n+1)
	e.pos = resizeInt32(e.pos, n)
	if w, ok := fixedRowWidth(prefix != nil, cols); ok {
		for i := range e.offs {
			e.offs[i] = int32(i * w)
		}
	} else if err := e.rowOffsets(prefix != nil, cols); err != nil {
		return err
	}
	total := int(e.offs[n])
	if cap(e.buf) < total+16 { // slack so keyWords can load whole words
		e.buf = make([]byte, total, total+total/4+16)
	}
	e.buf = e.buf[:total]
	copy(e.pos, e.offs[:n])
	for i, p := range prefix {
		binary.BigEndian.PutUint64(e.buf[e.pos[i]:], uint64(p)^(1<<63))
		e.pos[i] += 8
	}
	for _, c := range cols {
		writeKeyCol(e.buf, e.pos, c)
	}
	return nil
}

// fixedRowWidth returns the width of every encoded row when all key
// columns are fixed-width without NULLs (no per-row sizing needed).
func fixedRowWidth(prefix bool, cols []arrow.Array) (int, bool) {
	w := 0
	if prefix {
		w = 8
	}
	for _, c := range cols {
		cw, err := keyWidth(c.DataType())
		if err != nil || cw < 0 || c.NullN() > 0 {
			return 0, false
		}
		w += 1 + cw
	}
	return w, true
}

// rowOffsets sizes each row and sets e.offs.
func (e *keyEncoder) rowOffsets(prefix bool, cols []arrow.Array) error {
	lens := e.pos // sizes first, then reused as cursors
	for i := range lens {
		lens[i] = 0
		if prefix {
			lens[i] = 8
		}
	}
	for _, c := range cols {
		if err := addKeyLens(c, lens); err != nil {
			return err
		}
	}
	e.offs[0] = 0
	for i, l := range lens {
		e.offs[i+1] = e.offs[i] + l
	}
	return nil
}

func resizeInt32(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n, n+n/4)
	}
	return s[:n]
}

func keyWidth(t arrow.DataType) (int, error) {
	switch t.ID() {
	case arrow.BOOL:
		return 1, nil
	case arrow.INT16:
		return 2, nil
	case arrow.INT32, arrow.DATE32, arrow.FLOAT32:
		return 4, nil
	case arrow.INT64, arrow.TIMESTAMP, arrow.FLOAT64:
		return 8, nil
	case arrow.DECIMAL128:
		return 16, nil
	case arrow.STRING, arrow.BINARY:
		return -1, nil
	}
	return 0, fmt.Errorf("grouping by %s not supported", t)
}

func addKeyLens(c arrow.Array, lens []int32) error {
	w, err := keyWidth(c.DataType())
	if err != nil {
		return err
	}
	if w < 0 {
		offs, data, _ := binaryParts(c)
		for i := range lens {
			lens[i]++
			if c.IsValid(i) {
				v := data[offs[i]:offs[i+1]]
				lens[i] += int32(len(v) + bytes.Count(v, []byte{0}) + 2)
			}
		}
		return nil
	}
	for i := range lens {
		lens[i]++
		if c.NullN() == 0 || c.IsValid(i) {
			lens[i] += int32(w)
		}
	}
	return nil
}

func writeKeyCol(buf []byte, pos []int32, c arrow.Array) {
	d := c.Data()
	switch c.DataType().ID() {
	case arrow.INT64, arrow.TIMESTAMP:
		writeKeyInt64s(buf, pos, c)
		return
	}
	for i := range pos {
		if c.NullN() > 0 && c.IsNull(i) {
			buf[pos[i]] = flagNull
			pos[i]++
			continue
		}
		buf[pos[i]] = flagValue
		pos[i]++
		pos[i] += int32(putKeyValue(buf[pos[i]:], c, d, i))
	}
}

// writeKeyInt64s is writeKeyCol for an int64 or timestamp column, with
// no per-row type switch.
func writeKeyInt64s(buf []byte, pos []int32, c arrow.Array) {
	vals := arrow.GetValues[int64](c.Data(), 1)[:len(pos)]
	nulls := c.NullN() > 0
	for i, p := range pos {
		if nulls && c.IsNull(i) {
			buf[p] = flagNull
			pos[i] = p + 1
			continue
		}
		buf[p] = flagValue
		binary.BigEndian.PutUint64(buf[p+1:], uint64(vals[i])^(1<<63))
		pos[i] = p + 9
	}
}

// putKeyValue writes the payload of non-NULL row i and returns its size.
func putKeyValue(dst []byte, c arrow.Array, d arrow.ArrayData, i int) int {
	switch c.DataType().ID() {
	case arrow.BOOL:
		dst[0] = 0
		if bitutil.BitIsSet(d.Buffers()[1].Bytes(), d.Offset()+i) {
			dst[0] = 1
		}
		return 1
	case arrow.INT16:
		binary.BigEndian.PutUint16(dst, uint16(arrow.GetValues[int16](d, 1)[i])^(1<<15))
		return 2
	case arrow.INT32, arrow.DATE32:
		binary.BigEndian.PutUint32(dst, uint32(arrow.GetValues[int32](d, 1)[i])^(1<<31))
		return 4
	case arrow.INT64, arrow.TIMESTAMP:
		binary.BigEndian.PutUint64(dst, uint64(arrow.GetValues[int64](d, 1)[i])^(1<<63))
		return 8
	case arrow.FLOAT32:
		binary.BigEndian.PutUint32(dst, orderedFloat32(arrow.GetValues[float32](d, 1)[i]))
		return 4
	case arrow.FLOAT64:
		binary.BigEndian.PutUint64(dst, orderedFloat64(arrow.GetValues[float64](d, 1)[i]))
		return 8
	case arrow.DECIMAL128:
		n := arrow.GetValues[decimal128.Num](d, 1)[i]
		binary.BigEndian.PutUint64(dst, uint64(n.HighBits())^(1<<63))
		binary.BigEndian.PutUint64(dst[8:], n.LowBits())
		return 16
	}
	offs, data, _ := binaryParts(c)
	k := 0
	for _, b := range data[offs[i]:offs[i+1]] {
		dst[k] = b
		k++
		if b == 0 {
			dst[k] = 0xff
			k++
		}
	}
	dst[k], dst[k+1] = 0, 1
	return k + 2
}

func orderedFloat64(f float64) uint64 {
	if f == 0 {
		f = 0 // folds -0
	}
	if math.IsNaN(f) {
		f = math.NaN()
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}

func orderedFloat32(f float32) uint32 {
	if f == 0 {
		f = 0
	}
	b := math.Float32bits(f)
	if f != f {
		b = 0x7fc00000
	}
	if b>>31 == 1 {
		return ^b
	}
	return b | 1<<31
}

// decodeKeyInto appends the values of an encoded key (no prefix) to one
// builder per key column and returns the bytes consumed.
func decodeKeyInto(key []byte, bld []array.Builder) error {
	p := 0
	for _, b := range bld {
		if p >= len(key) {
			return fmt.Errorf("decode key: truncated")
		}
		flag := key[p]
		p++
		if flag == flagNull {
			b.AppendNull()
			continue
		}
		n, err := decodeKeyValue(key[p:], b)
		if err != nil {
			return err
		}
		p += n
	}
	return nil
}

func decodeKeyValue(src []byte, b array.Builder) (int, error) {
	switch x := b.(type) {
	case *array.BooleanBuilder:
		x.Append(src[0] == 1)
		return 1, nil
	case *array.Int16Builder:
		x.Append(int16(binary.BigEndian.Uint16(src) ^ (1 << 15)))
		return 2, nil
	case *array.Int32Builder:
		x.Append(int32(binary.BigEndian.Uint32(src) ^ (1 << 31)))
		return 4, nil
	case *array.Date32Builder:
		x.Append(arrow.Date32(int32(binary.BigEndian.Uint32(src) ^ (1 << 31))))
		return 4, nil
	case *array.Int64Builder:
		x.Append(int64(binary.BigEndian.Uint64(src) ^ (1 << 63)))
		return 8, nil
	case *array.TimestampBuilder:
		x.Append(arrow.Timestamp(int64(binary.BigEndian.Uint64(src) ^ (1 << 63))))
		return 8, nil
	case *array.Float32Builder:
		u := binary.BigEndian.Uint32(src)
		if u>>31 == 1 {
			u &^= 1 << 31
		} else {
			u = ^u
		}
		x.Append(math.Float32frombits(u))
		return 4, nil
	case *array.Float64Builder:
		u := binary.BigEndian.Uint64(src)
		if u>>63 == 1 {
			u &^= 1 << 63
		} else {
			u = ^u
		}
		x.Append(math.Float64frombits(u))
		return 8, nil
	case *array.Decimal128Builder:
		hi := int64(binary.BigEndian.Uint64(src) ^ (1 << 63))
		x.Append(decimal128.New(hi, binary.BigEndian.Uint64(src[8:])))
		return 16, nil
	case *array.StringBuilder:
		v, n := unescapeKey(src)
		x.BinaryBuilder.Append(v)
		return n, nil
	case *array.BinaryBuilder:
		v, n := unescapeKey(src)
		x.Append(v)
		return n, nil
	}
	return 0, fmt.Errorf("decode key into %T not supported", b)
}

func unescapeKey(src []byte) ([]byte, int) {
	out := make([]byte, 0, len(src))
	for i := 0; i+1 < len(src); i++ {
		if src[i] == 0 {
			if src[i+1] == 1 {
				return out, i + 2
			}
			out = append(out, 0) // 0x00 0xFF is an escaped zero
			i++
			continue
		}
		out = append(out, src[i])
	}
	return out, len(src)
}
