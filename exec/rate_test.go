package exec

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"
)

// rateStep is one batch fed to a rateController and the limit expected
// after it.
type rateStep struct {
	at, processing, delay float64 // seconds
	records               int64
	want                  float64
	changed               bool
}

func TestRateController(t *testing.T) {
	for _, tc := range []struct {
		name     string
		interval float64
		initial  float64
		steps    []rateStep
	}{{
		// First batch: only learns 10000/s. Second overruns (2s for a 1s
		// interval, starting 1s late): 10000 − (10000−5000) − 0.2·5000.
		// Third keeps up at 8000/s with the old delay: 4000 + 4000 −
		// 0.2·8000. Fourth has no delay: straight to its processing rate.
		name: "overrun lowers, keeping up raises", interval: 1,
		steps: []rateStep{
			{at: 1, records: 10000, processing: 1, want: 0},
			{at: 2, records: 10000, processing: 2, delay: 1, want: 4000, changed: true},
			{at: 4, records: 4000, processing: 0.5, delay: 1, want: 6400, changed: true},
			{at: 5, records: 6400, processing: 0.4, want: 16000, changed: true},
		},
	}, {
		// 50/s with a 10s delay would give 50 − 0.2·500 < 0.
		name: "never below the minimum", interval: 1, initial: 1000,
		steps: []rateStep{
			{at: 1, records: 1000, processing: 1, want: 1000},
			{at: 2, records: 50, processing: 1, delay: 10, want: minRate, changed: true},
			{at: 3, records: 1, processing: 100, delay: 1000, want: minRate},
		},
	}, {
		name: "no records, no processing or no time passing are ignored", interval: 1, initial: 500,
		steps: []rateStep{
			{at: 1, records: 0, processing: 1, want: 500},
			{at: 1, records: 10, processing: 0, want: 500},
			{at: 2, records: 1000, processing: 1, want: 500}, // first measurement
			{at: 2, records: 10, processing: 1, delay: 5, want: 500},
			{at: 1, records: 10, processing: 1, delay: 5, want: 500},
			{at: 3, records: 3000, processing: 1, want: 3000, changed: true},
			{at: 4, records: 3000, processing: 1, want: 3000},
		},
	}, {
		// Manual trigger: no interval, so the delay does not count.
		name: "no interval, no integral term", interval: 0,
		steps: []rateStep{
			{at: 1, records: 1000, processing: 1, want: 0},
			{at: 2, records: 500, processing: 1, delay: 100, want: 500, changed: true},
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRateController(durationOf(tc.interval), tc.initial)
			t0 := time.Unix(1700000000, 0)
			for i, s := range tc.steps {
				got, changed := r.update(t0.Add(durationOf(s.at)), s.records, durationOf(s.processing), durationOf(s.delay))
				if math.Abs(got-s.want) > 1e-6 || changed != s.changed {
					t.Fatalf("step %d: update = %g, %t; want %g, %t", i, got, changed, s.want, s.changed)
				}
			}
		})
	}
}

// TestRateControllerConverges runs the controller in a loop with a query
// that processes 2000 records/s behind an unbounded backlog: the limit
// must settle near that capacity, and the scheduling delay must not grow.
func TestRateControllerConverges(t *testing.T) {
	const capacity, interval = 2000.0, time.Second
	r := newRateController(interval, 10*capacity)
	now := time.Unix(1700000000, 0)
	tick := now
	var delay time.Duration
	for i := range 40 {
		records := int64(r.rate * interval.Seconds())
		processing := time.Duration(float64(records) / capacity * float64(time.Second))
		end := now.Add(processing)
		rate, _ := r.update(end, records, processing, delay)
		// The next batch starts at the next tick, or at once when this one
		// overran it (Ticker drops missed ticks).
		tick = tick.Add(interval)
		now, delay = tick, 0
		if end.After(tick) {
			now, delay = end, end.Sub(tick)
			tick = end
		}
		if i >= 20 && (rate < 0.8*capacity || rate > 1.2*capacity || delay > interval/4) {
			t.Fatalf("batch %d: rate %g, delay %v; want near %g and no delay", i, rate, delay, capacity)
		}
	}
}

// TestRateControllerFinite feeds extreme and random figures: the limit is
// always finite, and at least minRate once estimated.
func TestRateControllerFinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	extremes := []int64{1, math.MaxInt64}
	durs := []time.Duration{1, time.Nanosecond * 3, time.Hour * 24 * 365 * 100, math.MaxInt64}
	for _, interval := range []time.Duration{0, 1, time.Second, math.MaxInt64} {
		r := newRateController(interval, math.NaN())
		if r.rate != 0 {
			t.Fatalf("NaN initial rate kept: %g", r.rate)
		}
		now := time.Unix(0, 0)
		for i := range 2000 {
			now = now.Add(time.Duration(rng.Int64N(int64(time.Hour))) + 1)
			records := rng.Int64N(1 << 40)
			processing := time.Duration(rng.Int64N(int64(time.Minute)))
			delay := time.Duration(rng.Int64N(int64(time.Minute)))
			if i%7 == 0 {
				records = extremes[rng.IntN(len(extremes))]
				processing = durs[rng.IntN(len(durs))]
				delay = durs[rng.IntN(len(durs))]
			}
			rate, _ := r.update(now, records, processing, delay)
			if !isFiniteRate(rate) || (r.measured && rate != 0 && rate < minRate) {
				t.Fatalf("interval %v, step %d: rate %g", interval, i, rate)
			}
		}
	}
}

func TestRatePerPartition(t *testing.T) {
	var none *rateController
	if got := none.perPartition(4); got != 0 {
		t.Fatalf("nil controller: %g", got)
	}
	r := newRateController(time.Second, 1000)
	for _, tc := range []struct {
		partitions int
		want       float64
	}{{4, 250}, {1, 1000}, {3, 1000.0 / 3}, {0, 0}} {
		if got := r.perPartition(tc.partitions); got != tc.want {
			t.Errorf("perPartition(%d) = %g, want %g", tc.partitions, got, tc.want)
		}
	}
	if got := newRateController(time.Second, 0).perPartition(2); got != 0 {
		t.Errorf("no limit: perPartition = %g", got)
	}
}

func TestRateBatchCap(t *testing.T) {
	for _, tc := range []struct {
		base  int64
		rate  float64
		secs  float64
		want  int64
		about string
	}{
		{0, 0, 1, 0, "no limits"},
		{50, 0, 1, 50, "only the user's"},
		{0, 250, 0.5, 125, "only the estimate"},
		{0, 250.2, 1, 251, "rounded up"},
		{100, 250, 1, 100, "user's limit is the upper bound"},
		{300, 250, 1, 250, "estimate below the user's"},
		{0, 0.001, 1, 1, "at least one record"},
		{7, math.Inf(1), 1, 7, "infinite rate ignored"},
		{7, math.NaN(), 1, 7, "NaN rate ignored"},
		{0, 1e300, 1, 0, "beyond int64 ignored"},
		{9, 100, 0, 9, "no interval"},
	} {
		if got := rateBatchCap(tc.base, tc.rate, durationOf(tc.secs)); got != tc.want {
			t.Errorf("%s: rateBatchCap(%d, %g, %gs) = %d, want %d", tc.about, tc.base, tc.rate, tc.secs, got, tc.want)
		}
	}
}
