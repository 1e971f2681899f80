package exec

import "math/bits"

// slotIndex maps (window start, gid) to a slot in two levels: window start
// to a table of that window's groups, then gid to slot in that table. A
// batch merges its cells pane by pane into the few windows that contain
// the pane, so the lookups of a stretch go to a few small tables that stay
// in cache, where one table over every open window would miss on most of
// them. A window's table goes back to a pool when its last slot leaves.
type slotIndex struct {
	byStart map[int64]*gidTable
	last    *gidTable // table of the most recent window looked up
	pool    []*gidTable
	n       int // entries over all tables
}

// maxPooledTables bounds the empty tables kept for reuse.
const maxPooledTables = 64

func newSlotIndex() slotIndex { return slotIndex{byStart: make(map[int64]*gidTable)} }

// window returns the table of the window starting at start, creating it.
func (x *slotIndex) window(start int64) *gidTable {
	if t := x.last; t != nil && t.start == start {
		return t
	}
	t, ok := x.byStart[start]
	if !ok {
		if n := len(x.pool); n > 0 {
			t = x.pool[n-1]
			x.pool = x.pool[:n-1]
		} else {
			t = newGidTable()
		}
		t.start = start
		x.byStart[start] = t
	}
	x.last = t
	return t
}

// remove deletes (start, g), which must be present.
func (x *slotIndex) remove(start int64, g int32) {
	t := x.window(start)
	t.remove(g)
	x.n--
	if t.n > 0 {
		return
	}
	delete(x.byStart, start)
	x.last = nil
	if len(x.pool) < maxPooledTables {
		x.pool = append(x.pool, t)
	}
}

// gidTable maps the gids of one window to slots: open addressing with
// linear probing, Fibonacci hashing of the gid, while the window holds
// few of the ids in use. Once it holds at least one in denseFactor of
// them, the table turns dense: slot+1 indexed by gid, 4 bytes per id
// instead of 16 to 32 per entry, so the table of a window holding most
// groups stays in cache. A dense table goes back to hashing when an
// insert would make it sparser than that.
type gidTable struct {
	start int64
	e     []gidEntry // len is a power of two
	shift uint8      // 32 - log2(len(e))
	n     int
	dense []int32 // gid -> slot+1 (0 = absent) when non-nil; then e is unused
}

// denseFactor is the most ids per entry a dense table may have.
const denseFactor = 8

type gidEntry struct {
	gid  int32
	slot int32 // slot+1, 0 = empty
}

const gidTableMin = 16

func newGidTable() *gidTable {
	return &gidTable{e: make([]gidEntry, gidTableMin), shift: uint8(33 - bits.Len(gidTableMin))}
}

func (t *gidTable) home(g int32) uint32 { return uint32(g) * 0x9e3779b9 >> t.shift }

// find returns the slot of g, or -1 and the position to insert it.
func (t *gidTable) find(g int32) (uint32, int32) {
	if t.dense != nil {
		if int(g) < len(t.dense) {
			return uint32(g), t.dense[g] - 1
		}
		return uint32(g), -1
	}
	mask := uint32(len(t.e) - 1)
	for i := t.home(g); ; i = (i + 1) & mask {
		e := t.e[i]
		if e.slot == 0 {
			return i, -1
		}
		if e.gid == g {
			return i, e.slot - 1
		}
	}
}

func (t *gidTable) insert(pos uint32, g, s int32) {
	if t.dense != nil {
		if int(g) >= len(t.dense) {
			if denseFactor*(t.n+1) <= int(g) {
				t.toSparse()
				pos, _ = t.find(g)
				t.insert(pos, g, s)
				return
			}
			t.dense = growSlice(t.dense, int(g)+1)
		}
		t.dense[g] = s + 1
		t.n++
		return
	}
	t.e[pos] = gidEntry{gid: g, slot: s + 1}
	if t.n++; 2*t.n > len(t.e) {
		t.grow()
	}
}

func (t *gidTable) grow() {
	if t.toDense() {
		return
	}
	old := t.e
	t.e, t.shift = make([]gidEntry, 2*len(old)), t.shift-1
	mask := uint32(len(t.e) - 1)
	for _, e := range old {
		if e.slot == 0 {
			continue
		}
		i := t.home(e.gid)
		for t.e[i].slot != 0 {
			i = (i + 1) & mask
		}
		t.e[i] = e
	}
}

// toDense turns t dense when its gids are packed enough, reporting so.
func (t *gidTable) toDense() bool {
	var top int32
	for _, e := range t.e {
		if e.slot != 0 {
			top = max(top, e.gid)
		}
	}
	if int(top) >= denseFactor*t.n {
		return false
	}
	d := make([]int32, int(top)+1)
	for _, e := range t.e {
		if e.slot != 0 {
			d[e.gid] = e.slot
		}
	}
	t.dense, t.e = d, nil
	return true
}

// toSparse turns a dense t back into a hash table.
func (t *gidTable) toSparse() {
	size := gidTableMin
	for 2*(t.n+1) > size {
		size *= 2
	}
	t.e, t.shift = make([]gidEntry, size), uint8(33-bits.Len(uint(size)))
	d, n := t.dense, t.n
	t.dense = nil
	mask := uint32(size - 1)
	for g, s := range d {
		if s == 0 {
			continue
		}
		i := t.home(int32(g))
		for t.e[i].slot != 0 {
			i = (i + 1) & mask
		}
		t.e[i] = gidEntry{gid: int32(g), slot: s}
	}
	t.n = n
}

// remove deletes g, which must be present, by backward shift.
func (t *gidTable) remove(g int32) {
	if t.dense != nil {
		t.dense[g] = 0
		t.n--
		return
	}
	mask := uint32(len(t.e) - 1)
	i := t.home(g)
	for t.e[i].gid != g || t.e[i].slot == 0 {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; t.e[j].slot != 0; j = (j + 1) & mask {
		home := t.home(t.e[j].gid)
		// Move entry j back to the hole at i unless its home lies
		// cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.e[i] = t.e[j]
			i = j
		}
	}
	t.e[i] = gidEntry{}
	t.n--
}
