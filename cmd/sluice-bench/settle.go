package main

import (
	"context"
	"time"
)

const (
	// settleStep is the sampling period of settle.
	settleStep = 200 * time.Millisecond
	// settleIdle is the CPU time per step below which the server counts as
	// idle: two clock ticks, 10% of one core.
	settleIdle = 2 * time.Second / clockTicks
	// settleMax bounds the wait; a server that never idles is timed anyway.
	settleMax = 10 * time.Second
)

// settle waits until the server uses less than settleIdle of CPU in one
// settleStep, so that work left over from the preload (the broker's
// appends, garbage collection) is not charged to the query. It returns how
// long it waited and whether the server went idle.
func settle(ctx context.Context, pid int) (time.Duration, bool, error) {
	start := time.Now()
	prev, err := readCPU(pid)
	if err != nil {
		return 0, false, err
	}
	t := time.NewTicker(settleStep)
	defer t.Stop()
	for time.Since(start) < settleMax {
		select {
		case <-ctx.Done():
			return time.Since(start), false, ctx.Err()
		case <-t.C:
		}
		cur, err := readCPU(pid)
		if err != nil {
			return time.Since(start), false, err
		}
		if cur.sub(prev).total() < settleIdle {
			return time.Since(start), true, nil
		}
		prev = cur
	}
	return time.Since(start), false, nil
}
