package main

import (
	"context"
	"fmt"
	"strconv"
	"time"
)

// batchStats summarises the query's last batches as sluice.batches shows
// them (at most 100): what a window's latency is made of besides the wait
// for the next trigger.
type batchStats struct {
	n                    int
	rows                 latencyStats // input rows per batch, as durations of 1 ns per row
	processing, schedule latencyStats
}

// readBatchStats reads sluice.batches on a connection of its own (the
// query's connection is busy streaming it).
func readBatchStats(ctx context.Context, pgAddr string) (batchStats, error) {
	conn, err := connect(ctx, pgAddr)
	if err != nil {
		return batchStats{}, err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	res, err := conn.Exec(ctx, `SELECT input_rows, processing_ms, scheduling_delay_ms FROM sluice.batches`).ReadAll()
	if err != nil {
		return batchStats{}, fmt.Errorf("sluice.batches: %w", err)
	}
	var rows, proc, sched []time.Duration
	for _, r := range res[0].Rows {
		n, err1 := strconv.ParseInt(string(r[0]), 10, 64)
		p, err2 := strconv.ParseFloat(string(r[1]), 64)
		s, err3 := strconv.ParseFloat(string(r[2]), 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return batchStats{}, fmt.Errorf("sluice.batches row %q", r)
		}
		rows = append(rows, time.Duration(n))
		proc = append(proc, time.Duration(p*float64(time.Millisecond)))
		sched = append(sched, time.Duration(s*float64(time.Millisecond)))
	}
	return batchStats{n: len(rows), rows: summarise(rows), processing: summarise(proc), schedule: summarise(sched)}, nil
}

func (b batchStats) String() string {
	if b.n == 0 {
		return "none"
	}
	return fmt.Sprintf("last %d: input rows p50 %d max %d; processing p50 %s p99 %s max %s; scheduling delay p50 %s p99 %s",
		b.n, b.rows.p50, b.rows.max, ms(b.processing.p50), ms(b.processing.p99), ms(b.processing.max),
		ms(b.schedule.p50), ms(b.schedule.p99))
}
