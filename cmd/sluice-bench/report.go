package main

import (
	"fmt"
	"io"
	"time"
)

// report prints the run's figures, one "name  value" line each.
func report(w io.Writer, cfg config, load loadStats, res queryResult) {
	check := "ok"
	if res.sumBids != load.bids {
		check = fmt.Sprintf("MISMATCH, want %d", load.bids)
	}
	wall, cpu := res.wall.Seconds(), res.cpu.total().Seconds()
	lines := [][2]string{
		{"query", benchQuery},
		{"events", fmt.Sprintf("%d bids, %.1f MB JSON, %d partitions, seed %d, batch interval %s",
			load.bids, float64(load.bytes)/1e6, cfg.partitions, cfg.seed, cfg.batchInterval)},
		{"event time", fmt.Sprintf("%s .. %s (%s at %g events/s)", load.first.Format(time.RFC3339Nano),
			load.last.Format(time.RFC3339Nano), load.last.Sub(load.first), cfg.eventRate)},
		{"preload", fmt.Sprintf("%.2f s (not timed)", load.elapsed.Seconds())},
		{"results", fmt.Sprintf("%d rows, %d windows, %d result sets; sum(bids) = %d (%s)",
			res.rows, res.windows, res.resultSets, res.sumBids, check)},
		{"wall", fmt.Sprintf("%.3f s (first result set read after %.3f s)", wall, res.firstResult.Seconds())},
		{"events/s", fmt.Sprintf("%.0f", rate(load.bids, wall))},
		{"server CPU", fmt.Sprintf("%.2f s (user %.2f s, sys %.2f s)", cpu, res.cpu.user.Seconds(), res.cpu.sys.Seconds())},
		{"per CPU-second", fmt.Sprintf("%.0f events/s", rate(load.bids, cpu))},
		{"peak RSS", fmt.Sprintf("%.1f MiB (server VmHWM)", float64(res.peakRSS)/(1<<20))},
		{"query end", fmt.Sprintf("cancelled: %v", res.endErr)},
	}
	for _, l := range lines {
		fmt.Fprintf(w, "%-15s %s\n", l[0], l[1])
	}
}

// rate is n per second over secs, 0 when secs is 0 (below the clock's
// resolution).
func rate(n int64, secs float64) float64 {
	if secs <= 0 {
		return 0
	}
	return float64(n) / secs
}
