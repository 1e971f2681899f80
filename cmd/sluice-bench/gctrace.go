package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// The suite starts the server with GODEBUG=gctrace=1, so the Go runtime
// writes one line to stderr (the server log) at the end of every GC cycle:
//
//	gc 7 @1.234s 3%: 0.02+12+0.03 ms clock, 0.05+2.1/11/0.4+0.07 ms cpu, 60->62->30 MB, …
//
// The "ms cpu" part is the cycle's CPU time: stop-the-world sweep
// termination, then mark assist / dedicated+fractional background mark /
// idle mark, then stop-the-world mark termination. Their sum is the same
// quantity as the runtime metric /cpu/classes/gc/total:cpu-seconds minus
// sweeping, which the server's /metrics does not export. The GC CPU share
// is the sum over the cycles that ended during the timed interval divided
// by the server's CPU time over it. A cycle that straddles the start is
// counted whole, so the share is good to about one cycle.

// gcCPUBetween sums the CPU time of the gctrace lines in the log between
// byte offsets from and to.
func gcCPUBetween(path string, from, to int64) (time.Duration, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, fmt.Errorf("gc trace: %w", err)
	}
	defer f.Close()
	return sumGCTrace(io.NewSectionReader(f, from, to-from))
}

// sumGCTrace sums the "ms cpu" figures of every gctrace line in r.
func sumGCTrace(r io.Reader) (time.Duration, int, error) {
	var total time.Duration
	n := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		d, ok, err := parseGCTraceLine(sc.Text())
		if err != nil {
			return 0, 0, err
		}
		if ok {
			total += d
			n++
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, fmt.Errorf("gc trace: %w", err)
	}
	return total, n, nil
}

// parseGCTraceLine returns the CPU time of one gctrace line; ok is false
// for any other line.
func parseGCTraceLine(line string) (d time.Duration, ok bool, err error) {
	if !strings.HasPrefix(line, "gc ") {
		return 0, false, nil
	}
	_, rest, found := strings.Cut(line, " ms clock, ")
	if !found {
		return 0, false, nil
	}
	cpu, _, found := strings.Cut(rest, " ms cpu")
	if !found {
		return 0, false, nil
	}
	var ms float64
	for part := range strings.FieldsFuncSeq(cpu, func(r rune) bool { return r == '+' || r == '/' }) {
		v, err := strconv.ParseFloat(part, 64)
		if err != nil {
			return 0, false, fmt.Errorf("gc trace %q: %w", line, err)
		}
		ms += v
	}
	return time.Duration(ms * float64(time.Millisecond)), true, nil
}
