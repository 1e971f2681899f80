package exec

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
)

// sessionIndex lists the open sessions of each group, sorted by start.
type sessionIndex struct {
	byKey map[string][]int32
	perm  []int32
	rows  []int32 // row -> batch session
}

func newSessionIndex() *sessionIndex { return &sessionIndex{byKey: make(map[string][]int32)} }

func (x *sessionIndex) remove(groupKey string, s int32) {
	l := slices.DeleteFunc(x.byKey[groupKey], func(v int32) bool { return v == s })
	if len(l) == 0 {
		delete(x.byKey, groupKey)
		return
	}
	x.byKey[groupKey] = l
}

// batchSession is a session formed by the rows of one batch.
type batchSession struct {
	group       int32 // batch key group
	first, last int64
}

// pushSession groups rows by key, splits each group's rows (in event-time
// order) into sessions at gaps of at least w.gap, pre-aggregates each
// batch session, then merges it with the open sessions it overlaps.
func (w *windowAgg) pushSession(n int, keys, args []arrow.Array) error {
	kb := w.batch
	accs := kb.accs
	kb.accs = nil // group by key only; fold per session below
	err := kb.group(n, nil, keys, w.drop, nil)
	kb.accs = accs
	if err != nil {
		return err
	}
	sessions := w.batchSessions(n)
	for a, acc := range accs {
		acc.grow(len(sessions))
		for s := range sessions {
			acc.reset(int32(s))
		}
		if err := acc.update(w.sess.rows, args[a]); err != nil {
			return err
		}
	}
	for i, bs := range sessions {
		if err := w.mergeSession(int32(i), bs, kb.keys[bs.group]); err != nil {
			return err
		}
	}
	return nil
}

// batchSessions orders kept rows by (key group, time) and cuts sessions.
func (w *windowAgg) batchSessions(n int) []batchSession {
	x, groups, ts := w.sess, w.batch.rowGroup, w.prefix
	x.perm = x.perm[:0]
	for i := range n {
		if groups[i] >= 0 {
			x.perm = append(x.perm, int32(i))
		}
	}
	slices.SortFunc(x.perm, func(a, b int32) int {
		if c := compareInt64(int64(groups[a]), int64(groups[b])); c != 0 {
			return c
		}
		return compareInt64(ts[a], ts[b])
	})
	x.rows = resizeInt32(x.rows, n)
	for i := range x.rows {
		x.rows[i] = -1
	}
	var out []batchSession
	for _, r := range x.perm {
		g, t := groups[r], ts[r]
		if k := len(out) - 1; k >= 0 && out[k].group == g && t < out[k].last+w.gap {
			out[k].last = t
		} else {
			out = append(out, batchSession{group: g, first: t, last: t})
		}
		x.rows[r] = int32(len(out) - 1)
	}
	return out
}

// mergeSession folds batch session b into the open sessions of its key:
// every session it overlaps ([first, last+gap) intervals) merges into one.
func (w *windowAgg) mergeSession(b int32, bs batchSession, groupKey string) error {
	st := w.state
	start, end := bs.first, bs.last+w.gap
	open := w.sess.byKey[groupKey]
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
		target = st.alloc(start, end, groupKey, "")
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
	w.sess.byKey[groupKey] = kept
	return nil
}
