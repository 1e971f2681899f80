package main

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		d := make([]time.Duration, len(v))
		for i, x := range v {
			d[i] = time.Duration(x) * time.Millisecond
		}
		return d
	}
	for _, c := range []struct {
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{nil, 50, 0},
		{ms(7), 50, 7 * time.Millisecond},
		{ms(7), 99, 7 * time.Millisecond},
		{ms(1, 2, 3, 4), 50, 2 * time.Millisecond}, // nearest rank: ⌈2⌉ = 2nd
		{ms(1, 2, 3, 4, 5), 50, 3 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 99, 5 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 20, 1 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 21, 2 * time.Millisecond},
		{ms(1, 2, 3, 4, 5), 100, 5 * time.Millisecond},
	} {
		if got := percentile(c.sorted, c.p); got != c.want {
			t.Errorf("percentile(%v, %g) = %v, want %v", c.sorted, c.p, got, c.want)
		}
	}
	// p99 of 100 values is the 99th, of 1000 the 990th.
	var h []time.Duration
	for i := 1; i <= 1000; i++ {
		h = append(h, time.Duration(i))
	}
	if got := percentile(h[:100], 99); got != 99 {
		t.Errorf("p99 of 1..100 = %d, want 99", got)
	}
	if got := percentile(h, 99); got != 990 {
		t.Errorf("p99 of 1..1000 = %d, want 990", got)
	}
	st := summarise(ms(5, 1, 4, 2, 3))
	if st.n != 5 || st.p50 != 3*time.Millisecond || st.min != time.Millisecond || st.max != 5*time.Millisecond {
		t.Errorf("summarise = %+v", st)
	}
}

// TestWindowTracker follows records through 1 s windows with a 100 ms
// delay: the trigger of a window is the send time of the first record at
// or after its end + 100 ms, and latencies are receive − trigger.
func TestWindowTracker(t *testing.T) {
	sec := int64(time.Second / time.Microsecond)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	at := func(us int64) time.Time { return base.Add(time.Duration(us) * time.Microsecond) }
	b := base.UnixMicro()
	tr := newWindowTracker(time.Second, 100*time.Millisecond)
	if tr.closedThrough() != 0 {
		t.Fatal("closed before any record")
	}
	// The first record, at 0.5 s, is in the window ending at 1 s.
	send := []struct{ off, price int64 }{
		{sec / 2, 10},          // window 1 s (first, partial)
		{sec + 50_000, 7},      // window 2 s; 1.05 s < 1.1 s: no trigger yet
		{sec + 100_000, 9},     // window 2 s; triggers window 1 s
		{sec + 900_000, 3},     // window 2 s
		{3*sec + 200_000, 5},   // window 4 s; triggers 2 s and 3 s (empty)
		{4*sec + 100_000, 100}, // window 5 s; triggers 4 s
	}
	for _, s := range send {
		tr.sent(b+s.off, s.price, at(s.off))
	}
	if got, want := tr.closedThrough(), b+4*sec; got != want {
		t.Fatalf("closedThrough = %s, want %s", fmtMicros(got), fmtMicros(want))
	}
	for end, wantAt := range map[int64]int64{1: sec + 100_000, 2: 3*sec + 200_000, 3: 3*sec + 200_000, 4: 4*sec + 100_000} {
		if got := tr.trigger[b+end*sec]; !got.Equal(at(wantAt)) {
			t.Errorf("trigger of window %d s = %v, want %v", end, got, at(wantAt))
		}
	}
	rows := []windowRow{
		{end: b + sec, n: 1, top: 10, received: at(sec + 150_000)},
		{end: b + 2*sec, n: 3, top: 9, received: at(3*sec + 230_000)},
		{end: b + 4*sec, n: 1, top: 5, received: at(4*sec + 120_000)},
	}
	lat, err := tr.latencies(rows)
	if err != nil {
		t.Fatal(err)
	}
	// The first window is checked but left out of the latencies.
	if len(lat) != 2 || lat[0] != 30*time.Millisecond || lat[1] != 20*time.Millisecond {
		t.Errorf("latencies = %v, want [30ms 20ms]", lat)
	}

	for _, c := range []struct {
		name string
		rows []windowRow
		want string
	}{
		{"count", []windowRow{rows[0], {end: b + 2*sec, n: 2, top: 9}, rows[2]}, "got count 2 max 9, produced 3 with max 9"},
		{"max", []windowRow{rows[0], {end: b + 2*sec, n: 3, top: 8}, rows[2]}, "got count 3 max 8"},
		{"twice", []windowRow{rows[0], rows[1], rows[1], rows[2]}, "emitted twice"},
		{"missing", rows[:2], "closed but not emitted"},
		{"open", append(rows[:3:3], windowRow{end: b + 5*sec, n: 1, top: 100}), "trigger was never produced"},
	} {
		_, err := tr.latencies(c.rows)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func TestParseLatencyRow(t *testing.T) {
	r, err := parseLatencyRow([][]byte{[]byte("2026-01-01 00:00:02"), []byte("3"), []byte("9")})
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 1, 1, 0, 0, 2, 0, time.UTC).UnixMicro(); r.end != want || r.n != 3 || r.top != 9 {
		t.Errorf("got %+v", r)
	}
	if _, err := parseLatencyRow([][]byte{[]byte("x")}); err == nil {
		t.Error("one column: no error")
	}
}
