package main

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// windowTracker is the producer side of the latency bookkeeping. It is
// told about every record sent, in send order, with event time = send
// time, and remembers per TUMBLE window what was produced in it (count
// and max price, for the correctness check) and when the watermark was
// triggered past its end: the send time of the first record with event
// time ≥ window_end + delay. It is not safe for concurrent use.
type windowTracker struct {
	size, delay int64 // µs
	// nextEnd is the least window end whose trigger has not been seen;
	// 0 until the first record.
	nextEnd int64
	trigger map[int64]time.Time // window_end µs → send time of the trigger record
	want    map[int64]windowAgg // window_end µs → what was produced in it
	first   int64               // end of the first window that got a record
}

// windowAgg is one TUMBLE window's count(*) and max(price).
type windowAgg struct{ n, top int64 }

func newWindowTracker(size, delay time.Duration) *windowTracker {
	return &windowTracker{
		size: size.Microseconds(), delay: delay.Microseconds(),
		trigger: map[int64]time.Time{}, want: map[int64]windowAgg{},
	}
}

// end is the end of the window holding the event time us.
func (t *windowTracker) end(us int64) int64 { return floorDiv(us, t.size)*t.size + t.size }

// sent records one record with event time et (µs) and price, handed to
// the producer at sentAt. Event times must not go backwards.
func (t *windowTracker) sent(et, price int64, sentAt time.Time) {
	e := t.end(et)
	if t.nextEnd == 0 {
		t.nextEnd, t.first = e, e
	}
	for et >= t.nextEnd+t.delay {
		t.trigger[t.nextEnd] = sentAt
		t.nextEnd += t.size
	}
	a, ok := t.want[e]
	if !ok || price > a.top {
		a.top = price
	}
	a.n++
	t.want[e] = a
}

// closedThrough is the greatest window end whose trigger record has been
// sent: every window up to it must be emitted; 0 if none.
func (t *windowTracker) closedThrough() int64 {
	if t.nextEnd == 0 || t.nextEnd == t.first {
		return 0
	}
	return t.nextEnd - t.size
}

// windowRow is one result row as the client received it.
type windowRow struct {
	end      int64 // window_end, µs
	n, top   int64
	received time.Time
}

// latencies matches rows with their trigger times and returns receive −
// trigger per window, in window order, leaving out the first window
// (partial, and produced while the query warmed up) and any window past
// closedThrough. It reports the first correctness failure: a window
// emitted twice, one that was not closed, a count or max that differs
// from what was produced, or a closed window with records never emitted.
func (t *windowTracker) latencies(rows []windowRow) ([]time.Duration, error) {
	last := t.closedThrough()
	seen := map[int64]bool{}
	var lat []time.Duration
	for _, r := range rows {
		switch {
		case seen[r.end]:
			return nil, fmt.Errorf("window ending %s emitted twice", fmtMicros(r.end))
		case r.end > last:
			return nil, fmt.Errorf("window ending %s emitted, but its watermark trigger was never produced (last closed %s)",
				fmtMicros(r.end), fmtMicros(last))
		}
		seen[r.end] = true
		w := t.want[r.end]
		if r.n != w.n || r.top != w.top {
			return nil, fmt.Errorf("window ending %s: got count %d max %d, produced %d with max %d",
				fmtMicros(r.end), r.n, r.top, w.n, w.top)
		}
		if r.end != t.first {
			lat = append(lat, r.received.Sub(t.trigger[r.end]))
		}
	}
	for e := range t.want {
		if e <= last && !seen[e] {
			return nil, fmt.Errorf("window ending %s (%d records) closed but not emitted", fmtMicros(e), t.want[e].n)
		}
	}
	return lat, nil
}

// percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of
// sorted: the smallest value with at least p% of the values ≤ it. It is
// 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	k := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(k, 1), len(sorted))-1]
}

// latencyStats summarises latencies.
type latencyStats struct {
	n             int
	p50, p99, max time.Duration
	min           time.Duration
}

func summarise(lat []time.Duration) latencyStats {
	s := slices.Clone(lat)
	slices.Sort(s)
	st := latencyStats{n: len(s), p50: percentile(s, 50), p99: percentile(s, 99)}
	if len(s) > 0 {
		st.min, st.max = s[0], s[len(s)-1]
	}
	return st
}
