package exec

import (
	"math"
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
	// touched lists the slots changed since the last Flush (EMIT CHANGES).
	touched []int32
	mark    []bool
	outT    []int32 // reused result of takeTouched
	outC    []int32 // reused result of closed
}

func newWindowState(groups *groupTable, accs []accumulator) *windowState {
	return &windowState{groups: groups, index: newSlotIndex(), accs: accs, minEnd: math.MaxInt64}
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
		for _, a := range w.accs {
			a.grow(len(w.live))
		}
	}
	w.gid[s], w.inIdx[s] = g, indexed
	w.start[s], w.end[s], w.live[s] = start, end, true
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
	pos, s := w.index.find(start, g)
	if s >= 0 {
		return s
	}
	s = w.alloc(start, end, g, true)
	w.index.insert(pos, start, g, s)
	return s
}

// release frees slot s, its accumulator state and its reference to its group.
func (w *windowState) release(s int32) {
	if w.inIdx[s] {
		w.index.remove(w.start[s], w.gid[s])
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
	if !w.mark[s] {
		w.mark[s] = true
		w.touched = append(w.touched, s)
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
	n := w.groups.liveBytes() + 64*w.open + 16*w.index.n
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

// slotIndex maps (window start, gid) to a slot: open addressing with
// linear probing over entries that carry their key, so a probe touches
// one cache line.
type slotIndex struct {
	e []slotEntry // len is a power of two
	n int
}

type slotEntry struct {
	start int64
	gid   int32
	slot  int32 // slot+1, 0 = empty
}

func newSlotIndex() slotIndex { return slotIndex{e: make([]slotEntry, 64)} }

func slotHash(start int64, g int32) uint64 {
	return fmix64(uint64(start) ^ uint64(g)*0x9e3779b97f4a7c15)
}

// find returns the slot of (start, g), or -1 and the position to insert it.
func (x *slotIndex) find(start int64, g int32) (uint64, int32) {
	mask := uint64(len(x.e) - 1)
	i := slotHash(start, g) & mask
	for {
		e := &x.e[i]
		if e.slot == 0 {
			return i, -1
		}
		if e.start == start && e.gid == g {
			return i, e.slot - 1
		}
		i = (i + 1) & mask
	}
}

func (x *slotIndex) insert(pos uint64, start int64, g, s int32) {
	x.e[pos] = slotEntry{start: start, gid: g, slot: s + 1}
	if x.n++; 2*x.n > len(x.e) {
		old := x.e
		x.e = make([]slotEntry, 2*len(old))
		mask := uint64(len(x.e) - 1)
		for _, e := range old {
			if e.slot == 0 {
				continue
			}
			i := slotHash(e.start, e.gid) & mask
			for x.e[i].slot != 0 {
				i = (i + 1) & mask
			}
			x.e[i] = e
		}
	}
}

// remove deletes (start, g), which must be present, by backward shift.
func (x *slotIndex) remove(start int64, g int32) {
	mask := uint64(len(x.e) - 1)
	i := slotHash(start, g) & mask
	for x.e[i].start != start || x.e[i].gid != g || x.e[i].slot == 0 {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; x.e[j].slot != 0; j = (j + 1) & mask {
		home := slotHash(x.e[j].start, x.e[j].gid) & mask
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			x.e[i] = x.e[j]
			i = j
		}
	}
	x.e[i] = slotEntry{}
	x.n--
}
