package exec

import (
	"encoding/binary"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// noWatermark is the watermark before any event time is seen (-inf).
const noWatermark = math.MinInt64

const dayMicros = 86_400_000_000

// watermarker tracks a query's source watermark in µs since the epoch.
// After each micro-batch (see advance):
//
//	wm = max(wm, max non-NULL event time of the batch − delay)
//	wm = max(wm, punctuation)                   // Query.AdvanceWatermark
//	wm = max(wm, now − delay)                   // idle: see below
//
// The idle rule applies when idle > 0, the batch fetched no records, and
// the last batch that fetched any (or the query's start, if none has) began
// at least idle ago by the Clock. The watermark never goes backwards. A
// query without an event-time column keeps -inf except for punctuations.
type watermarker struct {
	col      int   // index of the event-time column in the decoded batch; -1 none
	delay    int64 // µs
	idle     time.Duration
	cur      int64
	lastData time.Time
}

func newWatermarker(spec SourceSpec, idle time.Duration, start time.Time) (*watermarker, error) {
	w := &watermarker{col: spec.EventTimeCol, delay: spec.WatermarkDelay.Microseconds(),
		idle: idle, cur: noWatermark, lastData: start}
	if w.col < 0 {
		w.col = -1
		return w, nil
	}
	if w.col >= len(spec.Columns) {
		return nil, fmt.Errorf("event-time column %d out of range (%d columns)", w.col, len(spec.Columns))
	}
	if t := spec.Columns[w.col].Type; !isEventTimeType(t) {
		return nil, fmt.Errorf("event-time column %q has type %s, want a timestamp or date", spec.Columns[w.col].Name, t)
	}
	return w, nil
}

// advance applies one micro-batch: bs are its decoded batches (one per
// decode worker that produced rows), records the number of records fetched
// (decodable or not), punct the highest punctuation so far (noWatermark if
// none) and now the batch's start by the Clock.
func (w *watermarker) advance(bs []arrow.RecordBatch, records, punct int64, now time.Time) int64 {
	if records > 0 {
		w.lastData = now
	}
	if w.col >= 0 {
		for _, b := range bs {
			if m, ok := maxEventTime(b.Column(w.col)); ok {
				w.raise(subSat(m, w.delay))
			}
		}
		if w.idle > 0 && records == 0 && now.Sub(w.lastData) >= w.idle {
			w.raise(subSat(now.UnixMicro(), w.delay))
		}
	}
	w.raise(punct)
	return w.cur
}

func (w *watermarker) raise(v int64) { w.cur = max(w.cur, v) }

// subSat returns a − b, saturating at the int64 range.
func subSat(a, b int64) int64 {
	d := a - b
	if (b > 0 && d > a) || (b < 0 && d < a) {
		if b > 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return d
}

// maxEventTime returns the largest non-NULL value of a timestamp or date
// column in µs since the epoch.
func maxEventTime(col arrow.Array) (int64, bool) {
	var (
		m     int64 = math.MinInt64
		found bool
	)
	switch a := col.(type) {
	case *array.Timestamp:
		unit := a.DataType().(*arrow.TimestampType).Unit
		for i := range a.Len() {
			if a.IsValid(i) {
				m, found = max(m, toMicros(int64(a.Value(i)), unit)), true
			}
		}
	case *array.Date32:
		for i := range a.Len() {
			if a.IsValid(i) {
				m, found = max(m, int64(a.Value(i))*dayMicros), true
			}
		}
	}
	return m, found
}

// toMicros converts a timestamp value of unit u to µs, truncating
// nanoseconds towards -inf.
func toMicros(v int64, u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return v * 1_000_000
	case arrow.Millisecond:
		return v * 1_000
	case arrow.Nanosecond:
		q := v / 1_000
		if v%1_000 < 0 {
			q--
		}
		return q
	}
	return v
}

// watermarkerStateVersion versions marshalState's layout.
const watermarkerStateVersion = 1

// marshalState returns the watermark and the time of the last batch that
// fetched records (for the idle rule), for a checkpoint:
// byte version | u64 cur (LE) | u64 lastData in µs since the epoch (LE).
func (w *watermarker) marshalState() []byte {
	b := []byte{watermarkerStateVersion}
	b = binary.LittleEndian.AppendUint64(b, uint64(w.cur))
	return binary.LittleEndian.AppendUint64(b, uint64(w.lastData.UnixMicro()))
}

// restoreState loads what marshalState returned. Errors wrap
// ErrStateFormat (another version) or ErrCorruptState.
func (w *watermarker) restoreState(b []byte) error {
	if len(b) > 0 && b[0] != watermarkerStateVersion {
		return fmt.Errorf("%w: watermark state version %d, this build reads version %d", ErrStateFormat, b[0], watermarkerStateVersion)
	}
	if len(b) != 17 {
		return fmt.Errorf("%w: watermark state of %d bytes, want 17", ErrCorruptState, len(b))
	}
	w.cur = int64(binary.LittleEndian.Uint64(b[1:]))
	w.lastData = time.UnixMicro(int64(binary.LittleEndian.Uint64(b[9:])))
	return nil
}
