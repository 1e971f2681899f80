package exec

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// Operator state snapshots (checkpoints of persistent queries).
//
// pipeline.snapshot writes the state of every stateful operator (today
// the window aggregate) as a sequence of chunks, each at most
// snapshotChunkLimit bytes unless a single slot is larger; the driver
// stores them under consecutive keys and restore reads them back in order
// into a freshly built pipeline of the same plan. The format is versioned
// (snapshotVersion) and self-checking:
//
//	chunk 0 = "SLST" | u16 version (LE) | chunk
//	chunk   = u32 CRC-32C of body (LE) | body
//	body    = uvarint chunk index | record…   (records never span chunks)
//	record  = 'H' [32]byte plan fingerprint | uvarint len | plan description
//	                                     (first record of chunk 0 only)
//	        | 'O' uvarint op | u64 prevWM | uvarint late rows | uvarint NULL-time rows
//	              | uvarint slots     (one per stateful operator, before its slots)
//	        | 'S' uvarint op | u32 n (LE) | slot × n
//	        | 'E' uvarint chunks          (last record of the last chunk)
//
// The plan fingerprint is the SHA-256 of a canonical description of the
// plan (planDescription: operator kinds, for the window aggregate its
// window kind, size, slide, gap, emit mode, key types and aggregate
// functions with argument, distinct and result types; then the output
// column types). Restore compares it first, so the state of another plan
// is refused with ErrStateFormat rather than misread.
//
// A window aggregate slot is one open (window, group) entry:
//
//	slot = byte flags (1 = changed since the last Flush)
//	     | varint start − previous slot's start in this record (zigzag)
//	     | uvarint end − start (two's complement)
//	     | uvarint key length | encoded group key (agg_encode.go)
//	     | per aggregate, its accumulator's state (appendState)
//
// Integers are varints (zigzag when signed), floats their IEEE bits in 8
// (or 4) little-endian bytes, decimals 16 bytes (high, low). Accumulator
// states: count uvarint; sum byte has | value; avg uvarint count | f64
// sum; min/max byte has | value (text and bytea: uvarint length | bytes);
// count(DISTINCT) uvarint n | n × (uvarint length | encoded value);
// approx_count_distinct uvarint n | n × u32 sparse entry | byte dense |
// 16384 registers when dense.
//
// Restore re-creates every slot through the operator's own allocation
// paths (group table, window index, session lists), so all their
// invariants hold, then sets each accumulator's state. Input that is
// truncated, fails its checksum or breaks an invariant is refused with an
// error wrapping ErrCorruptState; restore never panics on it.

// ErrStateFormat reports a snapshot written by another state format
// version or for another plan.
var ErrStateFormat = errors.New("exec: incompatible checkpoint state")

// ErrCorruptState reports a snapshot that is truncated or damaged.
var ErrCorruptState = errors.New("exec: corrupt checkpoint state")

const (
	snapshotMagic   = "SLST"
	snapshotVersion = 1
	// snapshotChunkLimit bounds a chunk; only a single slot larger than
	// that makes a larger one.
	snapshotChunkLimit = 1 << 20

	recHeader = 'H'
	recOp     = 'O'
	recSlots  = 'S'
	recEnd    = 'E'
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// stateful is an operator with state to checkpoint.
type stateful interface {
	// snapshotState writes the operator's header record and its slots
	// through w.
	snapshotState(w *chunkWriter, op int) error
	// restoreHeader and restoreSlots load what snapshotState wrote, on a
	// freshly built operator; restoreHeader returns the number of slots
	// announced, refusing more than limit (the snapshot's size in bytes
	// bounds what a header can make it allocate).
	restoreHeader(r *stateReader, limit int64) (int64, error)
	restoreSlots(r *stateReader, n int) error
	// restoreDone checks and completes the operator once every record is read.
	restoreDone() error
}

var _ stateful = (*windowAgg)(nil)

// planFingerprint describes p's plan canonically and hashes it.
func (p *pipeline) planFingerprint() ([32]byte, string) {
	var b strings.Builder
	for i, op := range p.ops {
		fmt.Fprintf(&b, "op%d: ", i)
		switch o := op.(type) {
		case *windowAgg:
			o.describe(&b)
		case *filterOp:
			b.WriteString("filter")
		case *projectOp:
			b.WriteString("project")
		case *sortOp:
			b.WriteString("sort")
		default:
			fmt.Fprintf(&b, "%T", op)
		}
		b.WriteString("\n")
	}
	b.WriteString("output:")
	for _, f := range p.out.Fields() {
		b.WriteString(" " + f.Type.String())
	}
	return sha256.Sum256([]byte(b.String())), b.String()
}

// snapshot writes the state of every stateful operator as chunks of at
// most about 1 MiB (see the format above). chunk is valid only during the
// call to fn: the caller copies it. An error from fn ends the snapshot
// and is returned.
func (p *pipeline) snapshot(fn func(chunk []byte) error) error {
	w := newChunkWriter(fn, p.chunkLimit, p.snapBuf)
	defer func() { p.snapBuf = w.buf[:0] }()
	sum, desc := p.planFingerprint()
	w.buf = append(w.buf, recHeader)
	w.buf = append(w.buf, sum[:]...)
	w.buf = appendBytes(w.buf, []byte(desc))
	for i, op := range p.ops {
		if s, ok := op.(stateful); ok {
			if err := s.snapshotState(w, i); err != nil {
				return fmt.Errorf("snapshot operator %d: %w", i, err)
			}
		}
	}
	return w.finish()
}

// restore loads chunks written by snapshot into this freshly built
// pipeline of the same plan. Errors wrap ErrStateFormat (another version
// or plan) or ErrCorruptState (truncated or damaged chunks); restore
// never panics on bad input. After an error the pipeline holds partial
// state: close it.
func (p *pipeline) restore(chunks [][]byte) error {
	if len(chunks) == 0 {
		return fmt.Errorf("%w: no chunks", ErrCorruptState)
	}
	sum, desc := p.planFingerprint()
	rs := restoreState{p: p, seen: make(map[int]bool), want: make(map[int]int64), got: make(map[int]int64)}
	for _, c := range chunks {
		rs.size += int64(len(c))
	}
	for i, c := range chunks {
		body, err := chunkBody(c, i)
		if err != nil {
			return err
		}
		if rs.ended {
			return fmt.Errorf("%w: chunk %d after the end record", ErrCorruptState, i)
		}
		r := &stateReader{b: body}
		if idx := r.uvarint(); r.err == nil && idx != uint64(i) {
			return fmt.Errorf("%w: chunk %d says it is chunk %d", ErrCorruptState, i, idx)
		}
		if i == 0 {
			if err := checkHeader(r, sum, desc); err != nil {
				return err
			}
		}
		if err := rs.records(r, len(chunks)); err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
	}
	return rs.done()
}

// chunkBody checks chunk i's framing and checksum and returns its body.
func chunkBody(c []byte, i int) ([]byte, error) {
	if i == 0 {
		if len(c) < 6 || string(c[:4]) != snapshotMagic {
			return nil, fmt.Errorf("%w: not a snapshot (bad magic)", ErrCorruptState)
		}
		if v := binary.LittleEndian.Uint16(c[4:]); v != snapshotVersion {
			return nil, fmt.Errorf("%w: state format version %d, this build reads version %d", ErrStateFormat, v, snapshotVersion)
		}
		c = c[6:]
	}
	if len(c) < 4 {
		return nil, fmt.Errorf("%w: chunk %d truncated", ErrCorruptState, i)
	}
	if crc32.Checksum(c[4:], crcTable) != binary.LittleEndian.Uint32(c) {
		return nil, fmt.Errorf("%w: chunk %d checksum mismatch", ErrCorruptState, i)
	}
	return c[4:], nil
}

// checkHeader reads the header record and compares its plan with this one.
func checkHeader(r *stateReader, sum [32]byte, desc string) error {
	if r.byte() != recHeader {
		return r.fail("missing header record")
	}
	got := r.bytes(len(sum))
	gotDesc := r.lenBytes()
	if r.err != nil {
		return r.err
	}
	if string(got) != string(sum[:]) {
		return fmt.Errorf("%w: checkpoint of another plan:\ncheckpoint: %s\nthis plan:  %s",
			ErrStateFormat, strings.ReplaceAll(string(gotDesc), "\n", "; "), strings.ReplaceAll(desc, "\n", "; "))
	}
	return nil
}

// restoreState tracks a restore across chunks.
type restoreState struct {
	p     *pipeline
	seen  map[int]bool  // operators whose header record was read
	want  map[int]int64 // slots announced by each header
	got   map[int]int64 // slots read
	size  int64         // bytes of all chunks: a slot takes at least 4
	ended bool
}

// records reads the records of one chunk body.
func (rs *restoreState) records(r *stateReader, chunks int) error {
	for r.err == nil && r.len() > 0 {
		tag := r.byte()
		if rs.ended {
			return r.fail("record after the end record")
		}
		switch tag {
		case recOp, recSlots:
			if err := rs.opRecord(r, tag); err != nil {
				return err
			}
		case recEnd:
			if n := r.uvarint(); r.err == nil && n != uint64(chunks) {
				return fmt.Errorf("%w: snapshot of %d chunks, got %d", ErrCorruptState, n, chunks)
			}
			rs.ended = true
		default:
			return r.fail(fmt.Sprintf("unknown record %q", tag))
		}
	}
	return r.err
}

// opRecord reads an operator header or slots record.
func (rs *restoreState) opRecord(r *stateReader, tag byte) error {
	i := r.uvarint()
	if r.err != nil {
		return r.err
	}
	if i >= uint64(len(rs.p.ops)) {
		return r.fail(fmt.Sprintf("operator %d out of range", i))
	}
	op, ok := rs.p.ops[i].(stateful)
	if !ok {
		return r.fail(fmt.Sprintf("operator %d has no state", i))
	}
	if tag == recOp {
		if rs.seen[int(i)] {
			return r.fail(fmt.Sprintf("operator %d header repeated", i))
		}
		rs.seen[int(i)] = true
		n, err := op.restoreHeader(r, rs.size/4)
		rs.want[int(i)] = n
		return err
	}
	if !rs.seen[int(i)] {
		return r.fail(fmt.Sprintf("slots of operator %d before its header", i))
	}
	n := r.u32()
	if r.err != nil {
		return r.err
	}
	if uint64(n) > uint64(r.len()) { // a slot takes at least a byte
		return r.fail("slot count beyond the chunk")
	}
	rs.got[int(i)] += int64(n)
	if rs.got[int(i)] > rs.want[int(i)] {
		return r.fail(fmt.Sprintf("more slots for operator %d than its header announced", i))
	}
	return op.restoreSlots(r, int(n))
}

// done checks that every stateful operator was restored and the snapshot ended.
func (rs *restoreState) done() error {
	if !rs.ended {
		return fmt.Errorf("%w: missing end record (truncated)", ErrCorruptState)
	}
	for i, op := range rs.p.ops {
		s, ok := op.(stateful)
		if !ok {
			continue
		}
		if !rs.seen[i] {
			return fmt.Errorf("%w: no state for operator %d", ErrCorruptState, i)
		}
		if rs.got[i] != rs.want[i] {
			return fmt.Errorf("%w: operator %d: %d slots, its header announced %d", ErrCorruptState, i, rs.got[i], rs.want[i])
		}
		if err := s.restoreDone(); err != nil {
			return fmt.Errorf("operator %d: %w", i, err)
		}
	}
	return nil
}
