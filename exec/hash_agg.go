package exec

import (
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
)

// batchAgg pre-aggregates one batch. Each kept row's encoded key is looked
// up in the operator's groupTable (a gid, stable across batches), then rows
// are grouped by (pane, gid) or by gid alone into batch groups, numbered
// in order of first appearance (or by (gid, pane) grid cell, see
// groupByGrid), and folded column-wise into per-batch
// accumulators. The operator's window state is then touched once per
// batch group, not once per row. Every buffer is reused across batches,
// so steady state allocates nothing per row or per group.
type batchAgg struct {
	enc    keyEncoder
	groups *groupTable
	gids   []int32 // row -> gid, -1 for dropped rows
	fresh  []int32 // gids this batch added to groups (swept by endBatch)

	rowGroup []int32 // row -> batch group, -1 for dropped rows
	pane     []int64 // batch group -> pane number (0 when grouped by key only)
	gid      []int32 // batch group -> gid

	// Grouping by (pane, gid) uses a dense grid of cells, indexed by
	// (pane - lowest pane) * stride + gid, when the batch's pane span times
	// the ids in use is small; otherwise a map. Grouping by gid alone uses
	// local. cells and local hold -1 between batches.
	cells  []int32
	cellOf []int32 // batch group -> its cell, to reset
	sparse map[paneGroup]int32
	local  []int32 // gid -> batch group

	accs []accumulator

	seen []bool // grid cell -> holds rows (groupByGrid)
}

type paneGroup struct {
	pane int64
	gid  int32
}

func newBatchAgg(groups *groupTable, accs []accumulator) *batchAgg {
	return &batchAgg{groups: groups, sparse: make(map[paneGroup]int32), accs: accs}
}

// assignGids encodes the key columns of the n rows not marked in drop and
// looks each up in the group table, adding new keys.
func (b *batchAgg) assignGids(n int, keys []arrow.Array, drop []bool) error {
	if len(keys) == 1 && keys[0].NullN() == 0 {
		switch k := keys[0]; k.DataType().ID() {
		case arrow.INT64, arrow.TIMESTAMP:
			assignFixedGids(b, arrow.GetValues[int64](k.Data(), 1)[:n], drop, 8)
			return nil
		case arrow.INT32, arrow.DATE32:
			assignFixedGids(b, arrow.GetValues[int32](k.Data(), 1)[:n], drop, 4)
			return nil
		}
	}
	if err := b.enc.encode(n, nil, keys); err != nil {
		return err
	}
	b.gids = resizeInt32(b.gids, n)
	t := b.groups
	for i := range n {
		if drop[i] {
			b.gids[i] = -1
			continue
		}
		g, added := t.findOrAdd(b.enc.row(i))
		if added {
			b.fresh = append(b.fresh, g)
		}
		b.gids[i] = g
	}
	return nil
}

// assignFixedGids is assignGids for one NULL-free int64 or int32 key
// column of width bytes: it builds each key's words (flag byte, then the big-endian value
// with the sign flipped, as keyEncoder writes it) straight from the value,
// and reuses the previous row's gid when the value repeats.
func assignFixedGids[T int32 | int64](b *batchAgg, vals []T, drop []bool, width int) {
	b.gids = resizeInt32(b.gids, len(vals))
	gids, t := b.gids, b.groups
	prevG := int32(-1)
	var prev T
	for i, v := range vals {
		if drop[i] {
			gids[i] = -1
			continue
		}
		if prevG >= 0 && v == prev {
			gids[i] = prevG
			continue
		}
		var w0, w1 uint64
		if width == 8 {
			u := uint64(v) ^ 1<<63
			w0, w1 = flagValue|bits.ReverseBytes64(u)<<8, u&0xff
		} else {
			w0 = flagValue | uint64(bits.ReverseBytes32(uint32(v)^1<<31))<<8
		}
		g, added := t.findOrAddShort(w0, w1, 1+width)
		if added {
			b.fresh = append(b.fresh, g)
		}
		gids[i], prevG, prev = g, g, v
	}
}

// endBatch frees the gids this batch added that no window slot took.
func (b *batchAgg) endBatch() {
	b.groups.sweep(b.fresh)
	b.fresh = b.fresh[:0]
}

func (b *batchAgg) startGroups(n int) {
	b.rowGroup = resizeInt32(b.rowGroup, n)
	b.pane, b.gid, b.cellOf = b.pane[:0], b.gid[:0], b.cellOf[:0]
}

// groupByPane groups the kept rows by (panes[i], gid); lo and hi bound the
// pane numbers of kept rows.
func (b *batchAgg) groupByPane(n int, panes []int64, lo, hi int64) {
	b.startGroups(n)
	stride := int64(b.groups.ids())
	limit := int64(max(4*n, 1<<16))
	if span := hi - lo; span < 0 || span >= limit || (span+1)*stride > limit {
		b.groupByPaneSparse(panes)
		return
	}
	if need := int((hi - lo + 1) * stride); len(b.cells) < need {
		old := len(b.cells)
		b.cells = growSlice(b.cells, need)
		for i := old; i < need; i++ {
			b.cells[i] = -1
		}
	}
	cells := b.cells
	for i, g := range b.gids[:n] {
		if g < 0 {
			b.rowGroup[i] = -1
			continue
		}
		c := int32((panes[i]-lo)*stride) + g
		bg := cells[c]
		if bg < 0 {
			bg = int32(len(b.gid))
			cells[c] = bg
			b.pane, b.gid, b.cellOf = append(b.pane, panes[i]), append(b.gid, g), append(b.cellOf, c)
		}
		b.rowGroup[i] = bg
	}
	for _, c := range b.cellOf {
		cells[c] = -1
	}
}

func (b *batchAgg) groupByPaneSparse(panes []int64) {
	clear(b.sparse)
	for i, g := range b.gids {
		if g < 0 {
			b.rowGroup[i] = -1
			continue
		}
		k := paneGroup{panes[i], g}
		bg, ok := b.sparse[k]
		if !ok {
			bg = int32(len(b.gid))
			b.sparse[k] = bg
			b.pane, b.gid = append(b.pane, panes[i]), append(b.gid, g)
		}
		b.rowGroup[i] = bg
	}
}

// groupByGrid groups the kept rows by (gid, pane) into a grid of
// span cells per gid, numbered gid*span + panes[i]-lo, so the cells of a
// gid are consecutive and in pane order. Every cell is a batch group,
// empty or not; seen marks those holding rows. It returns the cell count.
func (b *batchAgg) groupByGrid(n int, panes []int64, lo int64, span int) int {
	b.startGroups(n)
	cells := span * b.groups.ids()
	b.seen = growSlice(b.seen[:0], cells)[:cells]
	clear(b.seen)
	seen, rowGroup, sp := b.seen, b.rowGroup, int32(span)
	for i, g := range b.gids[:n] {
		if g < 0 {
			rowGroup[i] = -1
			continue
		}
		c := g*sp + int32(panes[i]-lo)
		rowGroup[i], seen[c] = c, true
	}
	return cells
}

// groupByKey groups the kept rows by gid alone.
func (b *batchAgg) groupByKey(n int) {
	b.startGroups(n)
	if ids := b.groups.ids(); len(b.local) < ids {
		old := len(b.local)
		b.local = growSlice(b.local, ids)
		for i := old; i < ids; i++ {
			b.local[i] = -1
		}
	}
	for i, g := range b.gids[:n] {
		if g < 0 {
			b.rowGroup[i] = -1
			continue
		}
		bg := b.local[g]
		if bg < 0 {
			bg = int32(len(b.gid))
			b.local[g] = bg
			b.pane, b.gid = append(b.pane, 0), append(b.gid, g)
		}
		b.rowGroup[i] = bg
	}
	for _, g := range b.gid {
		b.local[g] = -1
	}
}

// fold empties the batch accumulators and folds args into them by
// rowGroup (args[a] is nil for count(*)).
func (b *batchAgg) fold(args []arrow.Array) error { return b.foldInto(len(b.gid), args) }

// foldInto is fold into groups batch groups.
func (b *batchAgg) foldInto(groups int, args []arrow.Array) error {
	for a, acc := range b.accs {
		acc.resetAll(groups)
		if err := acc.update(b.rowGroup, args[a]); err != nil {
			return err
		}
	}
	return nil
}
