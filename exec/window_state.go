package exec

// windowState holds the open (window, group) entries ("slots") of a window
// aggregate and one accumulator per aggregate over those slots. Closed
// slots go on a free list and are reused, so state stays bounded by the
// open windows.
type windowState struct {
	index    map[string]int32 // window start + group key -> slot (TUMBLE, HOP, none)
	mapKey   []string         // slot -> its index key ("" for sessions)
	groupKey []string         // slot -> encoded group key
	start    []int64
	end      []int64
	live     []bool
	free     []int32
	accs     []accumulator
	open     int
	keyBytes int
	// touched lists the slots changed since the last Flush (EMIT CHANGES).
	touched []int32
	mark    []bool
}

func newWindowState(accs []accumulator) *windowState {
	return &windowState{index: make(map[string]int32), accs: accs}
}

// alloc returns an empty live slot.
func (w *windowState) alloc(start, end int64, groupKey, mapKey string) int32 {
	var s int32
	if n := len(w.free); n > 0 {
		s = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		s = int32(len(w.live))
		w.mapKey = append(w.mapKey, "")
		w.groupKey = append(w.groupKey, "")
		w.start = append(w.start, 0)
		w.end = append(w.end, 0)
		w.live = append(w.live, false)
		w.mark = append(w.mark, false)
		for _, a := range w.accs {
			a.grow(len(w.live))
		}
	}
	w.mapKey[s], w.groupKey[s] = mapKey, groupKey
	w.start[s], w.end[s], w.live[s] = start, end, true
	for _, a := range w.accs {
		a.reset(s)
	}
	w.open++
	w.keyBytes += len(groupKey) + len(mapKey)
	return s
}

// lookup returns the slot of mapKey (window start + group key), creating it.
func (w *windowState) lookup(mapKey []byte, start, end int64, groupKey string) int32 {
	if s, ok := w.index[string(mapKey)]; ok {
		return s
	}
	k := string(mapKey)
	s := w.alloc(start, end, groupKey, k)
	w.index[k] = s
	return s
}

// release frees slot s and its accumulator state.
func (w *windowState) release(s int32) {
	if w.mapKey[s] != "" {
		delete(w.index, w.mapKey[s])
	}
	w.keyBytes -= len(w.groupKey[s]) + len(w.mapKey[s])
	for _, a := range w.accs {
		a.reset(s)
	}
	w.mapKey[s], w.groupKey[s] = "", ""
	w.live[s] = false
	w.free = append(w.free, s)
	w.open--
}

func (w *windowState) touch(s int32) {
	if !w.mark[s] {
		w.mark[s] = true
		w.touched = append(w.touched, s)
	}
}

// takeTouched returns the live touched slots and clears the set.
func (w *windowState) takeTouched() []int32 {
	out := make([]int32, 0, len(w.touched))
	for _, s := range w.touched {
		w.mark[s] = false
		if w.live[s] {
			out = append(out, s)
		}
	}
	w.touched = w.touched[:0]
	return out
}

// closed returns the live slots whose window ends at or before wm.
func (w *windowState) closed(wm int64) []int32 {
	var out []int32
	for s, ok := range w.live {
		if ok && w.end[s] <= wm {
			out = append(out, int32(s))
		}
	}
	return out
}

func (w *windowState) bytes() int64 {
	n := w.keyBytes + 64*w.open
	for s, ok := range w.live {
		if !ok {
			continue
		}
		for _, a := range w.accs {
			n += a.slotBytes(int32(s))
		}
	}
	return int64(n)
}
