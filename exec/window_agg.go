package exec

import (
	"context"
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// windowAgg is the window aggregate (WindowAggSpec): it assigns rows to
// windows, pre-aggregates each batch by (pane or session, group) and
// merges the batch partials into per-(window, group) state, which Flush
// emits and frees as the watermark closes windows. Group keys are interned
// once in groups and named by id everywhere else.
type windowAgg struct {
	mem     memory.Allocator
	spec    WindowAggSpec
	panes   paneAssigner
	gap     int64 // SESSION gap in µs
	args    []Expr
	exprs   []Expr           // keys then args, evaluated per batch
	cols    []arrow.Array    // their values for the current batch
	aggOut  []arrow.DataType // natural accumulator result types
	schema  *arrow.Schema
	groups  *groupTable
	batch   *batchAgg
	state   *windowState
	sess    *sessionIndex
	prevWM  int64   // watermark of the previous Flush: windows ending at or before it are closed
	prefix  []int64 // row -> pane number, or event time for sessions
	drop    []bool
	dst     []int32 // merge pairs: state slot <- batch group
	src     []int32
	from    []int32 // HOP: state slot dst[i] <- batch groups [from[i], to[i])
	to      []int32
	held    []int32     // mergeGrid scratch
	tabs    []*gidTable // index tables of the current pane's windows, nil until needed
	stats   OpStats
	keyType []arrow.DataType
	// fixedAccs says every aggregate's state is fixed-size, so empty
	// batch groups cost no more than a reset.
	fixedAccs bool
	// spill, when set, keeps the state over the memory budget in the
	// store (window_spill.go); nil keeps it all in memory.
	spill *windowSpill
}

var _ Operator = (*windowAgg)(nil)

func (w *windowAgg) Push(ctx context.Context, in arrow.RecordBatch, emit EmitFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	n := int(in.NumRows())
	if n == 0 {
		return nil
	}
	if err := evalInto(ctx, w.mem, w.exprs, in, w.cols); err != nil {
		return fmt.Errorf("window aggregate: %w", err)
	}
	defer releaseInto(w.cols)
	keys, args := w.cols[:len(w.spec.Keys)], w.cols[len(w.spec.Keys):]
	lo, hi, err := w.assignRows(in, n)
	if err != nil {
		return err
	}
	defer w.batch.endBatch()
	if err := w.batch.assignGids(n, keys, w.drop); err != nil {
		return fmt.Errorf("window aggregate: %w", err)
	}
	if w.spec.Window.Kind == Session {
		err = w.pushSession(n, args)
	} else {
		err = w.pushPanes(n, args, lo, hi)
	}
	if err == nil && w.spill != nil {
		err = w.spill.err // a reload that failed inside a merge
	}
	if err != nil {
		return fmt.Errorf("window aggregate: %w", err)
	}
	return nil
}

// evalInto evaluates exprs into out (len(exprs)); nil entries give nil
// arrays, for count(*). On error out holds nothing.
func evalInto(ctx context.Context, mem memory.Allocator, exprs []Expr, b arrow.RecordBatch, out []arrow.Array) error {
	for i, e := range exprs {
		if e == nil {
			out[i] = nil
			continue
		}
		a, err := e.Eval(ctx, mem, b)
		if err != nil {
			releaseInto(out[:i])
			return err
		}
		out[i] = a
	}
	return nil
}

func releaseArrays(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// releaseInto releases and clears as.
func releaseInto(as []arrow.Array) {
	releaseArrays(as)
	clear(as)
}

// assignRows fills w.prefix (pane number, or event time for sessions) and
// w.drop for NULL event times and rows late for every window they fall in.
// For panes it returns the lowest and highest pane number of kept rows.
func (w *windowAgg) assignRows(in arrow.RecordBatch, n int) (lo, hi int64, err error) {
	w.prefix = growSlice(w.prefix[:0], n)[:n]
	w.drop = growSlice(w.drop[:0], n)[:n]
	kind := w.spec.Window.Kind
	if kind == NoWindow {
		clear(w.prefix)
		clear(w.drop)
		return 0, 0, nil
	}
	col := in.Column(w.spec.Window.TimeCol)
	if col.DataType().ID() != arrow.TIMESTAMP {
		return 0, 0, fmt.Errorf("window aggregate: event time column is %s, want timestamp", col.DataType())
	}
	ts := arrow.GetValues[int64](col.Data(), 1)[:n]
	if kind == Session {
		w.assignSession(col, ts)
		return 0, 0, nil
	}
	lo, hi = w.assignPanes(col, ts)
	return lo, hi, nil
}

// assignSession keeps every row with an event time. Whether a row is late
// depends on the session it joins, which pushSession decides once the
// batch's sessions are cut (see lateBatchSession).
func (w *windowAgg) assignSession(col arrow.Array, ts []int64) {
	nulls := col.NullN() > 0
	for i, t := range ts {
		w.drop[i] = false
		w.prefix[i] = t
		if nulls && col.IsNull(i) {
			w.drop[i] = true
			w.stats.NullTimeRows++
		}
	}
}

// assignPanes maps rows to pane numbers. Every row of a pane falls in the
// same windows, so lateness is worked out once per run of rows in one pane.
func (w *windowAgg) assignPanes(col arrow.Array, ts []int64) (lo, hi int64) {
	nulls := col.NullN() > 0
	p := w.panes
	lo, hi = math.MaxInt64, math.MinInt64
	var pn, from, to int64 = 0, 1, 0 // [from, to) is pane pn; empty at first
	var drop, late bool
	for i, t := range ts {
		if nulls && col.IsNull(i) {
			w.drop[i] = true
			w.stats.NullTimeRows++
			continue
		}
		if t < from || t >= to {
			pn = floorDiv(t, p.pane)
			from, to = pn*p.pane, pn*p.pane+p.pane
			if from < math.MinInt64/4 || from > math.MaxInt64/4 {
				to = from // far from the epoch: no caching, so overflow behaves per row
			}
			drop = p.lastEnd(t) <= w.prevWM
			late = drop || p.firstEnd(t) <= w.prevWM // HOP: dropped from its older windows only
		}
		w.prefix[i], w.drop[i] = pn, drop
		if late {
			w.stats.LateRows++
		}
		if !drop {
			lo, hi = min(lo, pn), max(hi, pn)
		}
	}
	return lo, hi
}

// pushPanes pre-aggregates by (pane, group), then merges each pane partial
// into every still-open window that contains the pane.
func (w *windowAgg) pushPanes(n int, args []arrow.Array, lo, hi int64) error {
	b := w.batch
	if span, ok := w.gridSpan(n, lo, hi); ok {
		if err := b.foldInto(b.groupByGrid(n, w.prefix, lo, span), args); err != nil {
			return err
		}
		w.mergeGrid(lo, hi, span)
		for a, acc := range w.state.accs {
			if err := acc.mergeRanges(w.dst, b.accs[a], w.from, w.to); err != nil {
				return err
			}
		}
		return nil
	}
	b.groupByPane(n, w.prefix, lo, hi)
	if err := b.fold(args); err != nil {
		return err
	}
	if w.spec.Window.Kind == NoWindow {
		w.dst, w.src = w.dst[:0], w.src[:0]
		for bg, g := range b.gid {
			w.mergeInto(0, noWindowEnd, g, bg)
		}
	} else {
		w.mergePanes()
	}
	for a, acc := range w.state.accs {
		if err := acc.mergeAll(w.dst, b.accs[a], w.src); err != nil {
			return err
		}
	}
	return nil
}

// mergePanes queues every batch group (pane, group) for merging into each
// still-open window that contains the pane, finding the window's slot in
// the group's cache of recent windows first.
func (w *windowAgg) mergePanes() {
	b, st, p, prevWM := w.batch, w.state, w.panes, w.prevWM
	dst, src := w.dst[:0], w.src[:0]
	ids, mask := w.groups.ids(), uint64(st.ringLen-1)
	var curPane, first, last int64 = 0, 1, 0 // window starts first..last (× slide) of curPane
	for bg, pn := range b.pane {
		g := b.gid[bg]
		if pn != curPane || first > last {
			start := pn * p.pane
			curPane, first, last = pn, ceilDiv(start+p.pane-p.size, p.slide), floorDiv(start, p.slide)
			w.tabs = growSlice(w.tabs[:0], int(last-first+1))
			clear(w.tabs)
		}
		ring := st.ring(g, ids)
		for k := first; k <= last; k++ {
			start := k * p.slide
			end := start + p.size
			if end <= prevWM { // closed before this batch: late
				continue
			}
			e := &ring[uint64(k)&mask]
			s := e.slot - 1
			if e.slot == 0 || e.start != start {
				t := w.tabs[k-first]
				if t == nil {
					t = st.index.window(start)
					w.tabs[k-first] = t
				}
				s = st.lookupIn(t, start, end, g)
				*e = ringEntry{start: start, slot: s + 1}
			}
			st.touch(s)
			dst, src = append(dst, s), append(src, int32(bg))
		}
	}
	w.dst, w.src = dst, src
}

// gridSpan reports whether this batch of n rows, with kept panes lo..hi,
// groups by grid and merges by sliding scan (groupByGrid, mergeGrid), and
// its span of panes: HOP windows of several panes, fixed-size
// accumulators, pane and window bounds far from overflow, and a grid of
// (ids in use) × span cells no larger than twice the rows.
func (w *windowAgg) gridSpan(n int, lo, hi int64) (int, bool) {
	p := w.panes
	if w.spec.Window.Kind != Hop || p.perPane() < 2 || lo > hi || !w.fixedAccs {
		return 0, false
	}
	const far = math.MaxInt64 / 4
	if p.size > far || lo < -far/p.pane || hi > far/p.pane || hi-lo >= int64(n) {
		return 0, false
	}
	span := int(hi - lo + 1)
	return span, span*w.groups.ids() <= 2*n
}

// mergeGrid queues, for each gid, every still-open window that holds
// one of its batch rows, with the run of grid cells it covers: window k
// holds panes [k*r, k*r+q), consecutive cells of the gid. Each (window,
// group) looks up its state slot once.
func (w *windowAgg) mergeGrid(lo, hi int64, span int) {
	b, st, p, prevWM := w.batch, w.state, w.panes, w.prevWM
	r, q := p.slide/p.pane, p.size/p.pane
	kmin, kmax := ceilDiv(lo+1-q, r), floorDiv(hi, r)
	w.tabs = growSlice(w.tabs[:0], int(kmax-kmin+1))
	clear(w.tabs)
	dst, from, to := w.dst[:0], w.from[:0], w.to[:0]
	w.held = growSlice(w.held[:0], span+1)[:span+1] // cells holding rows before each cell
	held := w.held
	for g := range int32(w.groups.ids()) {
		base := int(g) * span
		for c, x := range b.seen[base : base+span] {
			held[c+1] = held[c]
			if x {
				held[c+1]++
			}
		}
		if held[span] == 0 {
			continue
		}
		for k := kmin; k <= kmax; k++ {
			i, j := int(max(k*r-lo, 0)), int(min(k*r+q-lo, int64(span)))
			start := k * p.slide
			end := start + p.size
			if held[j] == held[i] || end <= prevWM { // no rows, or closed before this batch: late
				continue
			}
			t := w.tabs[k-kmin]
			if t == nil {
				t = st.index.window(start)
				w.tabs[k-kmin] = t
			}
			s := st.lookupIn(t, start, end, g)
			st.touch(s)
			dst, from, to = append(dst, s), append(from, int32(base+i)), append(to, int32(base+j))
		}
	}
	w.dst, w.from, w.to = dst, from, to
}

// mergeInto queues batch group bg for merging into window [start, end) of group g.
func (w *windowAgg) mergeInto(start, end int64, g int32, bg int) {
	s := w.state.lookup(start, end, g)
	w.state.touch(s)
	w.dst, w.src = append(w.dst, s), append(w.src, int32(bg))
}

// Flush emits closed windows (EMIT ON WINDOW CLOSE) or the changed groups
// (EMIT CHANGES), then frees every window that ends at or before wm.
func (w *windowAgg) Flush(ctx context.Context, wm int64, emit EmitFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.spill != nil {
		if err := w.spill.commit(); err != nil {
			return err
		}
	}
	closed := w.state.closed(wm)
	spilledClosed := w.spill != nil && w.spill.closes(wm)
	var err error
	switch {
	case w.spec.Emit == EmitChanges:
		err = w.emitSlots(ctx, w.state.takeTouched(), emit)
	case spilledClosed:
		err = w.emitMerged(ctx, closed, wm, emit)
	default:
		err = w.emitSlots(ctx, closed, emit)
	}
	if err != nil {
		return err
	}
	for _, s := range closed {
		if w.sess != nil {
			w.sess.remove(w.state.gid[s], s)
		}
		w.state.release(s)
	}
	w.prevWM = max(w.prevWM, wm)
	if w.spill != nil {
		return w.afterFlush(wm, spilledClosed)
	}
	return nil
}

// Stats reports the state in memory (StateBytes) and the open groups,
// spilled ones included.
func (w *windowAgg) Stats() OpStats {
	st := w.stats
	st.SpilledSlots = w.spillSlots()
	st.OpenGroups = int64(w.state.open) + st.SpilledSlots
	st.StateBytes = w.state.bytes()
	return st
}

// Close drops all state, spilled entries included; accumulators hold Go
// memory only.
func (w *windowAgg) Close() {
	if w.spill != nil {
		w.spill.close()
		w.spill = nil
	}
	w.groups = newGroupTable()
	w.state = newWindowState(w.groups, nil, 0, false)
	w.batch = newBatchAgg(w.groups, nil)
	if w.sess != nil {
		w.sess = newSessionIndex()
	}
}
