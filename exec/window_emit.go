package exec

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

var windowTimeType = &arrow.TimestampType{Unit: arrow.Microsecond}

// newWindowAgg validates spec against the input schema and returns the
// operator with its output schema: window_start, window_end (unless
// NoWindow), key0…, agg0….
func newWindowAgg(mem memory.Allocator, spec *WindowAggSpec, in *arrow.Schema) (*windowAgg, *arrow.Schema, error) {
	w := &windowAgg{mem: mem, spec: *spec, prevWM: math.MinInt64}
	if err := w.initWindow(in); err != nil {
		return nil, nil, err
	}
	var fields []arrow.Field
	if spec.Window.Kind != NoWindow {
		fields = append(fields, arrow.Field{Name: "window_start", Type: windowTimeType},
			arrow.Field{Name: "window_end", Type: windowTimeType})
	}
	for i, k := range spec.Keys {
		if _, err := keyWidth(k.DataType()); err != nil {
			return nil, nil, fmt.Errorf("window aggregate: key%d: %w", i, err)
		}
		w.keyType = append(w.keyType, k.DataType())
		fields = append(fields, arrow.Field{Name: "key" + strconv.Itoa(i), Type: k.DataType(), Nullable: true})
	}
	var batchAccs, stateAccs []accumulator
	for i, a := range spec.Aggs {
		arg, accB, accS, natural, err := buildAgg(a)
		if err != nil {
			return nil, nil, fmt.Errorf("window aggregate: agg%d: %w", i, err)
		}
		t := a.Type
		if t == nil {
			t = natural
		} else if !canCast(natural, t) {
			return nil, nil, fmt.Errorf("window aggregate: agg%d: %s result cannot be %s", i, a.Func, t)
		}
		w.args, w.aggOut = append(w.args, arg), append(w.aggOut, t)
		batchAccs, stateAccs = append(batchAccs, accB), append(stateAccs, accS)
		fields = append(fields, arrow.Field{Name: "agg" + strconv.Itoa(i), Type: t, Nullable: true})
	}
	w.fixedAccs = true
	for _, a := range stateAccs {
		_, fixed := a.(fixedSizeAcc)
		w.fixedAccs = w.fixedAccs && fixed
	}
	w.groups = newGroupTable()
	w.batch, w.state = newBatchAgg(w.groups, batchAccs), newWindowState(w.groups, stateAccs, w.panes.perPane(), spec.Emit == EmitChanges)
	w.exprs = append(append([]Expr(nil), spec.Keys...), w.args...)
	w.cols = make([]arrow.Array, len(w.exprs))
	w.schema = arrow.NewSchema(fields, nil)
	return w, w.schema, nil
}

func (w *windowAgg) initWindow(in *arrow.Schema) error {
	ws := w.spec.Window
	if ws.Kind != NoWindow {
		if ws.TimeCol < 0 || ws.TimeCol >= in.NumFields() || in.Field(ws.TimeCol).Type.ID() != arrow.TIMESTAMP {
			return fmt.Errorf("window aggregate: time column %d is not a timestamp of the input", ws.TimeCol)
		}
	}
	switch ws.Kind {
	case NoWindow:
		if w.spec.Emit != EmitChanges {
			return fmt.Errorf("window aggregate: an aggregate without a window needs EMIT CHANGES")
		}
	case Session:
		if w.gap = ws.Gap.Microseconds(); w.gap <= 0 {
			return fmt.Errorf("window aggregate: session gap must be positive, got %s", ws.Gap)
		}
		w.sess = newSessionIndex()
		return nil
	}
	var err error
	w.panes, err = newPaneAssigner(ws)
	return err
}

// buildAgg returns the argument expression (decimal avg is cast to float64),
// a batch and a state accumulator, and the accumulator's result type.
func buildAgg(a AggSpec) (Expr, accumulator, accumulator, arrow.DataType, error) {
	arg := a.Arg
	var argType arrow.DataType
	if a.Func == "count_star" {
		arg = nil
	} else if arg == nil {
		return nil, nil, nil, nil, fmt.Errorf("%s needs an argument", a.Func)
	} else {
		if a.Func == "avg" && arg.DataType().ID() == arrow.DECIMAL128 {
			arg, _ = Cast(arg, arrow.PrimitiveTypes.Float64)
		}
		argType = arg.DataType()
	}
	accB, natural, err := newAccumulator(a, argType)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	accS, _, _ := newAccumulator(a, argType)
	return arg, accB, accS, natural, nil
}

// emitSlots emits slots ordered by (window_end, window_start, key).
func (w *windowAgg) emitSlots(ctx context.Context, slots []int32, emit EmitFunc) error {
	if len(slots) == 0 {
		return nil
	}
	w.sortSlots(slots)
	return w.emitSorted(ctx, slots, emit)
}

// sortSlots orders slots by (window_end, window_start, key).
func (w *windowAgg) sortSlots(slots []int32) {
	st := w.state
	slices.SortFunc(slots, func(a, b int32) int {
		if c := compareInt64(st.end[a], st.end[b]); c != 0 {
			return c
		}
		if c := compareInt64(st.start[a], st.start[b]); c != 0 {
			return c
		}
		return bytes.Compare(w.groups.key(st.gid[a]), w.groups.key(st.gid[b]))
	})
}

// emitSorted emits slots, already in output order, as one batch.
func (w *windowAgg) emitSorted(ctx context.Context, slots []int32, emit EmitFunc) error {
	out, err := w.buildOutput(slots)
	if err != nil {
		return fmt.Errorf("window aggregate: %w", err)
	}
	defer out.Release()
	return emit(ctx, out)
}

func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (w *windowAgg) buildOutput(slots []int32) (arrow.RecordBatch, error) {
	var cols []arrow.Array
	ok := false
	defer func() {
		if !ok {
			releaseArrays(cols)
		}
	}()
	st := w.state
	if w.spec.Window.Kind != NoWindow {
		cols = append(cols, timesArray(w.mem, slots, st.start), timesArray(w.mem, slots, st.end))
	}
	keyCols, err := w.buildKeys(slots)
	cols = append(cols, keyCols...)
	if err != nil {
		return nil, err
	}
	for a, acc := range st.accs {
		c, err := acc.build(w.mem, slots)
		if err != nil {
			return nil, err
		}
		cc, err := castArray(w.mem, c, w.aggOut[a])
		c.Release()
		if err != nil {
			return nil, err
		}
		cols = append(cols, cc)
	}
	ok = true
	defer releaseArrays(cols)
	return array.NewRecordBatch(w.schema, cols, int64(len(slots))), nil
}

func timesArray(mem memory.Allocator, slots []int32, ts []int64) arrow.Array {
	buf, out := newFixedBuf[int64](mem, len(slots))
	for i, s := range slots {
		out[i] = ts[s]
	}
	return makeArray(windowTimeType, len(slots), 0, nil, buf)
}

// buildKeys decodes the group keys of slots into one column per key.
func (w *windowAgg) buildKeys(slots []int32) ([]arrow.Array, error) {
	blds := make([]array.Builder, len(w.keyType))
	for i, t := range w.keyType {
		blds[i] = array.NewBuilder(w.mem, t)
		defer blds[i].Release()
		blds[i].Reserve(len(slots))
	}
	for _, s := range slots {
		if err := decodeKeyInto(w.groups.key(w.state.gid[s]), blds); err != nil {
			return nil, err
		}
	}
	cols := make([]arrow.Array, len(blds))
	for i, b := range blds {
		cols[i] = b.NewArray()
	}
	return cols, nil
}
