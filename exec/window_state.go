package exec

import (
	"math"
	"math/bits"
	"slices"
)

// windowState holds the open (window, group) entries ("slots") of a window
// aggregate and one accumulator per aggregate over those slots. A slot
// names its group by gid and holds a reference to it in groups, so a key
// lives in the group table exactly as long as some open window uses it.
// Closed slots go on a free list and are reused, so state stays bounded
// by the open windows.
type windowState struct {
	groups *groupTable
	index  slotIndex // (window start, gid) -> slot (TUMBLE, HOP, none)
	gid    []int32   // slot -> group id
	start  []int64
	end    []int64
	live   []bool
	inIdx  []bool // slot is in index (not a session)
	free   []int32
	accs   []accumulator
	open   int
	minEnd int64 // no live slot ends before this
	// recent caches the slots of each group's most recent windows, ringLen
	// per group at (window start / slide) mod ringLen, so merging a pane
	// into the windows that contain it mostly skips index. An entry is
	// cleared when its slot is released, so a set entry always names a
	// live slot of that group and start; misses fall back to index.
	recent  []ringEntry
	ringLen int // a power of two; 0 = no cache (SESSION, no window)
	// track says whether touch records slots (EMIT CHANGES only).
	track bool
	// touched lists the slots changed since the last Flush (EMIT CHANGES).
	touched []int32
	mark    []bool
	outT    []int32 // reused result of takeTouched
	outC    []int32 // reused result of closed
	// sp, when set, holds the slots that did not fit the memory budget
	// (window_spill.go); stamp is each slot's last merge epoch, which
	// advances at every Flush, so eviction knows the cold slots.
	sp    *windowSpill
	stamp []uint32
	epoch uint32
}

// ringEntry is a cached slot of a group: window start and slot+1 (0 = empty).
type ringEntry struct {
	start int64
	slot  int32
}

// maxRingLen bounds the cached windows per group; HOPs with more windows
// per pane cache the most recent ones only.
const maxRingLen = 16

// newWindowState returns empty state. perPane is the most windows a pane
// falls in (0 for SESSION and no window: no cache); track records touched
// slots for EMIT CHANGES.
func newWindowState(groups *groupTable, accs []accumulator, perPane int64, track bool) *windowState {
	w := &windowState{groups: groups, index: newSlotIndex(), accs: accs, minEnd: math.MaxInt64, track: track}
	if perPane > 0 {
		// One more than a pane needs, so the next pane's windows but its
		// newest are still cached.
		w.ringLen = 1 << bits.Len64(uint64(min(perPane, maxRingLen-1)))
	}
	return w
}

// ring returns the cache of group g, growing the caches to ids groups.
func (w *windowState) ring(g int32, ids int) []ringEntry {
	if need := ids * w.ringLen; len(w.recent) < need {
		w.recent = growSlice(w.recent, need)
	}
	o := int(g) * w.ringLen
	return w.recent[o : o+w.ringLen]
}

// forget clears the cache entry of slot s, if any.
func (w *windowState) forget(s int32) {
	o := int(w.gid[s]) * w.ringLen
	if w.ringLen == 0 || o >= len(w.recent) {
		return
	}
	r := w.recent[o : o+w.ringLen]
	for i := range r {
		if r[i].slot == s+1 {
			r[i] = ringEntry{}
		}
	}
}

// alloc returns an empty live slot of group g.
func (w *windowState) alloc(start, end int64, g int32, indexed bool) int32 {
	var s int32
	if n := len(w.free); n > 0 {
		s = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		s = int32(len(w.live))
		w.gid = append(w.gid, 0)
		w.start = append(w.start, 0)
		w.end = append(w.end, 0)
		w.live = append(w.live, false)
		w.inIdx = append(w.inIdx, false)
		w.mark = append(w.mark, false)
		w.stamp = append(w.stamp, 0)
		for _, a := range w.accs {
			a.grow(len(w.live))
		}
	}
	w.gid[s], w.inIdx[s] = g, indexed
	w.start[s], w.end[s], w.live[s] = start, end, true
	w.stamp[s] = w.epoch
	for _, a := range w.accs {
		a.reset(s)
	}
	w.groups.incref(g)
	w.minEnd = min(w.minEnd, end)
	w.open++
	return s
}

// lookup returns the slot of window [start, end) and group g, creating it.
func (w *windowState) lookup(start, end int64, g int32) int32 {
	return w.lookupIn(w.index.window(start), start, end, g)
}

// lookupIn is lookup given the index table of window start. Every merge
// path creates its missing slots here, so this is where a spilled slot
// comes back (reload).
func (w *windowState) lookupIn(t *gidTable, start, end int64, g int32) int32 {
	pos, s := t.find(g)
	if s >= 0 {
		return s
	}
	s = w.alloc(start, end, g, true)
	t.insert(pos, g, s)
	w.index.n++
	if w.sp != nil && w.sp.total > 0 {
		w.reload(s)
	}
	return s
}

// release frees slot s, its accumulator state and its reference to its group.
func (w *windowState) release(s int32) {
	if w.inIdx[s] {
		w.index.remove(w.start[s], w.gid[s])
		w.forget(s)
	}
	for _, a := range w.accs {
		a.reset(s)
	}
	w.groups.decref(w.gid[s])
	w.gid[s], w.live[s], w.inIdx[s] = -1, false, false
	w.free = append(w.free, s)
	w.open--
}

func (w *windowState) touch(s int32) {
	if w.track && !w.mark[s] {
		w.mark[s] = true
		w.touched = append(w.touched, s)
	}
	if w.sp != nil {
		w.stamp[s] = w.epoch
	}
}

// takeTouched returns the live touched slots and clears the set. The
// result is valid until the next takeTouched.
func (w *windowState) takeTouched() []int32 {
	out := w.outT[:0]
	for _, s := range w.touched {
		w.mark[s] = false
		if w.live[s] {
			out = append(out, s)
		}
	}
	w.touched = w.touched[:0]
	w.outT = out
	return out
}

// closed returns the live slots whose window ends at or before wm, valid
// until the next closed. It only scans the slots when some
// window can have closed.
func (w *windowState) closed(wm int64) []int32 {
	if wm < w.minEnd {
		return nil
	}
	out := w.outC[:0]
	w.minEnd = math.MaxInt64
	for s, ok := range w.live {
		if !ok {
			continue
		}
		if e := w.end[s]; e <= wm {
			out = append(out, int32(s))
		} else {
			w.minEnd = min(w.minEnd, e)
		}
	}
	w.outC = out
	return out
}

func (w *windowState) bytes() int64 {
	n := w.groups.liveBytes() + 64*w.open + 16*w.index.n + 16*len(w.recent)
	fixed := 0
	for _, a := range w.accs {
		f, ok := a.(fixedSizeAcc)
		if !ok {
			return int64(n + w.slotBytes())
		}
		fixed += f.fixedBytes()
	}
	return int64(n + fixed*w.open)
}

func (w *windowState) slotBytes() int {
	n := 0
	for s, ok := range w.live {
		if !ok {
			continue
		}
		for _, a := range w.accs {
			n += a.slotBytes(int32(s))
		}
	}
	return n
}

// reserve makes room for n more slots (a restore knows how many come),
// so allocating them does not regrow every column again and again.
func (w *windowState) reserve(n int) {
	total := len(w.live) + n
	w.gid = slices.Grow(w.gid, n)
	w.start = slices.Grow(w.start, n)
	w.end = slices.Grow(w.end, n)
	w.live = slices.Grow(w.live, n)
	w.inIdx = slices.Grow(w.inIdx, n)
	w.mark = slices.Grow(w.mark, n)
	w.stamp = slices.Grow(w.stamp, n)
	for _, a := range w.accs {
		a.grow(total)
	}
}
