package state

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// The families of a persistent query besides its window state and
// checkpoint record, each keyed by the query id and a big-endian sequence
// number, so a prefix scan yields them in sequence order:
//
//	0x04 offset log  0x04 | str(query) | u64 batch → the ranges of a batch, logged before it runs
//	0x05 snapshot    0x05 | str(query) | u32 chunk → the operators' state as of the checkpoint
//	0x06 view rows   0x06 | str(query) | u64 seq   → emitted rows of a materialized view
//
// The values are opaque: exec encodes them.

func seqPrefix(family byte, query string) []byte {
	return appendString([]byte{family}, query)
}

func seqKey(family byte, query string, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(seqPrefix(family, query), seq)
}

// scanSeq calls fn for every entry of (family, query) in ascending
// sequence order, starting after after (0 means from the first entry, so
// sequence numbers that matter start at 1 where after is used). width is
// the sequence's byte width; a key with another suffix length is corrupt.
func (s *Store) scanSeq(family byte, query string, after uint64, width int, fn func(seq uint64, v []byte) error) error {
	p := seqPrefix(family, query)
	lo := p
	if after > 0 {
		lo = appendSeq(bytes.Clone(p), after+1, width)
	}
	return s.Scan(lo, prefixSuccessor(p), func(k, v []byte) error {
		rest := k[len(p):]
		if len(rest) != width {
			return fmt.Errorf("%w: key %x: sequence of %d bytes, want %d", ErrCorrupt, k, len(rest), width)
		}
		if width == 8 {
			return fn(binary.BigEndian.Uint64(rest), v)
		}
		return fn(uint64(binary.BigEndian.Uint32(rest)), v)
	})
}

func appendSeq(dst []byte, seq uint64, width int) []byte {
	if width == 8 {
		return binary.BigEndian.AppendUint64(dst, seq)
	}
	return binary.BigEndian.AppendUint32(dst, uint32(seq))
}

// SetOffsetLog records in b the offset-log entry of batch for query. rec
// is copied.
func (b *Batch) SetOffsetLog(query string, batch uint64, rec []byte) {
	b.Set(seqKey(prefixOffsetLog, query, batch), rec)
}

// DeleteOffsetLog records in b the deletion of every offset-log entry of
// query with a batch number ≤ upTo (entries a checkpoint covers).
func (b *Batch) DeleteOffsetLog(query string, upTo uint64) {
	lo := seqPrefix(prefixOffsetLog, query)
	hi := seqKey(prefixOffsetLog, query, upTo)
	b.DeleteRange(lo, prefixSuccessor(hi))
}

// ScanOffsetLog calls fn for every offset-log entry of query with a batch
// number > after, in ascending batch order. rec is only valid during fn.
func (s *Store) ScanOffsetLog(query string, after uint64, fn func(batch uint64, rec []byte) error) error {
	if err := s.scanSeq(prefixOffsetLog, query, after, 8, fn); err != nil {
		return fmt.Errorf("offset log of %q: %w", query, err)
	}
	return nil
}

// DeleteSnapshot records in b the deletion of every snapshot chunk of
// query; a checkpoint deletes the old snapshot and sets the new chunks in
// the same batch.
func (b *Batch) DeleteSnapshot(query string) {
	p := seqPrefix(prefixSnapshot, query)
	b.DeleteRange(p, prefixSuccessor(p))
}

// SetSnapshotChunk records in b chunk number i of query's snapshot. chunk
// is copied.
func (b *Batch) SetSnapshotChunk(query string, i uint32, chunk []byte) {
	b.Set(appendSeq(seqPrefix(prefixSnapshot, query), uint64(i), 4), chunk)
}

// Snapshot returns the snapshot chunks of query in chunk order, or nil if
// there are none. The chunks must be numbered 0, 1, … without gaps; a gap
// means a damaged store and yields ErrCorrupt.
func (s *Store) Snapshot(query string) ([][]byte, error) {
	var out [][]byte
	err := s.scanSeq(prefixSnapshot, query, 0, 4, func(seq uint64, v []byte) error {
		if seq != uint64(len(out)) {
			return fmt.Errorf("%w: chunk %d follows chunk %d", ErrCorrupt, seq, len(out)-1)
		}
		out = append(out, bytes.Clone(v))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot of %q: %w", query, err)
	}
	return out, nil
}

// SetViewRows records in b the view-row chunk seq of query. chunk is copied.
func (b *Batch) SetViewRows(query string, seq uint64, chunk []byte) {
	b.Set(seqKey(prefixViewRows, query, seq), chunk)
}

// ScanViewRows calls fn for every view-row chunk of query in sequence
// order. chunk is only valid during fn.
func (s *Store) ScanViewRows(query string, fn func(seq uint64, chunk []byte) error) error {
	if err := s.scanSeq(prefixViewRows, query, 0, 8, fn); err != nil {
		return fmt.Errorf("view rows of %q: %w", query, err)
	}
	return nil
}

// LastViewRowsSeq returns the highest view-row sequence number of query;
// ok is false when it has none.
func (s *Store) LastViewRowsSeq(query string) (seq uint64, ok bool, err error) {
	if err := s.enter(); err != nil {
		return 0, false, err
	}
	defer s.exit()
	p := seqPrefix(prefixViewRows, query)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: p, UpperBound: prefixSuccessor(p)})
	if err != nil {
		return 0, false, fmt.Errorf("view rows of %q: %w", query, wrapPebble(err))
	}
	defer it.Close()
	if !it.Last() {
		return 0, false, wrapIterErr(query, it.Error())
	}
	rest := it.Key()[len(p):]
	if len(rest) != 8 {
		return 0, false, fmt.Errorf("view rows of %q: %w: key %x", query, ErrCorrupt, it.Key())
	}
	return binary.BigEndian.Uint64(rest), true, nil
}

func wrapIterErr(query string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("view rows of %q: %w", query, wrapPebble(err))
}

// DeleteQueryData records in b the deletion of everything stored for
// query: its window state, checkpoint record, offset log, snapshot and
// view rows (DROP of a persistent query).
func (b *Batch) DeleteQueryData(query string) {
	b.DeleteQueryState(query)
	for _, f := range []byte{prefixOffsetLog, prefixSnapshot, prefixViewRows} {
		p := seqPrefix(f, query)
		b.DeleteRange(p, prefixSuccessor(p))
	}
}
