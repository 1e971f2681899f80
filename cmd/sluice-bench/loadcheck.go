package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"time"
)

// maxListedErrors bounds the session errors the report lists.
const maxListedErrors = 5

// check counts the sessions' errors and checks every continuous query's
// windows against the view; it reports all the failures.
func (res *loadResult) check(view map[viewKey]int64, window time.Duration) error {
	var errs []error
	for _, s := range res.sessions {
		for _, err := range []error{s.setupErr, s.pushErr, s.pullErr} {
			if err != nil {
				errs = append(errs, err)
			}
		}
		if s.setupErr != nil || s.pushErr != nil {
			continue
		}
		n, err := checkWindows(s.windows, res.target, window.Microseconds(), view, int64(s.key))
		if err != nil {
			errs = append(errs, fmt.Errorf("session %d: %w", s.id, err))
		}
		res.compared += n
	}
	if len(errs) == 0 {
		return nil
	}
	listed := errs[:min(len(errs), maxListedErrors)]
	return fmt.Errorf("%d errors; the first %d:\n%w", len(errs), len(listed), errors.Join(listed...))
}

// checkWindows checks one continuous query's rows: at least one; window
// ends consecutive (every key has rows in every window, so none may be
// missing) through target (µs); and, except for the first window, which
// began before the query started reading, the same count as the view's
// row for (window, key). It returns the number of windows compared.
func checkWindows(ws []loadWindow, target, size int64, view map[viewKey]int64, key int64) (int, error) {
	if len(ws) == 0 {
		return 0, errors.New("the continuous query received nothing")
	}
	for i := 1; i < len(ws); i++ {
		if ws[i].end != ws[i-1].end+size {
			return 0, fmt.Errorf("window ending %s followed by %s, want %s", fmtMicros(ws[i-1].end),
				fmtMicros(ws[i].end), fmtMicros(ws[i-1].end+size))
		}
	}
	if last := ws[len(ws)-1].end; last < target {
		return 0, fmt.Errorf("received windows through %s, want through %s", fmtMicros(last), fmtMicros(target))
	}
	compared := 0
	for _, w := range ws[1:] {
		if w.end > target {
			break // the view may not have closed it yet
		}
		want, ok := view[viewKey{w.end, key}]
		if !ok || w.n != want {
			return compared, fmt.Errorf("window ending %s: count %d, the view has %d (present %t)",
				fmtMicros(w.end), w.n, want, ok)
		}
		compared++
	}
	return compared, nil
}

// memTrend summarises the server's RSS over the measured period.
type memTrend struct {
	n                     int
	first, last, peak     int64   // bytes
	firstHalf, secondHalf int64   // mean bytes of each half of the samples
	slope                 float64 // least-squares bytes per minute
}

// rssTrend summarises the samples taken in [from, to].
func rssTrend(samples []rssSample, from, to time.Time) memTrend {
	var in []rssSample
	for _, s := range samples {
		if !s.at.Before(from) && !s.at.After(to) {
			in = append(in, s)
		}
	}
	t := memTrend{n: len(in)}
	if len(in) == 0 {
		return t
	}
	t.first, t.last = in[0].rss, in[len(in)-1].rss
	var sx, sy, sxx, sxy float64
	for i, s := range in {
		t.peak = max(t.peak, s.rss)
		x, y := s.at.Sub(from).Minutes(), float64(s.rss)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
		if i < len(in)/2 {
			t.firstHalf += s.rss
		} else {
			t.secondHalf += s.rss
		}
	}
	h := int64(len(in) / 2)
	if h > 0 {
		t.firstHalf /= h
	}
	t.secondHalf /= int64(len(in)) - h
	if n := float64(len(in)); n*sxx-sx*sx > 0 {
		t.slope = (n*sxy - sx*sy) / (n*sxx - sx*sx)
	}
	return t
}

// loadSummary gathers the per-session figures the report prints.
type loadSummary struct {
	errors, failedSessions int
	windows                []int // per session, sorted
	resultSets             int
	maxRunning             int64
	view, sys              latencyStats
}

func summariseLoad(res *loadResult) loadSummary {
	var sm loadSummary
	var view, sys []time.Duration
	for _, s := range res.sessions {
		n := 0
		for _, err := range []error{s.setupErr, s.pushErr, s.pullErr} {
			if err != nil {
				n++
			}
		}
		sm.errors += n
		if n > 0 {
			sm.failedSessions++
		}
		sm.windows = append(sm.windows, len(s.windows))
		sm.resultSets += s.resultSets
		sm.maxRunning = max(sm.maxRunning, s.maxRunning)
		view, sys = append(view, s.viewLat...), append(sys, s.sysLat...)
	}
	slices.Sort(sm.windows)
	sm.view, sm.sys = summarise(view), summarise(sys)
	return sm
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// printLoad prints the run's figures and a Markdown table row.
func printLoad(w io.Writer, cfg config, res *loadResult) {
	sm := summariseLoad(res)
	mt := rssTrend(res.rss, res.steadyStart, res.steadyEnd)
	secs := res.measured.Seconds()
	fmt.Fprintf(w, "sessions        %d, each with 2 connections: %s (bidder = session %% %d)\n", cfg.sessions,
		loadPushQuery(0, cfg.window), loadKeys)
	fmt.Fprintf(w, "                and pulls every %s alternating %s and %s\n", cfg.pullInterval, loadPullView(0), loadPullQueries)
	fmt.Fprintf(w, "producer        %.0f bids/s target, %d sent in all; watermark delay %s, batch interval %s\n",
		cfg.rate, res.sent, cfg.watermarkDelay, cfg.batchInterval)
	fmt.Fprintf(w, "ramp            %.1f s to open %d connections and start %d continuous queries\n",
		res.ramp.Seconds(), 2*cfg.sessions, cfg.sessions)
	fmt.Fprintf(w, "measured        %.1f s; server CPU %.1f s (%.2f cores); drain to the last window %.1f s\n",
		secs, res.cpu.Seconds(), res.cpu.Seconds()/secs, res.drain.Seconds())
	fmt.Fprintf(w, "errors          %d (sessions with an error: %d)\n", sm.errors, sm.failedSessions)
	fmt.Fprintf(w, "continuous      windows per query min %d, median %d, max %d; %d result sets; %d windows checked against the view\n",
		sm.windows[0], sm.windows[len(sm.windows)/2], sm.windows[len(sm.windows)-1], sm.resultSets, res.compared)
	fmt.Fprintf(w, "                running push queries seen by pulls of sluice.queries: at most %d\n", sm.maxRunning)
	for _, p := range []struct {
		name string
		st   latencyStats
	}{{"view", sm.view}, {"sluice.queries", sm.sys}} {
		fmt.Fprintf(w, "pull %-14s %d pulls (%.0f/s), p50 %s, p99 %s, max %s\n", p.name, p.st.n,
			float64(p.st.n)/secs, ms(p.st.p50), ms(p.st.p99), ms(p.st.max))
	}
	fmt.Fprintf(w, "server RSS      %d samples over the measured period: first %.0f MiB, last %.0f MiB, peak %.0f MiB; "+
		"mean of 1st half %.0f MiB, 2nd half %.0f MiB; slope %+.1f MiB/min; VmHWM %.0f MiB\n",
		mt.n, mib(mt.first), mib(mt.last), mib(mt.peak), mib(mt.firstHalf), mib(mt.secondHalf), mt.slope/(1<<20), mib(res.peakRSS))
	fmt.Fprintln(w, "| sessions | connections | rate bids/s | measured | errors | windows/query (min) | view pull p50 / p99 | sluice.queries pull p50 / p99 | server CPU | RSS 1st half → 2nd half | peak RSS |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|")
	fmt.Fprintf(w, "| %d | %d | %.0f | %.0f s | %d | %d | %s / %s | %s / %s | %.2f cores | %.0f → %.0f MiB | %.0f MiB |\n",
		cfg.sessions, 2*cfg.sessions, cfg.rate, secs, sm.errors, sm.windows[0], ms(sm.view.p50), ms(sm.view.p99),
		ms(sm.sys.p50), ms(sm.sys.p99), res.cpu.Seconds()/secs, mib(mt.firstHalf), mib(mt.secondHalf), mib(res.peakRSS))
}
