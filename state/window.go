package state

import "fmt"

// WindowEntry is one decoded window-state record as passed to
// ScanClosedWindows. Group and Value are only valid during the callback.
type WindowEntry struct {
	End, Start int64 // window bounds in µs since the epoch, [Start, End)
	Group      []byte
	Value      []byte
}

// ScanClosedWindows calls fn, in (end, start, group) order, for every
// window-state entry of (query, op) whose window end is ≤ upTo: the windows
// a watermark of upTo has closed. A malformed key in the range yields
// ErrCorrupt.
func (s *Store) ScanClosedWindows(query string, op uint32, upTo int64, fn func(WindowEntry) error) error {
	lo := WindowKeyPrefix(query, op)
	hi := WindowKeyUpperBound(query, op, upTo)
	return s.Scan(lo, hi, func(k, v []byte) error {
		q, o, end, start, group, err := DecodeWindowKey(k)
		if err != nil {
			return fmt.Errorf("scan windows of %q/%d: key %x: %w", query, op, k, err)
		}
		if q != query || o != op {
			return fmt.Errorf("%w: key %x outside scan of %q/%d", ErrCorrupt, k, query, op)
		}
		return fn(WindowEntry{End: end, Start: start, Group: group, Value: v})
	})
}

// DeleteClosedWindows records in b the deletion of every window-state entry
// of (query, op) whose window end is ≤ upTo (GC of emitted windows). It is
// one range tombstone, so it costs the same however many windows closed.
func (b *Batch) DeleteClosedWindows(query string, op uint32, upTo int64) {
	b.DeleteRange(WindowKeyPrefix(query, op), WindowKeyUpperBound(query, op, upTo))
}

// DeleteQueryState records in b the deletion of all window state and the
// checkpoint record of query (DROP of a persistent query).
func (b *Batch) DeleteQueryState(query string) {
	b.DeleteRange(QueryKeyRange(query))
	b.Delete(checkpointKey(query))
}
