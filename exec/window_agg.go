package exec

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// windowAgg is the window aggregate (WindowAggSpec): it assigns rows to
// windows, pre-aggregates each batch by (pane or session, group key) and
// merges the batch partials into per-(window, group) state, which Flush
// emits and frees as the watermark closes windows.
type windowAgg struct {
	mem     memory.Allocator
	spec    WindowAggSpec
	panes   paneAssigner
	gap     int64 // SESSION gap in µs
	args    []Expr
	aggOut  []arrow.DataType // natural accumulator result types
	schema  *arrow.Schema
	batch   *batchAgg
	state   *windowState
	sess    *sessionIndex
	prevWM  int64 // watermark of the previous Flush: windows ending at or before it are closed
	prefix  []int64
	drop    []bool
	mapKey  []byte
	stats   OpStats
	keyType []arrow.DataType
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
	cols, err := evalAll(ctx, w.mem, append(append([]Expr(nil), w.spec.Keys...), w.args...), in)
	if err != nil {
		return fmt.Errorf("window aggregate: %w", err)
	}
	defer releaseArrays(cols)
	keys, args := cols[:len(w.spec.Keys)], cols[len(w.spec.Keys):]
	if err := w.assignRows(in, n); err != nil {
		return err
	}
	if w.spec.Window.Kind == Session {
		err = w.pushSession(n, keys, args)
	} else {
		err = w.pushPanes(n, keys, args)
	}
	if err != nil {
		return fmt.Errorf("window aggregate: %w", err)
	}
	return nil
}

// evalAll evaluates exprs (nil entries give nil arrays, for count(*)).
func evalAll(ctx context.Context, mem memory.Allocator, exprs []Expr, b arrow.RecordBatch) ([]arrow.Array, error) {
	out := make([]arrow.Array, len(exprs))
	for i, e := range exprs {
		if e == nil {
			continue
		}
		a, err := e.Eval(ctx, mem, b)
		if err != nil {
			releaseArrays(out)
			return nil, err
		}
		out[i] = a
	}
	return out, nil
}

func releaseArrays(as []arrow.Array) {
	for _, a := range as {
		if a != nil {
			a.Release()
		}
	}
}

// assignRows fills w.prefix (pane start, or event time for sessions) and
// w.drop for NULL event times and rows late for every window they fall in.
func (w *windowAgg) assignRows(in arrow.RecordBatch, n int) error {
	w.prefix = growSlice(w.prefix[:0], n)[:n]
	w.drop = growSlice(w.drop[:0], n)[:n]
	kind := w.spec.Window.Kind
	if kind == NoWindow {
		clear(w.prefix)
		clear(w.drop)
		return nil
	}
	col := in.Column(w.spec.Window.TimeCol)
	if col.DataType().ID() != arrow.TIMESTAMP {
		return fmt.Errorf("window aggregate: event time column is %s, want timestamp", col.DataType())
	}
	ts := arrow.GetValues[int64](col.Data(), 1)
	nulls := col.NullN() > 0
	for i, t := range ts {
		w.drop[i] = false
		switch {
		case nulls && col.IsNull(i):
			w.drop[i] = true
			w.stats.NullTimeRows++
		case kind == Session:
			w.prefix[i] = t
			if t+w.gap <= w.prevWM { // its session would already have closed
				w.drop[i] = true
				w.stats.LateRows++
			}
		default:
			w.prefix[i] = w.panes.paneStart(t)
			if w.panes.lastEnd(t) <= w.prevWM {
				w.drop[i] = true
				w.stats.LateRows++
			} else if w.panes.firstEnd(t) <= w.prevWM {
				w.stats.LateRows++ // HOP: dropped from its older windows only
			}
		}
	}
	return nil
}

// pushPanes pre-aggregates by (pane, key), then merges each pane partial
// into every still-open window that contains the pane.
func (w *windowAgg) pushPanes(n int, keys, args []arrow.Array) error {
	if err := w.batch.group(n, w.prefix, keys, w.drop, args); err != nil {
		return err
	}
	for g, k := range w.batch.keys {
		pane := int64(binary.BigEndian.Uint64([]byte(k[:8])) ^ (1 << 63))
		groupKey := k[8:]
		err := w.paneWindows(pane, func(start, end int64) error {
			if end <= w.prevWM {
				return nil // closed before this batch: late for this window
			}
			w.mapKey = append(append(w.mapKey[:0], k[:8]...), groupKey...)
			binary.BigEndian.PutUint64(w.mapKey, uint64(start)^(1<<63))
			s := w.state.lookup(w.mapKey, start, end, groupKey)
			for a, acc := range w.state.accs {
				if err := acc.merge(s, w.batch.accs[a], int32(g)); err != nil {
					return err
				}
			}
			w.state.touch(s)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *windowAgg) paneWindows(pane int64, f func(start, end int64) error) error {
	if w.spec.Window.Kind == NoWindow {
		return f(0, noWindowEnd)
	}
	return w.panes.windowStarts(pane, func(start int64) error { return f(start, start+w.panes.size) })
}

// Flush emits closed windows (EMIT ON WINDOW CLOSE) or the changed groups
// (EMIT CHANGES), then frees every window that ends at or before wm.
func (w *windowAgg) Flush(ctx context.Context, wm int64, emit EmitFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	closed := w.state.closed(wm)
	out := closed
	if w.spec.Emit == EmitChanges {
		out = w.state.takeTouched()
	}
	if err := w.emitSlots(ctx, out, emit); err != nil {
		return err
	}
	for _, s := range closed {
		if w.sess != nil {
			w.sess.remove(w.state.groupKey[s], s)
		}
		w.state.release(s)
	}
	w.prevWM = max(w.prevWM, wm)
	return nil
}

func (w *windowAgg) Stats() OpStats {
	st := w.stats
	st.OpenGroups = int64(w.state.open)
	st.StateBytes = w.state.bytes()
	return st
}

// Close drops all state; accumulators hold Go memory only.
func (w *windowAgg) Close() {
	w.state = newWindowState(w.state.accs[:0])
	w.batch = newBatchAgg(nil)
}
