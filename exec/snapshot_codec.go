package exec

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
)

// chunkWriter cuts a snapshot into chunks (format in snapshot.go). It
// reuses one buffer for every chunk, so a snapshot allocates about one
// chunk whatever the state size.
type chunkWriter struct {
	fn     func([]byte) error
	buf    []byte
	crcAt  int // offset of the current chunk's checksum in buf
	chunks int // chunks handed to fn
	limit  int
	// The open slots record: offset of its count (-1 none), its operator
	// and slots so far; base is the previous slot's window start, the
	// delta base of the next (0 at the start of a record).
	slotsAt int
	slotsOp int
	n       uint32
	mark    int
	base    int64
}

// newChunkWriter returns a writer handing chunks of about limit bytes
// (0: snapshotChunkLimit) to fn, reusing buf's storage.
func newChunkWriter(fn func([]byte) error, limit int, buf []byte) *chunkWriter {
	if limit <= 0 {
		limit = snapshotChunkLimit
	}
	w := &chunkWriter{fn: fn, limit: limit, slotsAt: -1, buf: buf[:0]}
	if cap(w.buf) < limit+limit/8 {
		w.buf = make([]byte, 0, limit+limit/8)
	}
	w.buf = append(w.buf, snapshotMagic...)
	w.buf = binary.LittleEndian.AppendUint16(w.buf, snapshotVersion)
	w.startChunk()
	return w
}

// startChunk appends the checksum placeholder and the chunk index.
func (w *chunkWriter) startChunk() {
	w.crcAt = len(w.buf)
	w.buf = append(w.buf, 0, 0, 0, 0)
	w.buf = binary.AppendUvarint(w.buf, uint64(w.chunks))
}

// flush closes any slots record, seals the chunk and hands it to fn.
func (w *chunkWriter) flush() error {
	w.endSlots()
	body := w.buf[w.crcAt+4:]
	binary.LittleEndian.PutUint32(w.buf[w.crcAt:], crc32.Checksum(body, crcTable))
	if err := w.fn(w.buf); err != nil {
		return err
	}
	w.chunks++
	w.buf = w.buf[:0]
	w.startChunk()
	return nil
}

// record prepares for a small record, starting a new chunk when this
// one is full.
func (w *chunkWriter) record() error {
	w.endSlots()
	if len(w.buf) >= w.limit {
		return w.flush()
	}
	return nil
}

// beginSlots opens a slots record of operator op.
func (w *chunkWriter) beginSlots(op int) {
	w.endSlots()
	w.buf = append(w.buf, recSlots)
	w.buf = binary.AppendUvarint(w.buf, uint64(op))
	w.slotsAt, w.slotsOp, w.n, w.base = len(w.buf), op, 0, 0
	w.buf = append(w.buf, 0, 0, 0, 0)
}

// endSlots closes the open slots record, if any.
func (w *chunkWriter) endSlots() {
	if w.slotsAt >= 0 {
		binary.LittleEndian.PutUint32(w.buf[w.slotsAt:], w.n)
		w.slotsAt = -1
	}
}

// beginSlot marks the start of a slot in the open slots record.
func (w *chunkWriter) beginSlot() { w.mark = len(w.buf) }

// endSlot ends the slot begun last. When it took the chunk past the
// limit and is not the chunk's first slot, it is taken out, the chunk is
// handed out and redo is true: the caller writes the slot again, into a
// new record (window starts are deltas within a record).
func (w *chunkWriter) endSlot() (redo bool, err error) {
	if len(w.buf) <= w.limit || w.n == 0 {
		w.n++
		return false, nil
	}
	w.buf = w.buf[:w.mark]
	op := w.slotsOp
	if err := w.flush(); err != nil {
		return false, err
	}
	w.beginSlots(op)
	return true, nil
}

// finish writes the end record and hands out the last chunk.
func (w *chunkWriter) finish() error {
	w.endSlots()
	w.buf = append(w.buf, recEnd)
	w.buf = binary.AppendUvarint(w.buf, uint64(w.chunks+1))
	return w.flush()
}

func appendBytes(b, x []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(x)))
	return append(b, x...)
}

func appendBool(b []byte, x bool) []byte {
	if x {
		return append(b, 1)
	}
	return append(b, 0)
}

func appendF64(b []byte, f float64) []byte {
	return binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
}

// stateReader decodes a chunk body. The first error sticks: later reads
// return zero values, so callers check err once per slot or record.
type stateReader struct {
	b   []byte
	err error
}

func (r *stateReader) len() int { return len(r.b) }

// fail records a corruption (the first one wins) and returns the error.
func (r *stateReader) fail(msg string) error {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s", ErrCorruptState, msg)
	}
	return r.err
}

func (r *stateReader) byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.fail("truncated")
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *stateReader) bool() bool {
	switch r.byte() {
	case 0:
		return false
	case 1:
		return true
	}
	r.fail("bad flag byte")
	return false
}

func (r *stateReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *stateReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a uvarint that must fit a non-negative int64.
func (r *stateReader) count() int64 {
	v := r.uvarint()
	if v > math.MaxInt64 {
		r.fail("count out of range")
		return 0
	}
	return int64(v)
}

// bytes returns the next n bytes, aliasing the chunk.
func (r *stateReader) bytes(n int) []byte {
	if r.err != nil || n < 0 || n > len(r.b) {
		r.fail("truncated")
		return nil
	}
	x := r.b[:n:n]
	r.b = r.b[n:]
	return x
}

// lenBytes reads a uvarint length and that many bytes.
func (r *stateReader) lenBytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail("length beyond the chunk")
		return nil
	}
	return r.bytes(int(n))
}

func (r *stateReader) u32() uint32 {
	if b := r.bytes(4); b != nil {
		return binary.LittleEndian.Uint32(b)
	}
	return 0
}

func (r *stateReader) u64() uint64 {
	if b := r.bytes(8); b != nil {
		return binary.LittleEndian.Uint64(b)
	}
	return 0
}

func (r *stateReader) f64() float64 { return math.Float64frombits(r.u64()) }
