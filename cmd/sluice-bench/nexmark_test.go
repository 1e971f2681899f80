package main

import (
	"maps"
	"strings"
	"testing"
	"time"
)

// sec is s seconds after the epoch, in µs.
func sec(s float64) int64 { return int64(s * 1e6) }

func TestParseBid(t *testing.T) {
	set, err := generateBids(50, 1, 10e6)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range set.bids {
		if b.auction <= 0 || b.bidder <= 0 || b.price <= 0 {
			t.Fatalf("bid %d %+v from %s: want positive fields", i, b, set.json[i])
		}
		if i > 0 && b.us < set.bids[i-1].us {
			t.Fatalf("bid %d goes back in time", i)
		}
	}
	if _, err := parseBid([]byte(`{"auction":1,"bidder":2}`)); err == nil {
		t.Fatal("parseBid without price: no error")
	}
}

func TestHopCounts(t *testing.T) {
	bids := []bid{{auction: 7, us: sec(1)}, {auction: 7, us: sec(2)}, {auction: 8, us: sec(11.5)}}
	got := hopCounts(bids, sec(2), sec(10))
	want := map[winKey]int64{
		// t=1 is in the windows starting -8, -6, -4, -2, 0; t=2 (a window
		// start) in those starting -6 … 2, not in [-8, 2).
		{sec(2), 7}: 1, {sec(4), 7}: 2, {sec(6), 7}: 2, {sec(8), 7}: 2, {sec(10), 7}: 2, {sec(12), 7}: 1,
		// t=11.5 is in those starting 2, 4, 6, 8, 10.
		{sec(12), 8}: 1, {sec(14), 8}: 1, {sec(16), 8}: 1, {sec(18), 8}: 1, {sec(20), 8}: 1,
	}
	if !maps.Equal(got, want) {
		t.Fatalf("hopCounts =\n%v\nwant\n%v", got, want)
	}
}

func TestTumbleMax(t *testing.T) {
	bids := []bid{
		{price: 5, us: sec(0)}, {price: 9, us: sec(9.999999)}, {price: 3, us: sec(10)}, // half-open
		{price: 4, us: sec(-0.5)}, // floor before 1970
	}
	got := tumbleMax(bids, sec(10))
	want := map[winKey]int64{{end: sec(10)}: 9, {end: sec(20)}: 3, {end: 0}: 4}
	if !maps.Equal(got, want) {
		t.Fatalf("tumbleMax = %v, want %v", got, want)
	}
}

func TestSessionCounts(t *testing.T) {
	bids := []bid{
		{bidder: 1, us: sec(0)}, {bidder: 2, us: sec(1)}, {bidder: 1, us: sec(5)},
		{bidder: 1, us: sec(24)},                             // exactly gap after 14: a new session
		{bidder: 2, us: sec(10.9)}, {bidder: 1, us: sec(14)}, // out of order: extends the first
	}
	got := sessionCounts(bids, sec(10))
	want := map[winKey]int64{
		{sec(24), 1}:   3, // 0, 5, 14 → [0, 24)
		{sec(34), 1}:   1, // 24 → [24, 34)
		{sec(20.9), 2}: 2,
	}
	if !maps.Equal(got, want) {
		t.Fatalf("sessionCounts = %v, want %v", got, want)
	}
}

func TestExpected(t *testing.T) {
	bids := []bid{
		{auction: 123, bidder: 1, price: 10, us: sec(1)},
		{auction: 124, bidder: 1, price: 20, us: sec(2)},
		{auction: 246, bidder: 2, price: 30, us: sec(12)},
	}
	recordMs := []int64{9_000, 9_999, 10_000}
	byName := map[string]nexmarkQuery{}
	for _, q := range suiteQueries {
		byName[q.name] = q
	}
	for _, tc := range []struct {
		q        string
		rows     int64
		sum      float64
		lastEnd  int64
		nWindows int
	}{
		{q: "q0", rows: 3, sum: 60},
		{q: "q1", rows: 3, sum: 0.908 * 60},
		{q: "q2", rows: 2, sum: 40},
		{q: "q5-agg", lastEnd: sec(22), nWindows: 15},
		{q: "q7-agg", lastEnd: sec(20), nWindows: 2},
		{q: "q11", lastEnd: sec(22), nWindows: 2},
		{q: "q12", lastEnd: sec(20), nWindows: 2},
	} {
		r, err := expected(byName[tc.q], bids, recordMs)
		if err != nil {
			t.Fatal(err)
		}
		if r.rows != tc.rows || !sameSum(r.sumPrice, tc.sum) || r.lastEnd != tc.lastEnd || len(r.windows) != tc.nWindows {
			t.Errorf("%s: rows %d sum %g lastEnd %d windows %d; want %d %g %d %d",
				tc.q, r.rows, r.sumPrice, r.lastEnd, len(r.windows), tc.rows, tc.sum, tc.lastEnd, tc.nWindows)
		}
	}
	// q12 windows by record time: 9.000 and 9.999 s in [0,10), 10.000 in [10,20).
	r, _ := expected(byName["q12"], bids, recordMs)
	if r.windows[winKey{sec(10), 1}] != 2 || r.windows[winKey{sec(20), 2}] != 1 {
		t.Errorf("q12 windows %v", r.windows)
	}
}

func TestCompareWindows(t *testing.T) {
	want := map[winKey]int64{{1, 1}: 2, {1, 2}: 3}
	if err := compareWindows(maps.Clone(want), want); err != nil {
		t.Fatal(err)
	}
	for _, got := range []map[winKey]int64{
		{{1, 1}: 2},
		{{1, 1}: 2, {1, 2}: 4},
		{{1, 1}: 2, {1, 2}: 3, {2, 2}: 1},
	} {
		if err := compareWindows(got, want); err == nil {
			t.Errorf("compareWindows(%v): no error", got)
		}
	}
}

func TestParseWindowRow(t *testing.T) {
	k, v, err := parseWindowRow([][]byte{[]byte("2024-01-01 00:00:10"), []byte("1001"), []byte("42")})
	if err != nil {
		t.Fatal(err)
	}
	end := time.Date(2024, 1, 1, 0, 0, 10, 0, time.UTC).UnixMicro()
	if k != (winKey{end, 1001}) || v != 42 {
		t.Fatalf("got %+v %d", k, v)
	}
	k, _, err = parseWindowRow([][]byte{[]byte("2024-01-01 00:00:10+00"), []byte("7")})
	if err != nil || k != (winKey{end: end}) {
		t.Fatalf("timestamptz: %+v %v", k, err)
	}
}

func TestSumGCTrace(t *testing.T) {
	log := strings.Join([]string{
		`{"level":"INFO","msg":"something"}`,
		`gc 1 @0.011s 2%: 0.009+0.52+0.003 ms clock, 0.018+0.10/0.40/0.20+0.006 ms cpu, 3->4->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P`,
		`gc 2 @0.050s 3%: 0.01+1.0+0.01 ms clock, 0.5+1.5/2/0+0.5 ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 2 P (forced)`,
	}, "\n")
	d, n, err := sumGCTrace(strings.NewReader(log))
	if err != nil {
		t.Fatal(err)
	}
	want := time.Duration((0.018 + 0.10 + 0.40 + 0.20 + 0.006 + 0.5 + 1.5 + 2 + 0 + 0.5) * float64(time.Millisecond))
	if n != 2 || (d-want).Abs() > time.Microsecond {
		t.Fatalf("sumGCTrace = %s over %d cycles, want %s over 2", d, n, want)
	}
}

func TestSelectQueries(t *testing.T) {
	if qs, err := selectQueries("all"); err != nil || len(qs) != len(suiteQueries) {
		t.Fatalf("all: %d, %v", len(qs), err)
	}
	if qs, err := selectQueries("q7-agg, q0"); err != nil || len(qs) != 2 || qs[0].name != "q7-agg" {
		t.Fatalf("list: %v, %v", qs, err)
	}
	if _, err := selectQueries("q8"); err == nil {
		t.Fatal("q8: no error")
	}
}
