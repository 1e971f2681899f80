package exec

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// sessionIndex lists the open sessions of each group (by gid), sorted by
// start, plus per-batch scratch reused across batches.
type sessionIndex struct {
	byGid    [][]int32
	perm     []int32 // kept rows ordered by (batch group, event time)
	first    []int32 // batch group -> its run in perm, first[g]:first[g+1]
	cursor   []int32
	rows     []int32 // row -> batch session
	sessions []batchSession
}

func newSessionIndex() *sessionIndex { return &sessionIndex{} }

func (x *sessionIndex) open(g int32) []int32 {
	if int(g) < len(x.byGid) {
		return x.byGid[g]
	}
	return nil
}

func (x *sessionIndex) set(g int32, l []int32) {
	if int(g) >= len(x.byGid) {
		x.byGid = growSlice(x.byGid, int(g)+1)
	}
	x.byGid[g] = l
}

func (x *sessionIndex) remove(g int32, s int32) {
	x.set(g, slices.DeleteFunc(x.open(g), func(v int32) bool { return v == s }))
}

// batchSession is a session formed by the rows of one batch.
type batchSession struct {
	group       int32 // batch group
	first, last int64
}

// pushSession groups rows by key, splits each group's rows (in event-time
// order) into sessions at gaps of at least w.gap, pre-aggregates each
// batch session, then merges it with the open sessions it overlaps.
func (w *windowAgg) pushSession(n int, args []arrow.Array) error {
	kb := w.batch
	w.dropLateSessionRows()
	kb.groupByKey(n)
	sessions := w.batchSessions(n)
	for a, acc := range kb.accs {
		acc.resetAll(len(sessions))
		if err := acc.update(w.sess.rows, args[a]); err != nil {
			return err
		}
	}
	for i, bs := range sessions {
		if err := w.mergeSession(int32(i), bs, kb.gid[bs.group]); err != nil {
			return err
		}
	}
	return nil
}

// dropLateSessionRows drops the possibly-late rows (assignSession) that
// overlap no session of their group open at the start of this batch: the
// session such a row would join had closed before its batch began (SPEC
// §2), so it is late. Open sessions all end after the watermark, so a row
// inside or just before one still extends it.
func (w *windowAgg) dropLateSessionRows() {
	st, gids := w.state, w.batch.gids
	for _, r := range w.maybeLate {
		g := gids[r]
		if g < 0 {
			continue
		}
		t, end := w.prefix[r], w.prefix[r]+w.gap
		joins := false
		for _, s := range w.sess.open(g) {
			if st.start[s] < end && t < st.end[s] {
				joins = true
				break
			}
		}
		if !joins {
			gids[r] = -1
			w.stats.LateRows++
		}
	}
}

// batchSessions orders kept rows by (batch group, time) and cuts sessions.
// Rows are bucketed by group in one counting pass (row order kept), and a
// group's run is only sorted when its times are not already in order.
func (w *windowAgg) batchSessions(n int) []batchSession {
	x, groups, ts := w.sess, w.batch.rowGroup, w.prefix
	ng := len(w.batch.gid)
	x.first = resizeInt32(x.first, ng+1)
	clear(x.first)
	for _, g := range groups[:n] {
		if g >= 0 {
			x.first[g+1]++
		}
	}
	for g := range ng {
		x.first[g+1] += x.first[g]
	}
	x.cursor = append(x.cursor[:0], x.first[:ng]...)
	x.perm = resizeInt32(x.perm, int(x.first[ng]))
	for i, g := range groups[:n] {
		if g >= 0 {
			x.perm[x.cursor[g]] = int32(i)
			x.cursor[g]++
		}
	}
	for g := range ng {
		run := x.perm[x.first[g]:x.first[g+1]]
		if !slices.IsSortedFunc(run, func(a, b int32) int { return compareInt64(ts[a], ts[b]) }) {
			slices.SortFunc(run, func(a, b int32) int { return compareInt64(ts[a], ts[b]) })
		}
	}
	x.rows = resizeInt32(x.rows, n)
	for i := range x.rows {
		x.rows[i] = -1
	}
	out := x.sessions[:0]
	for _, r := range x.perm {
		g, t := groups[r], ts[r]
		if k := len(out) - 1; k >= 0 && out[k].group == g && t < out[k].last+w.gap {
			out[k].last = t
		} else {
			out = append(out, batchSession{group: g, first: t, last: t})
		}
		x.rows[r] = int32(len(out) - 1)
	}
	x.sessions = out
	return out
}

// mergeSession folds batch session b into the open sessions of group g:
// every session it overlaps ([first, last+gap) intervals) merges into one.
func (w *windowAgg) mergeSession(b int32, bs batchSession, g int32) error {
	st := w.state
	start, end := bs.first, bs.last+w.gap
	open := w.sess.open(g)
	var target int32 = -1
	kept := open[:0]
	for _, s := range open {
		if st.start[s] >= end || start >= st.end[s] {
			kept = append(kept, s)
			continue
		}
		if target < 0 {
			target = s
			continue
		}
		for _, acc := range st.accs { // a bridge: fold s into target
			if err := acc.merge(target, acc, s); err != nil {
				return err
			}
		}
		start, end = min(start, st.start[s]), max(end, st.end[s])
		st.release(s)
	}
	if target < 0 {
		target = st.alloc(start, end, g, false)
	} else {
		start, end = min(start, st.start[target]), max(end, st.end[target])
	}
	st.start[target], st.end[target] = start, end
	for a, acc := range st.accs {
		if err := acc.merge(target, w.batch.accs[a], b); err != nil {
			return err
		}
	}
	st.touch(target)
	kept = append(kept, target)
	slices.SortFunc(kept, func(a, b int32) int { return compareInt64(st.start[a], st.start[b]) })
	w.sess.set(g, kept)
	return nil
}
