package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
)

func TestLastClosedEnd(t *testing.T) {
	const s = int64(time.Second / time.Microsecond)
	for _, c := range []struct{ now, delay, want int64 }{
		{10*s + 500_000, 100_000, 10 * s}, // 10 s + 0.1 s ≤ 10.5 s
		{10*s + 50_000, 100_000, 9 * s},   // 10 s + 0.1 s > 10.05 s
		{10*s + 100_000, 100_000, 10 * s}, // exactly at the trigger
		{-s + 50_000, 100_000, -2 * s},    // floor, not truncation
		{10 * s, 0, 10 * s},
	} {
		if got := lastClosedEnd(c.now, s, c.delay); got != c.want {
			t.Errorf("lastClosedEnd(%d, %d, %d) = %d, want %d", c.now, s, c.delay, got, c.want)
		}
	}
}

func TestCheckWindows(t *testing.T) {
	const key = 3
	view := map[viewKey]int64{{2, key}: 5, {3, key}: 6, {4, key}: 7, {3, 4}: 99}
	ws := func(v ...int64) []loadWindow { // end, n pairs
		var out []loadWindow
		for i := 0; i < len(v); i += 2 {
			out = append(out, loadWindow{end: v[i], n: v[i+1]})
		}
		return out
	}
	for _, c := range []struct {
		name     string
		ws       []loadWindow
		target   int64
		compared int
		err      string
	}{
		{"first window partial, rest equal", ws(1, 100, 2, 5, 3, 6), 3, 2, ""},
		{"past the target not compared", ws(2, 1, 3, 6, 4, 0, 5, 0), 3, 1, ""},
		{"nothing", nil, 3, 0, "received nothing"},
		{"gap", ws(1, 1, 3, 6), 3, 0, "followed by"},
		{"duplicate", ws(2, 5, 2, 5, 3, 6), 3, 0, "followed by"},
		{"short of the target", ws(1, 1, 2, 5), 3, 0, "want through"},
		{"count differs", ws(1, 1, 2, 5, 3, 7), 3, 1, "count 7, the view has 6"},
		{"missing from the view", ws(4, 1, 5, 1), 5, 0, "present false"},
	} {
		n, err := checkWindows(c.ws, c.target, 1, view, key)
		if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.err)
		}
		if n != c.compared {
			t.Errorf("%s: compared %d, want %d", c.name, n, c.compared)
		}
	}
}

func TestRSSTrend(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var samples []rssSample
	// One sample a second: 100 MiB + 1 MiB per second, plus one before
	// and one after the period, which must be left out.
	for i := -1; i <= 60; i++ {
		samples = append(samples, rssSample{at: t0.Add(time.Duration(i) * time.Second), rss: int64(100+i) << 20})
	}
	m := rssTrend(samples, t0, t0.Add(59*time.Second))
	if m.n != 60 || m.first != 100<<20 || m.last != 159<<20 || m.peak != 159<<20 {
		t.Fatalf("trend %+v: want 60 samples from 100 to 159 MiB", m)
	}
	if m.firstHalf != (100<<20+129<<20)/2 || m.secondHalf != (130<<20+159<<20)/2 {
		t.Errorf("half means %d, %d", m.firstHalf, m.secondHalf)
	}
	if got := m.slope / (1 << 20); got < 59.99 || got > 60.01 {
		t.Errorf("slope %.3f MiB/min, want 60", got)
	}
	if m := rssTrend(samples[:1], t0, t0); m.n != 0 || m.slope != 0 {
		t.Errorf("no samples in range: %+v", m)
	}
	if m := rssTrend(samples[1:2], t0, t0); m.n != 1 || m.firstHalf != 0 || m.secondHalf != 100<<20 || m.slope != 0 {
		t.Errorf("one sample: %+v", m)
	}
}

func TestLoadRecord(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.FixedZone("x", 3600))
	var v struct {
		Auction, Bidder, Price int64
		DateTime               string `json:"date_time"`
	}
	if err := json.Unmarshal(loadRecord(123, at), &v); err != nil {
		t.Fatal(err)
	}
	if v.Auction != 123 || v.Bidder != 123%loadKeys || v.DateTime != "2026-01-02 02:04:05.000006" {
		t.Errorf("record %+v", v)
	}
}

func TestParseFlagsLoad(t *testing.T) {
	c, err := parseFlags([]string{"-load"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.sessions != 500 || c.rate != loadDefaultRate || c.duration != loadDefaultDuration {
		t.Errorf("defaults: sessions %d rate %g duration %s", c.sessions, c.rate, c.duration)
	}
	c, err = parseFlags([]string{"-load", "-duration", "5s", "-rate", "50", "-sessions", "3"}, io.Discard)
	if err != nil || c.duration != 5*time.Second || c.rate != 50 || c.sessions != 3 {
		t.Errorf("set flags: %+v, %v", c, err)
	}
	if c, _ := parseFlags(nil, io.Discard); c.duration != 20*time.Second {
		t.Errorf("latency's -duration default changed to %s", c.duration)
	}
	for _, args := range [][]string{{"-load", "-latency"}, {"-load", "-queries", "all"}, {"-load", "-sessions", "0"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
