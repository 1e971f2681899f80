package exec

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// This file is the brute-force reference of the window differential test
// (window_diff_test.go). It knows nothing of panes, accumulators or key
// encodings: it evaluates SPEC §2 "Semantics of time" on plain Go values,
// keeping every window's rows in a slice and computing each aggregate from
// them when the window is emitted.

// optI and optS are nullable values (ok false is SQL NULL).
type optI struct {
	v  int64
	ok bool
}

type optS struct {
	v  string
	ok bool
}

// diffEvent is one generated record of the diff stream (k TEXT, g BIGINT,
// v BIGINT, ts TIMESTAMP). gen is its index in generation order.
type diffEvent struct {
	gen int
	k   optS
	g   optI
	v   optI
	ts  optI // µs since the epoch
}

// Stream columns of diffSchema.
const (
	colK = iota
	colG
	colV
	colTS
)

// diffAgg is one aggregate over column arg (-1 for count(*)).
type diffAgg struct {
	fn       string // count_star, count, sum, avg, min, max
	distinct bool
	arg      int
}

func (a diffAgg) String() string {
	if a.fn == "count_star" {
		return "count(*)"
	}
	d := ""
	if a.distinct {
		d = "DISTINCT "
	}
	return fmt.Sprintf("%s(%s%s)", a.fn, d, diffColNames[a.arg])
}

var diffColNames = []string{"k", "g", "v", "ts"}

// diffPred is a filter predicate over k and v, evaluated with SQL's
// three-valued logic (a NULL result drops the row, like false).
type diffPred struct {
	op   string // gt, lt, is_not_null, is_null, ne, and, or, not
	col  int    // gt, lt, is_*: colV or colK (is_null only)
	i    int64  // gt, lt literal
	s    string // ne literal (on k)
	l, r *diffPred
}

func (p *diffPred) String() string {
	switch p.op {
	case "gt":
		return fmt.Sprintf("v > %d", p.i)
	case "lt":
		return fmt.Sprintf("v < %d", p.i)
	case "is_not_null":
		return diffColNames[p.col] + " IS NOT NULL"
	case "is_null":
		return diffColNames[p.col] + " IS NULL"
	case "ne":
		return fmt.Sprintf("k <> %q", p.s)
	case "not":
		return "NOT (" + p.l.String() + ")"
	}
	return "(" + p.l.String() + " " + strings.ToUpper(p.op) + " " + p.r.String() + ")"
}

// eval returns the predicate's value and whether it is NULL.
func (p *diffPred) eval(e diffEvent) (val, null bool) {
	switch p.op {
	case "gt", "lt":
		if !e.v.ok {
			return false, true
		}
		if p.op == "gt" {
			return e.v.v > p.i, false
		}
		return e.v.v < p.i, false
	case "is_not_null", "is_null":
		ok := e.v.ok
		if p.col == colK {
			ok = e.k.ok
		}
		return ok == (p.op == "is_not_null"), false
	case "ne":
		if !e.k.ok {
			return false, true
		}
		return e.k.v != p.s, false
	case "not":
		v, n := p.l.eval(e)
		return !v, n
	}
	lv, ln := p.l.eval(e)
	rv, rn := p.r.eval(e)
	if p.op == "and" {
		switch {
		case (!lv && !ln) || (!rv && !rn):
			return false, false
		case ln || rn:
			return false, true
		}
		return true, false
	}
	switch { // or
	case (lv && !ln) || (rv && !rn):
		return true, false
	case ln || rn:
		return false, true
	}
	return false, false
}

// diffCase is one generated query over one generated event stream.
type diffCase struct {
	seed             uint64
	kind             WindowKind
	size, slide, gap int64 // µs
	delay            int64 // watermark delay, µs
	keys             []int // stream columns grouped by, in order
	aggs             []diffAgg
	filter           *diffPred // nil: no WHERE
	perm             []int     // output column i is window aggregate column perm[i]
	events           []diffEvent
}

// diffConfig is how a case is fed to the engine: the topic's partitions,
// the partition of every event (in generation order; each partition keeps
// generation order) and the per-partition batch cap (0 = unbounded).
type diffConfig struct {
	parts  int
	cap    int64
	assign []int
}

func (c diffConfig) String() string {
	return fmt.Sprintf("partitions=%d cap=%d assign=%v", c.parts, c.cap, c.assign)
}

// refWindow is one (window, group) of the reference.
type refWindow struct {
	start, end int64
	key        []string // rendered key values
	rows       []diffEvent
}

// passes applies the WHERE clause.
func (c *diffCase) passes(e diffEvent) bool {
	if c.filter == nil {
		return true
	}
	v, null := c.filter.eval(e)
	return v && !null
}

func (c *diffCase) keyOf(e diffEvent) []string {
	key := make([]string, len(c.keys))
	for i, col := range c.keys {
		key[i] = renderCol(e, col)
	}
	return key
}

func renderCol(e diffEvent, col int) string {
	switch col {
	case colK:
		return renderS(e.k)
	case colG:
		return renderI(e.g)
	case colV:
		return renderI(e.v)
	}
	return renderTS(e.ts)
}

// Canonical renderings shared with the engine side (diffRows).
func renderI(v optI) string {
	if !v.ok {
		return "NULL"
	}
	return strconv.FormatInt(v.v, 10)
}

func renderS(v optS) string {
	if !v.ok {
		return "NULL"
	}
	return strconv.Quote(v.v)
}

func renderTS(v optI) string {
	if !v.ok {
		return "NULL"
	}
	return time.UnixMicro(v.v).UTC().Format("2006-01-02T15:04:05.000000")
}

func renderF(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// hopStarts returns the starts of every TUMBLE/HOP window holding ts, by
// the definition: windows are [k*slide, k*slide+size) for every integer
// k, and ts belongs to those with k*slide <= ts < k*slide+size.
func (c *diffCase) hopStarts(ts int64) []int64 {
	slide := c.slide
	if c.kind == Tumble {
		slide = c.size
	}
	var starts []int64
	// k = floor(ts/slide) is the last window starting at or before ts;
	// walk back while the window still reaches past ts.
	k := ts / slide
	if ts%slide != 0 && ts < 0 {
		k--
	}
	for ; k*slide+c.size > ts; k-- {
		if !(k*slide <= ts && ts < k*slide+c.size) {
			panic("reference: window membership")
		}
		starts = append(starts, k*slide)
	}
	slices.Reverse(starts)
	return starts
}

// referenceAll evaluates the case by definition, as if every event were in
// one batch: sort the rows that pass WHERE by event time, put each in its
// TUMBLE/HOP windows, or cut each group's rows into sessions where the
// next row is at least gap after the last. Valid only when no row is late.
func referenceAll(c *diffCase) []string {
	var rows []diffEvent
	for _, e := range c.events {
		if e.ts.ok && c.passes(e) {
			rows = append(rows, e)
		}
	}
	slices.SortStableFunc(rows, func(a, b diffEvent) int { return cmp.Compare(a.ts.v, b.ts.v) })
	wins := map[string]*refWindow{}
	if c.kind != Session {
		for _, e := range rows {
			for _, s := range c.hopStarts(e.ts.v) {
				addToWindow(wins, s, s+c.size, c.keyOf(e), e)
			}
		}
		return c.render(slices.Collect(maps.Values(wins)))
	}
	groups := map[string][]diffEvent{}
	for _, e := range rows {
		k := strings.Join(c.keyOf(e), "|")
		groups[k] = append(groups[k], e)
	}
	var out []*refWindow
	for _, g := range groups {
		var cur *refWindow
		for _, e := range g {
			if cur == nil || e.ts.v >= cur.end {
				cur = &refWindow{start: e.ts.v, key: c.keyOf(e)}
				out = append(out, cur)
			}
			cur.end = e.ts.v + c.gap
			cur.rows = append(cur.rows, e)
		}
	}
	return c.render(out)
}

func addToWindow(wins map[string]*refWindow, start, end int64, key []string, e diffEvent) *refWindow {
	id := fmt.Sprintf("%d|%s", start, strings.Join(key, "|"))
	w := wins[id]
	if w == nil {
		w = &refWindow{start: start, end: end, key: key}
		wins[id] = w
	}
	w.rows = append(w.rows, e)
	return w
}

// refBatches splits the events into the micro-batches the engine runs:
// batch b reads offsets [b*cap, (b+1)*cap) of every partition (everything
// at once when cap is 0), since everything is produced before the query
// starts.
func refBatches(c *diffCase, cfg diffConfig) [][]diffEvent {
	parts := make([][]diffEvent, cfg.parts)
	for i, e := range c.events {
		parts[cfg.assign[i]] = append(parts[cfg.assign[i]], e)
	}
	if cfg.cap == 0 {
		return [][]diffEvent{c.events}
	}
	var out [][]diffEvent
	for b := int64(0); ; b++ {
		var batch []diffEvent
		more := false
		for _, p := range parts {
			lo, hi := b*cfg.cap, (b+1)*cfg.cap
			if lo < int64(len(p)) {
				batch = append(batch, p[lo:min(hi, int64(len(p)))]...)
				more = true
			}
		}
		if !more {
			return out
		}
		out = append(out, batch)
	}
}

// referenceBatches evaluates the case incrementally over cfg's batches,
// applying the watermark and lateness rules of SPEC §2: after each batch
// the watermark is max(previous, max event time of the batch − delay)
// (over every decoded row, whether WHERE keeps it or not); windows with
// end <= watermark close and are emitted; a row is late for a window that
// had closed before its batch began, is dropped from that window only,
// and counts once in late rows however many HOP windows dropped it.
//
// SESSION: the batch's rows of a group, each a session [ts, ts+gap) of
// its own, merge with the group's open sessions wherever they overlap
// (closed sessions are final). A merged session that holds no open
// session and ends at or before the watermark is a window that would
// already have closed when the batch started: its rows are late. So a row
// far behind the watermark is on time when it extends an open session, or
// a session that other rows of its batch open.
//
// After the last batch a punctuation far in the future closes everything.
func referenceBatches(c *diffCase, cfg diffConfig) (out []string, late int64) {
	wm := int64(math.MinInt64)
	open := map[string]*refWindow{}   // TUMBLE/HOP, by (start, key)
	sess := map[string][]*refWindow{} // SESSION, by key
	var closed []*refWindow
	closeAt := func(wm int64) {
		for id, w := range open {
			if w.end <= wm {
				closed = append(closed, w)
				delete(open, id)
			}
		}
		for k, ws := range sess {
			ws = slices.DeleteFunc(ws, func(w *refWindow) bool {
				if w.end <= wm {
					closed = append(closed, w)
					return true
				}
				return false
			})
			sess[k] = ws
		}
	}
	for _, batch := range refBatches(c, cfg) {
		before := wm
		pending := map[string][]diffEvent{}
		for _, e := range batch {
			if !e.ts.ok || !c.passes(e) {
				continue
			}
			if c.kind == Session {
				k := strings.Join(c.keyOf(e), "|")
				pending[k] = append(pending[k], e)
				continue
			}
			dropped := false
			for _, s := range c.hopStarts(e.ts.v) {
				if s+c.size <= before {
					dropped = true
					continue
				}
				addToWindow(open, s, s+c.size, c.keyOf(e), e)
			}
			if dropped {
				late++
			}
		}
		for k, rows := range pending {
			var n int64
			sess[k], n = refMergeSessions(sess[k], rows, c.gap, c.keyOf(rows[0]), before)
			late += n
		}
		for _, e := range batch {
			if e.ts.ok {
				wm = max(wm, e.ts.v-c.delay)
			}
		}
		closeAt(wm)
	}
	closeAt(math.MaxInt64)
	return c.render(closed), late
}

// refMergeSessions adds rows, each a session [ts, ts+gap) of its own, to the
// open sessions of one group and merges every pair of sessions whose
// half-open intervals overlap, until none do. A merged session without an
// open one that ends at or before wm is dropped and its rows counted late.
func refMergeSessions(open []*refWindow, rows []diffEvent, gap int64, key []string, wm int64) (_ []*refWindow, late int64) {
	type session struct {
		*refWindow
		open bool
	}
	var all []session
	for _, w := range open {
		all = append(all, session{w, true})
	}
	for _, e := range rows {
		all = append(all, session{&refWindow{start: e.ts.v, end: e.ts.v + gap, key: key, rows: []diffEvent{e}}, false})
	}
	for merged := true; merged; {
		merged = false
		for i := 0; i < len(all) && !merged; i++ {
			for j := i + 1; j < len(all); j++ {
				a, b := all[i], all[j]
				if a.start < b.end && b.start < a.end {
					a.start, a.end = min(a.start, b.start), max(a.end, b.end)
					a.rows = append(a.rows, b.rows...)
					all[i].open = a.open || b.open
					all = slices.Delete(all, j, j+1)
					merged = true
					break
				}
			}
		}
	}
	var out []*refWindow
	for _, s := range all {
		if !s.open && s.end <= wm {
			late += int64(len(s.rows))
			continue
		}
		out = append(out, s.refWindow)
	}
	return out, late
}

// render turns windows into output rows: window_start, window_end, the
// keys, the aggregates, then permuted as the query's projection does.
func (c *diffCase) render(ws []*refWindow) []string {
	var out []string
	for _, w := range ws {
		cols := []string{renderTS(optI{w.start, true}), renderTS(optI{w.end, true})}
		cols = append(cols, w.key...)
		for _, a := range c.aggs {
			cols = append(cols, a.eval(w.rows))
		}
		row := make([]string, len(c.perm))
		for i, p := range c.perm {
			row[i] = cols[p]
		}
		out = append(out, strings.Join(row, "|"))
	}
	slices.Sort(out)
	return out
}

// eval computes the aggregate over a window's rows: count(x) skips NULLs,
// sum/min/max/avg over only NULLs are NULL, avg is a float64.
func (a diffAgg) eval(rows []diffEvent) string {
	if a.fn == "count_star" {
		return strconv.Itoa(len(rows))
	}
	var ints []int64
	var strs []string
	for _, e := range rows {
		switch a.arg {
		case colK:
			if e.k.ok {
				strs = append(strs, e.k.v)
			}
		case colG:
			if e.g.ok {
				ints = append(ints, e.g.v)
			}
		case colV:
			if e.v.ok {
				ints = append(ints, e.v.v)
			}
		}
	}
	if a.distinct {
		slices.Sort(ints)
		slices.Sort(strs)
		ints, strs = slices.Compact(ints), slices.Compact(strs)
	}
	n := len(ints) + len(strs)
	switch a.fn {
	case "count":
		return strconv.Itoa(n)
	case "min", "max":
		if n == 0 {
			return "NULL"
		}
		if a.arg == colK {
			if a.fn == "min" {
				return strconv.Quote(slices.Min(strs))
			}
			return strconv.Quote(slices.Max(strs))
		}
		if a.fn == "min" {
			return strconv.FormatInt(slices.Min(ints), 10)
		}
		return strconv.FormatInt(slices.Max(ints), 10)
	}
	if n == 0 {
		return "NULL"
	}
	var sum int64
	for _, v := range ints {
		sum += v
	}
	if a.fn == "sum" {
		return strconv.FormatInt(sum, 10)
	}
	return renderF(float64(sum) / float64(len(ints))) // avg
}

// diffRowsDiff describes how got differs from want (both sorted), or ""
// when they are the same multiset.
func diffRowsDiff(got, want []string) string {
	if slices.Equal(got, want) {
		return ""
	}
	var b strings.Builder
	i, j := 0, 0
	for i < len(got) || j < len(want) {
		switch {
		case j == len(want) || (i < len(got) && got[i] < want[j]):
			fmt.Fprintf(&b, "  + %s   (engine only)\n", got[i])
			i++
		case i == len(got) || want[j] < got[i]:
			fmt.Fprintf(&b, "  - %s   (reference only)\n", want[j])
			j++
		default:
			fmt.Fprintf(&b, "    %s\n", got[i])
			i++
			j++
		}
	}
	return b.String()
}
