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
	rows        int64
	late        bool // its rows are late (dropLateSessions)
}

// pushSession groups rows by key, splits each group's rows (in event-time
// order) into sessions at gaps of at least w.gap, pre-aggregates each
// batch session, then merges it with the open sessions it overlaps.
func (w *windowAgg) pushSession(n int, args []arrow.Array) error {
	kb := w.batch
	kb.groupByKey(n)
	sessions := w.batchSessions(n)
	w.dropLateSessions(sessions)
	for a, acc := range kb.accs {
		acc.resetAll(len(sessions))
		if err := acc.update(w.sess.rows, args[a]); err != nil {
			return err
		}
	}
	for i, bs := range sessions {
		if bs.late {
			continue
		}
		if err := w.mergeSession(int32(i), bs, kb.gid[bs.group]); err != nil {
			return err
		}
	}
	return nil
}

// dropLateSessions marks the batch sessions whose rows are late: those
// that join no session of their group still open at the start of this
// batch and would themselves have closed already (last+gap <= the
// watermark). A row joins the session its batch session merges into, so a
// row that would have closed on its own is on time when another row of the
// batch links it to an open session (SPEC §2: an event arriving while a
// session is open extends it). Late rows leave the accumulation (rows -1).
// All batch sessions are judged before any is merged, against the open
// sessions as the batch found them.
func (w *windowAgg) dropLateSessions(sessions []batchSession) {
	x := w.sess
	for i := range sessions {
		bs := &sessions[i]
		end := bs.last + w.gap
		if end <= w.prevWM && !w.overlapsOpen(w.batch.gid[bs.group], bs.first, end) {
			bs.late = true
			w.stats.LateRows += bs.rows
		}
	}
	for r, b := range x.rows {
		if b >= 0 && sessions[b].late {
			x.rows[r] = -1
		}
	}
}

// overlapsOpen reports whether [start, end) overlaps an open session of
// group g.
func (w *windowAgg) overlapsOpen(g int32, start, end int64) bool {
	st := w.state
	for _, s := range w.sess.open(g) {
		if st.start[s] < end && start < st.end[s] {
			return true
		}
	}
	return false
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
			out[k].rows++
		} else {
			out = append(out, batchSession{group: g, first: t, last: t, rows: 1})
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
