package exec

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// Snapshot and restore of the window aggregate's state (format in
// snapshot.go) and its current values (pipeline.current).

// describe writes the canonical description of w's plan that the
// snapshot fingerprint hashes: everything its state's meaning depends on.
func (w *windowAgg) describe(b *strings.Builder) {
	ws := w.spec.Window
	fmt.Fprintf(b, "window_agg kind=%d", ws.Kind)
	switch ws.Kind {
	case Tumble, Hop:
		fmt.Fprintf(b, " size=%d slide=%d", w.panes.size, w.panes.slide)
	case Session:
		fmt.Fprintf(b, " gap=%d", w.gap)
	}
	fmt.Fprintf(b, " emit=%d keys=[", w.spec.Emit)
	for i, t := range w.keyType {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t.String())
	}
	b.WriteString("] aggs=[")
	for i, a := range w.spec.Aggs {
		if i > 0 {
			b.WriteString(", ")
		}
		arg := "*"
		if w.args[i] != nil {
			arg = w.args[i].DataType().String()
		}
		fmt.Fprintf(b, "%s(distinct=%t %s) %s", a.Func, a.Distinct, arg, w.aggOut[i])
	}
	b.WriteString("]")
}

// snapshotState writes w's header record and every live slot.
func (w *windowAgg) snapshotState(cw *chunkWriter, op int) error {
	if err := cw.record(); err != nil {
		return err
	}
	st := w.state
	b := append(cw.buf, recOp)
	b = binary.AppendUvarint(b, uint64(op))
	b = binary.LittleEndian.AppendUint64(b, uint64(w.prevWM))
	b = binary.AppendUvarint(b, uint64(w.stats.LateRows))
	b = binary.AppendUvarint(b, uint64(w.stats.NullTimeRows))
	spilled := w.spillSlots()
	cw.buf = binary.AppendUvarint(b, uint64(int64(st.open)+spilled))
	if int64(st.open)+spilled == 0 {
		return nil
	}
	cw.beginSlots(op)
	for s, live := range st.live {
		if !live {
			continue
		}
		for {
			cw.beginSlot()
			cw.buf = w.appendSlot(cw.buf, &cw.base, int32(s))
			redo, err := cw.endSlot()
			if err != nil {
				return err
			}
			if !redo {
				break
			}
		}
	}
	if spilled > 0 {
		return w.snapshotSpilled(cw)
	}
	return nil
}

// appendSlot appends slot s; *base is the previous slot's start.
func (w *windowAgg) appendSlot(b []byte, base *int64, s int32) []byte {
	st := w.state
	var flags byte
	if st.track && st.mark[s] {
		flags = 1
	}
	start, end := st.start[s], st.end[s]
	b = append(b, flags)
	b = binary.AppendVarint(b, start-*base)
	*base = start
	b = binary.AppendUvarint(b, uint64(end-start))
	b = appendBytes(b, w.groups.key(st.gid[s]))
	for _, a := range st.accs {
		b = a.appendState(b, s)
	}
	return b
}

// restoreHeader reads w's header record into a freshly built w and
// returns the number of slots that follow, at most limit.
func (w *windowAgg) restoreHeader(r *stateReader, limit int64) (int64, error) {
	prevWM := int64(r.u64())
	late, nullTime, slots := r.count(), r.count(), r.count()
	if r.err != nil {
		return 0, r.err
	}
	if slots > limit {
		return 0, r.fail("more slots than the snapshot can hold")
	}
	if w.state.open != 0 || w.spillSlots() != 0 {
		return 0, r.fail("window aggregate already holds state")
	}
	w.prevWM, w.stats.LateRows, w.stats.NullTimeRows = prevWM, late, nullTime
	room := slots
	if w.spill != nil { // what the budget can hold, not what the snapshot holds
		room = min(room, w.spill.budget/spillSlotOverhead)
	}
	w.state.reserve(int(room))
	w.groups.reserve(int(room))
	return slots, nil
}

// restoreSlots reads n slots, creating each through the normal
// allocation paths.
func (w *windowAgg) restoreSlots(r *stateReader, n int) error {
	st := w.state
	var base int64
	for range n {
		flags := r.byte()
		start := base + r.varint()
		end := start + int64(r.uvarint())
		key := r.lenBytes()
		base = start
		if r.err != nil {
			return r.err
		}
		if flags&^1 != 0 {
			return r.fail("bad slot flags")
		}
		if err := w.checkSlot(r, start, end, key); err != nil {
			return err
		}
		s, err := w.allocRestored(r, start, end, key)
		if err != nil {
			return err
		}
		for _, a := range st.accs {
			a.readState(r, s)
		}
		if r.err != nil {
			return r.err
		}
		if flags&1 != 0 {
			st.touch(s)
		}
		if w.spill != nil {
			if err := w.spillRestored(s); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkSlot refuses window bounds and keys this plan cannot produce.
func (w *windowAgg) checkSlot(r *stateReader, start, end int64, key []byte) error {
	p := w.panes
	switch w.spec.Window.Kind {
	case NoWindow:
		if start != 0 || end != noWindowEnd {
			return r.fail("bad running aggregate bounds")
		}
	case Tumble, Hop:
		if end != start+p.size || start%p.slide != 0 {
			return r.fail("window bounds do not match the plan")
		}
	case Session:
		if end-start < w.gap {
			return r.fail("session shorter than the gap")
		}
	}
	if !validKey(key, w.keyType) {
		return r.fail("bad group key")
	}
	return nil
}

// allocRestored creates the live slot of window [start, end) and key.
func (w *windowAgg) allocRestored(r *stateReader, start, end int64, key []byte) (int32, error) {
	st := w.state
	g, _ := w.groups.findOrAdd(key)
	if w.sess != nil {
		s := st.alloc(start, end, g, false)
		w.sess.set(g, append(w.sess.open(g), s))
		return s, nil
	}
	open := st.open
	if w.spill != nil {
		w.spill.hit = false
	}
	s := st.lookup(start, end, g)
	if st.open == open || (w.spill != nil && w.spill.hit) { // in memory, or spilled
		return 0, r.fail("window and group repeated")
	}
	if w.spill != nil && w.spill.err != nil {
		return 0, w.spill.err
	}
	return s, nil
}

// restoreDone orders each group's sessions by start and checks that
// they do not overlap.
func (w *windowAgg) restoreDone() error {
	if w.sess == nil {
		return nil
	}
	st := w.state
	for _, l := range w.sess.byGid {
		slices.SortFunc(l, func(a, b int32) int { return compareInt64(st.start[a], st.start[b]) })
		for i := 1; i < len(l); i++ {
			if st.end[l[i-1]] > st.start[l[i]] {
				return fmt.Errorf("%w: overlapping sessions of one group", ErrCorruptState)
			}
		}
	}
	return nil
}

// validKey reports whether key is a well-formed encoding of a row of
// types (agg_encode.go), so decoding it cannot fail.
func validKey(key []byte, types []arrow.DataType) bool {
	p := 0
	for _, t := range types {
		if p >= len(key) {
			return false
		}
		flag := key[p]
		p++
		if flag == flagNull {
			continue
		}
		if flag != flagValue {
			return false
		}
		n, _ := keyWidth(t)
		if n < 0 {
			n = escapedLen(key[p:])
		}
		if n < 0 || p+n > len(key) {
			return false
		}
		p += n
	}
	return p == len(key)
}

// escapedLen returns the length of the escaped text value at the start
// of k including its terminator, or -1.
func escapedLen(k []byte) int {
	for p := 0; p+1 < len(k); p++ {
		if k[p] != 0 {
			continue
		}
		switch k[p+1] {
		case 1:
			return p + 2
		case 0xff:
			p++
		default:
			return -1
		}
	}
	return -1
}

// emitCurrent emits the current value of every live slot, ordered like
// Flush, without changing any state.
func (w *windowAgg) emitCurrent(ctx context.Context, emit EmitFunc) error {
	st := w.state
	slots := make([]int32, 0, st.open)
	for s, live := range st.live {
		if live {
			slots = append(slots, int32(s))
		}
	}
	if w.spillSlots() > 0 {
		return w.emitMerged(ctx, slots, math.MaxInt64, emit)
	}
	return w.emitSlots(ctx, slots, emit)
}
