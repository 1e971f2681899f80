package exec

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"sync/atomic"

	"github.com/sluicedb/sluice/state"
)

// Spilling window state to Pebble.
//
// A window aggregate's open state may outgrow memory (many groups, long or
// many open windows), so each query instance's aggregate has a budget
// (Options.StateMemoryBudget, bytes of windowState.bytes()) and keeps the
// (window, group) slots that do not fit in the store's spill family
// (state/spill.go): key (spill id, operator, window end, window start,
// encoded group key), value the slot's accumulator states in the snapshot
// encoding (appendState, one after another). Every (window, group) is in
// exactly one place, memory or spill, so results are those of the
// all-in-memory run:
//
//   - Evict: after Flush, when the state is over budget, slots are written
//     to the spill and released, until it is under 3/4 of the budget: slots
//     no batch merged into since the previous Flush first, then older
//     windows (lower end), then the least recently merged. Between batches
//     nothing is in flight, so any slot may go; a batch may overshoot the
//     budget by the slots it creates. Slots changed since the last Flush
//     under EMIT CHANGES are never spilled (they are only ever marked
//     between a Push and its Flush, e.g. by a mid-batch snapshot), so the
//     changed set is always in memory.
//   - Reload: windowState.lookupIn is where every merge path (pane by pane,
//     HOP grid runs, running aggregates, restore) creates a missing slot.
//     When the slot's window has spilled entries (counted per window, so
//     other windows never touch Pebble), it Gets the entry and, if there
//     is one, reads its states into the new slot and deletes the entry.
//   - Emit: closing windows with spilled entries (EMIT ON WINDOW CLOSE) and
//     current() merge the sorted in-memory slots with a scan of the spill
//     range, which Pebble returns in (end, start, key) order since group
//     keys are order-preserving. Spilled entries are loaded into temporary
//     slots a chunk at a time (spillEmitRows rows, spillEmitBytes of
//     state), each chunk emitted as one batch and its temporary slots
//     released, so a huge closed window never sits in memory at once.
//     Closed windows' entries go with one range deletion.
//   - Snapshot writes the in-memory slots, then the spilled entries copied
//     verbatim (the value is the slot's snapshot encoding); restore loads
//     slots through lookupIn and spills as soon as the running size passes
//     the budget, so a larger-than-memory state restarts.
//
// Writes (evictions, deletions of reloaded entries) gather in one batch
// without sync, committed before anything scans the family (Flush, emit,
// snapshot) and at the end of every eviction; a reload Get can only meet
// a key whose deletion is pending if the key was spilled again, and the
// eviction that spilled it committed. Spill data is scratch: the instance
// deletes its range on Close, and NewEngine wipes the family.
//
// SESSION aggregates do not spill: a session's slot is found by overlap
// with the group's open sessions (sessionIndex), not by (start, key), and
// merging sessions rewrites bounds, so a spilled session would have to be
// found and re-keyed on every overlapping row.

const (
	// DefaultStateMemoryBudget is the default Options.StateMemoryBudget.
	DefaultStateMemoryBudget = 512 << 20
	// spillEmitRows and spillEmitBytes bound one output batch of a merged
	// emission and the spilled state loaded for it.
	spillEmitRows  = 16 << 10
	spillEmitBytes = 8 << 20
	// spillSlotOverhead approximates the bytes of a slot besides its
	// accumulators: its columns (64) and index entry (16).
	spillSlotOverhead = 64 + 16
)

// spillSeq numbers spill ids within the process, so two instances of a
// query (a restart, a re-created view) never share spilled entries.
var spillSeq atomic.Uint64

// newSpillID returns a spill id for a new instance of query id.
func newSpillID(query string) string {
	if query == "" {
		query = "push"
	}
	return query + "#" + strconv.FormatUint(spillSeq.Add(1), 10)
}

// windowSpill is the spilled part of one window aggregate's state.
type windowSpill struct {
	store  *state.Store
	id     string
	op     uint32
	budget int64
	// wins counts the spilled entries of each window, by start; total is
	// their sum and minEnd bounds their ends from below.
	wins   map[int64]spillWin
	total  int64
	minEnd int64
	batch  *state.Batch // pending writes, nil when none
	// err is the first failure of a path that cannot return one (a reload
	// inside a merge); Push and Flush return it.
	err error
	// hit says the last reload found an entry (restore's duplicate check).
	hit bool
	// est is restore's running estimate of the state size.
	est       int64
	key, val  []byte  // scratch
	order     []int32 // eviction candidates
	chunk     []int32 // merged emission: slots of the batch being built
	temps     []int32 // its temporary slots
	tempBytes int64
	emitRows  int // rows of a merged emission's batch (tests lower it)
	// Figures for tests: entries written and read back.
	evicted, reloaded int64
}

type spillWin struct{ end, n int64 }

// enableSpill gives w a spill area in store under (id, op) and a memory
// budget; SESSION aggregates and negative budgets keep everything in memory.
func (w *windowAgg) enableSpill(store *state.Store, id string, op uint32, budget int64) {
	if w.sess != nil || store == nil || budget < 0 {
		return
	}
	w.spill = &windowSpill{store: store, id: id, op: op, budget: budget,
		wins: make(map[int64]spillWin), minEnd: math.MaxInt64, emitRows: spillEmitRows}
	w.state.sp = w.spill
}

// pending returns the batch collecting spill writes.
func (sp *windowSpill) pending() *state.Batch {
	if sp.batch == nil {
		sp.batch = sp.store.NewBatch()
	}
	return sp.batch
}

// commit applies the pending writes and returns the sticky error, if any.
func (sp *windowSpill) commit() error {
	if sp.batch != nil {
		b := sp.batch
		sp.batch = nil
		if err := b.Commit(false); err != nil && sp.err == nil {
			sp.err = fmt.Errorf("window aggregate: spill: %w", err)
		}
	}
	return sp.err
}

// close drops the pending writes and the instance's spilled entries.
func (sp *windowSpill) close() {
	if sp.batch != nil {
		sp.batch.Close()
		sp.batch = nil
	}
	// Best effort: the engine wipes the family at its next start anyway.
	_ = sp.store.DeleteSpill(sp.id, sp.op)
}

// keyOf builds the spill key of slot s of st in sp.key.
func (sp *windowSpill) keyOf(st *windowState, s int32) []byte {
	sp.key = state.AppendSpillKey(sp.key[:0], sp.id, sp.op, st.end[s], st.start[s], st.groups.key(st.gid[s]))
	return sp.key
}

// closes reports whether some spilled window ends at or before wm.
func (sp *windowSpill) closes(wm int64) bool { return sp.total > 0 && sp.minEnd <= wm }

// dropClosed forgets the spilled windows ending at or before wm and
// deletes their entries with one range deletion.
func (sp *windowSpill) dropClosed(wm int64) {
	sp.minEnd = math.MaxInt64
	for start, win := range sp.wins {
		if win.end <= wm {
			sp.total -= win.n
			delete(sp.wins, start)
		} else {
			sp.minEnd = min(sp.minEnd, win.end)
		}
	}
	sp.pending().DeleteSpillUpTo(sp.id, sp.op, wm)
}

// count adds d spilled entries to the window [start, end).
func (sp *windowSpill) count(start, end, d int64) {
	win := sp.wins[start]
	win.end, win.n = end, win.n+d
	sp.total += d
	if win.n == 0 {
		delete(sp.wins, start)
		return
	}
	sp.wins[start] = win
	sp.minEnd = min(sp.minEnd, end)
}

// reload reads the spilled entry of the slot s just created, if any,
// into s and deletes it. Failures stick in sp.err.
func (w *windowState) reload(s int32) {
	sp := w.sp
	sp.hit = false
	if _, ok := sp.wins[w.start[s]]; !ok || sp.err != nil {
		return
	}
	v, err := sp.store.Get(sp.keyOf(w, s))
	if errors.Is(err, state.ErrNotFound) {
		return
	}
	if err == nil {
		err = w.readStates(s, v)
	}
	if err != nil {
		sp.err = fmt.Errorf("window aggregate: reload spilled state: %w", err)
		return
	}
	sp.pending().Delete(sp.key)
	sp.count(w.start[s], w.end[s], -1)
	sp.hit = true
	sp.reloaded++
}

// readStates sets the empty slot s to the accumulator states in v.
func (w *windowState) readStates(s int32, v []byte) error {
	r := &stateReader{b: v}
	for _, a := range w.accs {
		a.readState(r, s)
	}
	if r.err == nil && r.len() != 0 {
		r.fail("trailing bytes after the accumulator states")
	}
	return r.err
}

// slotCost approximates the bytes releasing slot s frees.
func (w *windowState) slotCost(s int32) int64 {
	n := spillSlotOverhead
	for _, a := range w.accs {
		n += a.slotBytes(s)
	}
	if g := w.gid[s]; w.groups.refs[g] == 1 {
		n += len(w.groups.key(g)) + 36 // the group goes with its last slot
	}
	return int64(n)
}

// spillSlot writes slot s to the spill and releases it.
func (w *windowState) spillSlot(s int32) {
	sp := w.sp
	sp.val = sp.val[:0]
	for _, a := range w.accs {
		sp.val = a.appendState(sp.val, s)
	}
	sp.pending().Set(sp.keyOf(w, s), sp.val)
	sp.count(w.start[s], w.end[s], 1)
	sp.evicted++
	w.release(s)
}

// evictIfOver spills slots when the state is over its budget.
func (w *windowAgg) evictIfOver() error {
	sp := w.spill
	if have := w.state.bytes(); have > sp.budget {
		w.evict(have, sp.budget/4*3)
	}
	return sp.commit()
}

// evict spills slots, coldest first, until the state is about target
// bytes (have now) or nothing more may go. See the file comment for the
// order.
func (w *windowAgg) evict(have, target int64) {
	st, sp := w.state, w.spill
	order := sp.order[:0]
	for s, live := range st.live {
		if live && !(st.track && st.mark[s]) {
			order = append(order, int32(s))
		}
	}
	hot := func(s int32) bool { return st.stamp[s] == st.epoch }
	slices.SortFunc(order, func(a, b int32) int {
		if ha, hb := hot(a), hot(b); ha != hb {
			if hb {
				return -1
			}
			return 1
		}
		if c := compareInt64(st.end[a], st.end[b]); c != 0 {
			return c
		}
		if st.stamp[a] != st.stamp[b] {
			return int(int64(st.stamp[a]) - int64(st.stamp[b]))
		}
		return int(a - b)
	})
	for _, s := range order {
		if have <= target {
			break
		}
		have -= st.slotCost(s)
		st.spillSlot(s)
	}
	sp.order = order[:0]
}

// afterFlush drops the spilled windows Flush closed, spills what is over
// budget and starts the next batch's recency epoch.
func (w *windowAgg) afterFlush(wm int64, spilledClosed bool) error {
	sp := w.spill
	if spilledClosed {
		sp.dropClosed(wm)
	}
	err := w.evictIfOver()
	w.state.epoch++
	return err
}

// slotBefore reports whether slot s sorts before spilled entry e.
func (w *windowAgg) slotBefore(s int32, e state.WindowEntry) bool {
	st := w.state
	if st.end[s] != e.End {
		return st.end[s] < e.End
	}
	if st.start[s] != e.Start {
		return st.start[s] < e.Start
	}
	return bytes.Compare(w.groups.key(st.gid[s]), e.Group) < 0
}

// emitMerged emits slots (in memory) and the spilled entries of windows
// ending at or before upTo, together in (end, start, key) order, in
// chunks (see the file comment). It changes no state but the spill
// writes it commits first.
func (w *windowAgg) emitMerged(ctx context.Context, slots []int32, upTo int64, emit EmitFunc) error {
	sp := w.spill
	if err := sp.commit(); err != nil {
		return err
	}
	w.sortSlots(slots)
	i := 0
	err := sp.store.ScanSpill(sp.id, sp.op, upTo, func(e state.WindowEntry) error {
		for ; i < len(slots) && w.slotBefore(slots[i], e); i++ {
			if err := w.addChunk(ctx, slots[i], false, emit); err != nil {
				return err
			}
		}
		s, err := w.loadTemp(e)
		if err != nil {
			return err
		}
		return w.addChunk(ctx, s, true, emit)
	})
	for ; err == nil && i < len(slots); i++ {
		err = w.addChunk(ctx, slots[i], false, emit)
	}
	if err == nil {
		err = w.emitChunk(ctx, emit)
	}
	w.releaseTemps()
	return err
}

// loadTemp loads spilled entry e into a temporary slot, outside the index.
func (w *windowAgg) loadTemp(e state.WindowEntry) (int32, error) {
	g, _ := w.groups.findOrAdd(e.Group)
	s := w.state.alloc(e.Start, e.End, g, false)
	if err := w.state.readStates(s, e.Value); err != nil {
		w.state.release(s)
		return 0, fmt.Errorf("window aggregate: spilled state: %w", err)
	}
	return s, nil
}

// addChunk appends slot s to the chunk being built, emitting it when full.
func (w *windowAgg) addChunk(ctx context.Context, s int32, temp bool, emit EmitFunc) error {
	sp := w.spill
	sp.chunk = append(sp.chunk, s)
	if temp {
		sp.temps = append(sp.temps, s)
		sp.tempBytes += w.state.slotCost(s)
	}
	if len(sp.chunk) < sp.emitRows && sp.tempBytes < spillEmitBytes {
		return nil
	}
	return w.emitChunk(ctx, emit)
}

// emitChunk emits the chunk and releases its temporary slots.
func (w *windowAgg) emitChunk(ctx context.Context, emit EmitFunc) error {
	sp := w.spill
	if len(sp.chunk) == 0 {
		return nil
	}
	err := w.emitSorted(ctx, sp.chunk, emit)
	sp.chunk = sp.chunk[:0]
	w.releaseTemps()
	return err
}

func (w *windowAgg) releaseTemps() {
	sp := w.spill
	for _, s := range sp.temps {
		w.state.release(s)
	}
	sp.chunk, sp.temps, sp.tempBytes = sp.chunk[:0], sp.temps[:0], 0
}

// spillSlots is the number of spilled (window, group) entries.
func (w *windowAgg) spillSlots() int64 {
	if w.spill == nil {
		return 0
	}
	return w.spill.total
}

// snapshotSpilled writes the spilled entries as slots of the open slots
// record: the value is already the slots' accumulator encoding.
func (w *windowAgg) snapshotSpilled(cw *chunkWriter) error {
	sp := w.spill
	if err := sp.commit(); err != nil {
		return err
	}
	return sp.store.ScanSpill(sp.id, sp.op, math.MaxInt64, func(e state.WindowEntry) error {
		for {
			cw.beginSlot()
			b := append(cw.buf, 0) // flags: spilled slots never changed since the last Flush
			b = binary.AppendVarint(b, e.Start-cw.base)
			cw.base = e.Start
			b = binary.AppendUvarint(b, uint64(e.End-e.Start))
			b = appendBytes(b, e.Group)
			cw.buf = append(b, e.Value...)
			redo, err := cw.endSlot()
			if err != nil || !redo {
				return err
			}
		}
	})
}

// spillRestored counts restored slot s into the running size and spills
// once it passes the budget, so a state larger than memory restores.
func (w *windowAgg) spillRestored(s int32) error {
	sp := w.spill
	sp.est += w.state.slotCost(s)
	if sp.est <= sp.budget {
		return nil
	}
	if have := w.state.bytes(); have > sp.budget {
		w.evict(have, sp.budget/4*3)
	}
	sp.est = w.state.bytes()
	return sp.commit()
}
