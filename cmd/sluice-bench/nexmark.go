package main

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/sluicedb/sluice/ingest/nexmark"
)

// bid is one generated bid as the reference computations see it.
type bid struct {
	auction, bidder, price int64
	us                     int64 // date_time, µs since the epoch
}

// bidSet is the suite's data: the bids as JSON records and as values.
// Every query of a suite run reads the same set.
type bidSet struct {
	json  [][]byte // one record each; slices of shared slabs
	bids  []bid
	bytes int64
}

// generateBids draws n bids from the Nexmark generator (the persons and
// auctions it interleaves are skipped, as in the single-query mode).
func generateBids(n int64, seed uint64, rate float64) (*bidSet, error) {
	gen := nexmark.New(nexmark.Config{Seed: seed, FirstEventTime: firstEventTime, EventsPerSecond: rate})
	s := &bidSet{json: make([][]byte, 0, n), bids: make([]bid, 0, n)}
	var ev nexmark.Event
	var slab []byte
	for int64(len(s.bids)) < n {
		gen.Next(&ev)
		if ev.Kind != nexmark.Bid {
			continue
		}
		b, err := parseBid(ev.JSON)
		if err != nil {
			return nil, err
		}
		b.us = ev.Time.UnixMicro()
		if len(slab)+len(ev.JSON) > cap(slab) {
			slab = make([]byte, 0, max(slabSize, len(ev.JSON)))
		}
		at := len(slab)
		slab = append(slab, ev.JSON...)
		s.json = append(s.json, slab[at:len(slab):len(slab)])
		s.bids = append(s.bids, b)
		s.bytes += int64(len(ev.JSON))
	}
	return s, nil
}

// parseBid reads auction, bidder and price from a generated bid's JSON.
func parseBid(js []byte) (bid, error) {
	var b bid
	for _, f := range []struct {
		key string
		dst *int64
	}{{"auction", &b.auction}, {"bidder", &b.bidder}, {"price", &b.price}} {
		v, err := jsonInt(js, f.key)
		if err != nil {
			return bid{}, err
		}
		*f.dst = v
	}
	return b, nil
}

// jsonInt finds "key": followed by an integer in a flat JSON object.
func jsonInt(js []byte, key string) (int64, error) {
	pat := []byte(`"` + key + `":`)
	i := bytes.Index(js, pat)
	if i < 0 {
		return 0, fmt.Errorf("bid %q: no integer field %s", js, key)
	}
	rest := js[i+len(pat):]
	j := 0
	for j < len(rest) && (rest[j] == '-' || rest[j] >= '0' && rest[j] <= '9') {
		j++
	}
	v, err := strconv.ParseInt(string(rest[:j]), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("bid field %s: %w", key, err)
	}
	return v, nil
}

// floorDiv is ⌊a/b⌋ for b > 0, also for negative a.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// winKey is one (window, group) of a windowed result; group is 0 when
// the query has no group key.
type winKey struct {
	end   int64 // window_end, µs since the epoch
	group int64
}

// queryKind says how results are counted and when a query is complete.
type queryKind uint8

const (
	// unwindowed queries emit one row per matching bid; they are
	// complete when the expected number of rows has arrived.
	unwindowed queryKind = iota
	// windowed queries emit (window_end, group, value) rows; they are
	// complete when the result set holding the last window has arrived.
	windowed
)

// nexmarkQuery is one query of the suite.
type nexmarkQuery struct {
	name string
	sql  string
	kind queryKind
	// procTime: the query windows by _timestamp, so the stream is
	// declared without a WATERMARK (its watermark then follows the
	// window's time column) and the sentinel carries a record time one
	// hour after the last real record.
	procTime bool
	// published per-core events/s from nexmark.md; 0 when not published.
	risingWave, flink116 float64
	note                 string
}

// suiteQueries are the queries of issue 6 that Sluice can express
// without joins. Windowed queries put window_end first, then the group
// key (if any), then the aggregate.
var suiteQueries = []nexmarkQuery{
	{name: "q0", kind: unwindowed, risingWave: 170e3, flink116: 126e3,
		sql: `SELECT auction, bidder, price, date_time FROM bids`},
	{name: "q1", kind: unwindowed, risingWave: 168e3, flink116: 120e3,
		sql: `SELECT auction, bidder, 0.908 * price AS price, date_time FROM bids`},
	{name: "q2", kind: unwindowed, risingWave: 172e3, flink116: 133e3,
		sql: `SELECT auction, price FROM bids WHERE auction % 123 = 0`},
	{name: "q5-agg", kind: windowed, risingWave: 11.3e3, flink116: 22e3,
		sql: `SELECT window_end, auction, count(*) AS n FROM bids ` +
			`GROUP BY HOP(date_time, INTERVAL '2 seconds', INTERVAL '10 seconds'), auction`,
		note: "published q5 includes the join"},
	{name: "q7-agg", kind: windowed, risingWave: 37.5e3, flink116: 14e3,
		sql: `SELECT window_end, max(price) AS top FROM bids ` +
			`GROUP BY TUMBLE(date_time, INTERVAL '10 seconds')`,
		note: "published q7 includes the join"},
	{name: "q11", kind: windowed, flink116: 39e3,
		sql: `SELECT window_end, bidder, count(*) AS n FROM bids ` +
			`GROUP BY SESSION(date_time, INTERVAL '10 seconds'), bidder`},
	{name: "q12", kind: windowed, procTime: true, risingWave: 92e3, flink116: 48e3,
		sql: `SELECT window_end, bidder, count(*) AS n FROM bids ` +
			`GROUP BY TUMBLE(_timestamp, INTERVAL '10 seconds'), bidder`,
		note: "processing time = _timestamp, the Kafka record time set at produce"},
}

// Window parameters of the suite's queries, in µs.
const (
	hopSlide   = int64(2 * time.Second / time.Microsecond)
	hopSize    = int64(10 * time.Second / time.Microsecond)
	tumbleSize = int64(10 * time.Second / time.Microsecond)
	sessionGap = int64(10 * time.Second / time.Microsecond)
)

// reference is what a query must produce for a bid set.
type reference struct {
	rows     int64   // unwindowed: rows
	sumPrice float64 // unwindowed: sum of the price column
	windows  map[winKey]int64
	lastEnd  int64 // windowed: greatest window_end
}

// expected computes q's result over bids. recordMs holds each bid's Kafka
// record time in ms; only q12 reads it.
func expected(q nexmarkQuery, bids []bid, recordMs []int64) (reference, error) {
	var r reference
	switch q.name {
	case "q0":
		for _, b := range bids {
			r.rows++
			r.sumPrice += float64(b.price)
		}
	case "q1":
		for _, b := range bids {
			r.rows++
			r.sumPrice += 0.908 * float64(b.price)
		}
	case "q2":
		for _, b := range bids {
			if b.auction%123 == 0 {
				r.rows++
				r.sumPrice += float64(b.price)
			}
		}
	case "q5-agg":
		r.windows = hopCounts(bids, hopSlide, hopSize)
	case "q7-agg":
		r.windows = tumbleMax(bids, tumbleSize)
	case "q11":
		r.windows = sessionCounts(bids, sessionGap)
	case "q12":
		if len(recordMs) != len(bids) {
			return r, fmt.Errorf("q12: %d record times for %d bids", len(recordMs), len(bids))
		}
		r.windows = map[winKey]int64{}
		for i, b := range bids {
			us := recordMs[i] * 1000
			r.windows[winKey{floorDiv(us, tumbleSize)*tumbleSize + tumbleSize, b.bidder}]++
		}
	default:
		return r, fmt.Errorf("no reference for %s", q.name)
	}
	for k := range r.windows {
		r.lastEnd = max(r.lastEnd, k.end)
	}
	return r, nil
}

// hopCounts is count(*) per (HOP window, auction).
func hopCounts(bids []bid, slide, size int64) map[winKey]int64 {
	m := map[winKey]int64{}
	for _, b := range bids {
		for s := floorDiv(b.us, slide) * slide; s > b.us-size; s -= slide {
			m[winKey{s + size, b.auction}]++
		}
	}
	return m
}

// tumbleMax is max(price) per TUMBLE window.
func tumbleMax(bids []bid, size int64) map[winKey]int64 {
	m := map[winKey]int64{}
	for _, b := range bids {
		k := winKey{end: floorDiv(b.us, size)*size + size}
		if v, ok := m[k]; !ok || b.price > v {
			m[k] = b.price
		}
	}
	return m
}

// sessionCounts is count(*) per (SESSION window, bidder). A session is
// [first, last+gap); an event gap or more after the session's last event
// starts a new one. Sessions are built in event-time order, so the result
// does not depend on the order of bids.
func sessionCounts(bids []bid, gap int64) map[winKey]int64 {
	type session struct{ last, n int64 }
	byBidder := map[int64][]bid{}
	for _, b := range bids {
		byBidder[b.bidder] = append(byBidder[b.bidder], b)
	}
	m := map[winKey]int64{}
	for bidder, bs := range byBidder {
		sortByTime(bs)
		var cur *session
		for _, b := range bs {
			if cur != nil && b.us-cur.last >= gap {
				m[winKey{cur.last + gap, bidder}] = cur.n
				cur = nil
			}
			if cur == nil {
				cur = &session{last: b.us}
			}
			cur.last = max(cur.last, b.us)
			cur.n++
		}
		if cur != nil {
			m[winKey{cur.last + gap, bidder}] = cur.n
		}
	}
	return m
}

// sortByTime sorts bids by date_time, keeping the order of equal times.
func sortByTime(bs []bid) {
	slices.SortStableFunc(bs, func(a, b bid) int { return cmp.Compare(a.us, b.us) })
}

// compareWindows reports the first difference between got and want.
func compareWindows(got, want map[winKey]int64) error {
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			return fmt.Errorf("missing row window_end=%s group=%d (want %d); got %d rows, want %d",
				fmtMicros(k.end), k.group, w, len(got), len(want))
		}
		if g != w {
			return fmt.Errorf("window_end=%s group=%d: got %d, want %d", fmtMicros(k.end), k.group, g, w)
		}
	}
	if len(got) != len(want) {
		for k, g := range got {
			if _, ok := want[k]; !ok {
				return fmt.Errorf("unexpected row window_end=%s group=%d value %d; got %d rows, want %d",
					fmtMicros(k.end), k.group, g, len(got), len(want))
			}
		}
	}
	return nil
}

// sameSum reports whether two sums of prices agree: exactly for integer
// sums, to 1e-9 relative for the float products of q1.
func sameSum(got, want float64) bool {
	return got == want || math.Abs(got-want) <= 1e-9*math.Max(math.Abs(got), math.Abs(want))
}

func fmtMicros(us int64) string { return time.UnixMicro(us).UTC().Format(pgTimestamp) }
