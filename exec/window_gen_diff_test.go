package exec

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// This file generates the random cases of the window differential test
// (window_diff_test.go): event streams, queries and feed configurations.

// diffGenMode says how much disorder a generated stream has.
type diffGenMode int

const (
	// genInTime: every event's time is at least the running maximum of
	// the events generated before it minus the watermark delay, so no row
	// is ever late whatever the batches (see genDiffConfig).
	genInTime diffGenMode = iota
	// genLate: events may arrive long after the delay (late rows).
	genLate
)

// genDiffCase draws one case from r.
func genDiffCase(r *rand.Rand, seed uint64, mode diffGenMode) *diffCase {
	c := &diffCase{seed: seed}
	units := []int64{1, 1_000, 1_000_000}
	u := units[r.IntN(len(units))]
	c.kind = []WindowKind{Tumble, Hop, Session}[r.IntN(3)]
	c.size = u * (1 + r.Int64N(8))
	if r.IntN(5) == 0 {
		c.size += 1 + r.Int64N(u) // not a multiple of the time grid
	}
	if c.kind == Hop {
		// size/slide windows per row, at most 6; sometimes a slide that
		// does not divide the size, sometimes one off the time grid.
		per := 1 + r.Int64N(6)
		switch r.IntN(3) {
		case 0:
			c.slide = max(1, c.size/per)
		case 1:
			c.slide = max(1, min(c.size, c.size/per+r.Int64N(3)-1))
		default:
			c.slide = u * (1 + r.Int64N(max(1, c.size/u)))
		}
		c.slide = max(c.slide, (c.size+5)/6)
	}
	c.gap = u * (1 + r.Int64N(5))
	if r.IntN(5) == 0 {
		c.gap += 1
	}
	c.delay = u * r.Int64N(6)
	if r.IntN(6) == 0 {
		c.delay += r.Int64N(u)
	}
	if r.IntN(3) > 0 {
		c.keys = r.Perm(2)[:1+r.IntN(2)] // colK and/or colG
	}
	for range 1 + r.IntN(5) {
		c.aggs = append(c.aggs, genDiffAgg(r))
	}
	if r.IntN(2) == 0 {
		c.filter = genDiffPred(r, 2)
	}
	c.perm = r.Perm(2 + len(c.keys) + len(c.aggs))
	c.events = genDiffEvents(r, c, u, mode)
	return c
}

func genDiffAgg(r *rand.Rand) diffAgg {
	all := []diffAgg{
		{fn: "count_star", arg: -1},
		{fn: "count", arg: colV}, {fn: "count", arg: colK},
		{fn: "sum", arg: colV}, {fn: "sum", arg: colG},
		{fn: "min", arg: colV}, {fn: "max", arg: colV},
		{fn: "min", arg: colK}, {fn: "max", arg: colK},
		{fn: "avg", arg: colV},
		{fn: "count", distinct: true, arg: colV}, {fn: "count", distinct: true, arg: colK},
	}
	return all[r.IntN(len(all))]
}

func genDiffPred(r *rand.Rand, depth int) *diffPred {
	n := 5
	if depth > 0 {
		n = 8
	}
	switch r.IntN(n) {
	case 0:
		return &diffPred{op: "gt", col: colV, i: r.Int64N(20) - 5}
	case 1:
		return &diffPred{op: "lt", col: colV, i: r.Int64N(20) - 5}
	case 2:
		return &diffPred{op: "is_not_null", col: colV}
	case 3:
		return &diffPred{op: "is_null", col: []int{colK, colV}[r.IntN(2)]}
	case 4:
		return &diffPred{op: "ne", col: colK, s: []string{"a", "b", ""}[r.IntN(3)]}
	case 5:
		return &diffPred{op: "not", l: genDiffPred(r, depth-1)}
	}
	return &diffPred{op: []string{"and", "or"}[r.IntN(2)], l: genDiffPred(r, depth-1), r: genDiffPred(r, depth-1)}
}

// genDiffEvents draws 5–60 events. A cursor walks forward in steps of the
// time grid u (sometimes a jump, sometimes ±1µs); each event's time is the
// cursor minus a jitter: at most the delay (genInTime) or up to a few
// window sizes beyond it (genLate). Bases include the epoch, times
// before 1970 and 2024.
func genDiffEvents(r *rand.Rand, c *diffCase, u int64, mode diffGenMode) []diffEvent {
	bases := []int64{
		0,
		-u * r.Int64N(100),
		time.Date(1950, 6, 1, 0, 0, 0, 0, time.UTC).UnixMicro(),
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC).UnixMicro(),
		time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(),
		time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(),
	}
	cursor := bases[r.IntN(len(bases))] - u*r.Int64N(10)
	keys := []string{"a", "b", "c", ""}[:1+r.IntN(4)]
	if r.IntN(4) == 0 { // prefixes, NUL bytes, non-ASCII and long strings
		keys = []string{"a", "a\x00", "a\x00b", "ab", "é", "\x01", strings.Repeat("long key ", 5), strings.Repeat("long key ", 5) + "!"}
	}
	gmax := int64(3)
	if r.IntN(4) == 0 {
		gmax = 1000 // nearly a group per row
	}
	vmax := 3 + r.Int64N(20)
	span := max(c.size, c.gap) + c.delay
	n := 5 + r.IntN(56)
	events := make([]diffEvent, n)
	for i := range events {
		step := u * r.Int64N(4)
		if r.IntN(10) == 0 {
			step = u * (4 + r.Int64N(20))
		}
		if r.IntN(8) == 0 {
			step++
		}
		cursor += step
		var jitter int64
		switch mode {
		case genInTime:
			jitter = r.Int64N(c.delay + 1)
			if r.IntN(3) > 0 {
				jitter -= jitter % u // on the grid
			}
		case genLate:
			jitter = r.Int64N(c.delay + 3*span + 1)
			if r.IntN(3) > 0 {
				jitter -= jitter % u
			}
			if r.IntN(4) == 0 {
				jitter = 0
			}
		}
		e := diffEvent{gen: i, ts: optI{cursor - jitter, r.IntN(40) > 0}}
		if r.IntN(6) > 0 {
			e.k = optS{keys[r.IntN(len(keys))], true}
		}
		if r.IntN(5) > 0 {
			e.g = optI{r.Int64N(gmax) - 1, true}
		}
		if r.IntN(5) > 0 {
			e.v = optI{r.Int64N(vmax) - 5, true}
		}
		events[i] = e
	}
	return events
}

// genDiffConfig draws partitions, a batch cap and a partition for each event.
// With layered, the offsets of successive events never decrease (each
// event goes to a least-filled partition among those not yet retired), so
// every row read in an earlier batch than an event was generated before
// it; an genInTime stream then has no late row under any cap.
func genDiffConfig(r *rand.Rand, n int, layered bool) diffConfig {
	cfg := diffConfig{parts: 1 + r.IntN(4), cap: int64(r.IntN(11)), assign: make([]int, n)}
	if !layered {
		for i := range cfg.assign {
			cfg.assign[i] = r.IntN(cfg.parts)
		}
		return cfg
	}
	counts := make([]int, cfg.parts)
	active := r.Perm(cfg.parts)
	for i := range cfg.assign {
		if len(active) > 1 && r.IntN(15) == 0 {
			active = active[1:] // retire a partition: it gets no more events
		}
		least := counts[active[0]]
		for _, p := range active {
			least = min(least, counts[p])
		}
		var picks []int
		for _, p := range active {
			if counts[p] == least {
				picks = append(picks, p)
			}
		}
		p := picks[r.IntN(len(picks))]
		cfg.assign[i] = p
		counts[p]++
	}
	return cfg
}

// String describes the case for a failure message.
func (c *diffCase) String() string {
	var b strings.Builder
	var w string
	switch c.kind {
	case Tumble:
		w = fmt.Sprintf("TUMBLE(ts, %dus)", c.size)
	case Hop:
		w = fmt.Sprintf("HOP(ts, %dus, %dus)", c.slide, c.size)
	default:
		w = fmt.Sprintf("SESSION(ts, %dus)", c.gap)
	}
	var keys []string
	for _, k := range c.keys {
		keys = append(keys, diffColNames[k])
	}
	var aggs []string
	for _, a := range c.aggs {
		aggs = append(aggs, a.String())
	}
	where := "-"
	if c.filter != nil {
		where = c.filter.String()
	}
	fmt.Fprintf(&b, "case seed %#x: GROUP BY %s%s; aggs %s; WHERE %s; watermark delay %dus; output order %v\n",
		c.seed, w, strings.Join(append([]string{""}, keys...), ", "), strings.Join(aggs, ", "), where, c.delay, c.perm)
	for _, e := range c.events {
		fmt.Fprintf(&b, "  #%-2d ts=%s k=%s g=%s v=%s\n", e.gen, renderTS(e.ts), renderS(e.k), renderI(e.g), renderI(e.v))
	}
	return b.String()
}

// header names the output columns, in output order.
func (c *diffCase) header() string {
	cols := []string{"window_start", "window_end"}
	for _, k := range c.keys {
		cols = append(cols, diffColNames[k])
	}
	for _, a := range c.aggs {
		cols = append(cols, a.String())
	}
	out := make([]string, len(c.perm))
	for i, p := range c.perm {
		out[i] = cols[p]
	}
	return strings.Join(out, "|")
}

// fixedDiffCase is a hand-written case with its expected output.
type fixedDiffCase struct {
	name string
	c    *diffCase
	cfg  diffConfig
	want []string // sorted rows: window_start|window_end|count(*)|min(v)
	late int64
}

// fixedDiffCases are edge cases of SPEC §2 and minimal repros of bugs the
// random cases found. Times are in seconds; every case groups by the
// window only and computes count(*) and min(v), where v is the event's
// position in the stream.
func fixedDiffCases() []fixedDiffCase {
	const s = int64(time.Second / time.Microsecond)
	mk := func(kind WindowKind, size, slide, gap, delay int64, ts ...int64) *diffCase {
		c := &diffCase{kind: kind, size: size, slide: slide, gap: gap, delay: delay, perm: []int{0, 1, 2, 3},
			aggs: []diffAgg{{fn: "count_star", arg: -1}, {fn: "min", arg: colV}}}
		for i, t := range ts {
			c.events = append(c.events, diffEvent{gen: i, ts: optI{t, true}, v: optI{int64(i), true}})
		}
		return c
	}
	one := func(n int, cap int64) diffConfig { return diffConfig{parts: 1, cap: cap, assign: make([]int, n)} }
	row := func(start, end, count, minV int64) string {
		return fmt.Sprintf("%s|%s|%d|%d", renderTS(optI{start, true}), renderTS(optI{end, true}), count, minV)
	}
	sorted := func(rows ...string) []string { return slices.Sorted(slices.Values(rows)) }
	return []fixedDiffCase{{
		// Half-open windows aligned to the epoch, floor before 1970.
		name: "tumble_half_open_pre1970",
		c:    mk(Tumble, 10*s, 0, 0, 100*s, -10*s, -1, 0, 10*s-1, 10*s),
		cfg:  one(5, 0),
		want: sorted(row(-10*s, 0, 2, 0), row(0, 10*s, 2, 2), row(10*s, 20*s, 1, 4)),
	}, {
		// k*slide <= ts < k*slide+size with a slide that does not divide the size.
		name: "hop_non_multiple_slide",
		c:    mk(Hop, 7*s, 3*s, 0, 100*s, -4*s, 0, 5*s),
		cfg:  one(3, 1),
		want: sorted(row(-9*s, -2*s, 1, 0), row(-6*s, s, 2, 0), row(-3*s, 4*s, 1, 1),
			row(0, 7*s, 2, 1), row(3*s, 10*s, 1, 2)),
	}, {
		// An event exactly gap after the last starts a new session; one that
		// bridges two open sessions merges them.
		name: "session_exact_gap_and_bridge",
		c:    mk(Session, 0, 0, 5*s, 100*s, 0, 5*s, 20*s, 26*s, 24*s),
		cfg:  one(5, 1),
		want: sorted(row(0, 5*s, 1, 0), row(5*s, 10*s, 1, 1), row(20*s, 31*s, 3, 2)),
	}, {
		// A HOP row late for some of its windows stays in the open ones and
		// counts once; one late for all of them is dropped and counts once.
		name: "hop_late_counts_once",
		c:    mk(Hop, 6*s, 2*s, 0, 0, 10*s, 5*s, 7*s),
		cfg:  one(3, 1),
		want: sorted(row(6*s, 12*s, 2, 0), row(8*s, 14*s, 1, 0), row(10*s, 16*s, 1, 0)),
		late: 2,
	}, {
		// Batch 1 (offsets 0 of p0 and p1) opens the session [10s, 13s) and
		// sets the watermark to 10s. In batch 2, 8s extends that session and
		// 6s, whose own session [6s, 9s) would have closed, extends it
		// further through 8s: the session [6s, 13s) it joins is open, so it is
		// not late (SPEC §2).
		name: "session_row_joins_open_session_through_its_batch",
		c:    mk(Session, 0, 0, 3*s, 0, 10*s, 10*s, 8*s, 6*s),
		cfg:  diffConfig{parts: 2, cap: 1, assign: []int{0, 1, 0, 1}},
		want: sorted(row(6*s, 13*s, 4, 0)),
	}}
}
