package state

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Spill family (0x07): scratch state of window aggregates whose open state
// outgrew their memory budget (exec spills cold (window, group) entries
// here and loads them back when a batch touches them again).
//
//	0x07 spill  0x07 | str(spill id) | op u32 | end i64 | start i64 | group → accumulator states
//
// The key layout is the window-state layout (0x02) under another family
// byte, so a scan up to SpillKeyUpperBound(id, op, wm) yields exactly the
// spilled entries a watermark of wm has closed, in (end, start, group)
// order. A spill id names one running instance of a query, never reused
// within a process.
//
// Spill data is not durable state: it is written without sync, a
// checkpoint copies it into the query's snapshot, and every Engine wipes
// the whole family when it starts (DeleteAllSpill), so entries left by a
// crash never outlive the process that wrote them.

// SpillKeyPrefix returns the prefix of every spill key of operator op of
// spill id: the inclusive lower bound of a scan over its entries.
func SpillKeyPrefix(id string, op uint32) []byte {
	return opKeyPrefix(prefixSpill, id, op)
}

// AppendSpillKey appends to dst the spill key of one (window, group) entry.
func AppendSpillKey(dst []byte, id string, op uint32, end, start int64, group []byte) []byte {
	return appendOpKey(dst, prefixSpill, id, op, end, start, group)
}

// SpillKeyUpperBound returns the exclusive upper bound of the spill keys of
// (id, op) whose window end is ≤ end.
func SpillKeyUpperBound(id string, op uint32, end int64) []byte {
	return prefixSuccessor(appendInt64(SpillKeyPrefix(id, op), end))
}

// ScanSpill calls fn, in (end, start, group) order, for every spill entry
// of (id, op) whose window end is ≤ upTo. The entry's Group and Value are
// only valid during fn. Keys are split after the known prefix, so a scan
// allocates nothing per entry.
func (s *Store) ScanSpill(id string, op uint32, upTo int64, fn func(WindowEntry) error) error {
	lo := SpillKeyPrefix(id, op)
	hi := SpillKeyUpperBound(id, op, upTo)
	return s.Scan(lo, hi, func(k, v []byte) error {
		rest := k[len(lo):]
		if len(rest) < 16 {
			return fmt.Errorf("%w: spill key %x too short", ErrCorrupt, k)
		}
		return fn(WindowEntry{End: decodeInt64(rest), Start: decodeInt64(rest[8:]), Group: rest[16:], Value: v})
	})
}

// DeleteSpillUpTo records in b the deletion of every spill entry of
// (id, op) whose window end is ≤ end: one range tombstone per closing.
func (b *Batch) DeleteSpillUpTo(id string, op uint32, end int64) {
	b.DeleteRange(SpillKeyPrefix(id, op), SpillKeyUpperBound(id, op, end))
}

// DeleteSpill deletes every spill entry of (id, op), without sync: the
// operator's instance is closing.
func (s *Store) DeleteSpill(id string, op uint32) error {
	p := SpillKeyPrefix(id, op)
	return s.deleteRangeNoSync(p, prefixSuccessor(p))
}

// DeleteAllSpill deletes the whole spill family, without sync: an Engine
// starting on this store owns no spilled entry yet, so any present were
// left by a process that stopped without cleaning up.
func (s *Store) DeleteAllSpill() error {
	return s.deleteRangeNoSync([]byte{prefixSpill}, []byte{prefixSpill + 1})
}

func (s *Store) deleteRangeNoSync(lo, hi []byte) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.exit()
	if err := s.db.DeleteRange(lo, hi, pebble.NoSync); err != nil {
		return fmt.Errorf("state delete range: %w", wrapPebble(err))
	}
	return nil
}
