package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kgo"
)

const (
	// latencyTemplates is how many generated bids the live producer
	// cycles through, rewriting date_time in each copy.
	latencyTemplates = 1 << 16
	// probeEvents is the size of the throughput probe behind -rate 0.
	probeEvents = 300_000
	// latencyDrain bounds the wait, after the producer stops, for the
	// last closed window to arrive (plus two batch intervals).
	latencyDrain = 15 * time.Second
	// dateTimeKey precedes the fixed-width (26-byte) date_time value in a
	// generated bid.
	dateTimeKey = `"date_time":"`
	dateTimeLen = len("2006-01-02 15:04:05.000000")
)

// latencyQuery is q7-agg over -window windows, with count(*) added for
// the correctness check.
func latencyQuery(window time.Duration) string {
	return fmt.Sprintf(`SELECT window_end, count(*) AS n, max(price) AS top FROM bids `+
		`GROUP BY TUMBLE(date_time, INTERVAL '%d milliseconds')`, window.Milliseconds())
}

// createStreamDelay is the bids stream with a watermark delay of delay.
func createStreamDelay(partitions int, delay time.Duration) string {
	return fmt.Sprintf(`CREATE STREAM bids (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, `+
		`url VARCHAR, date_time TIMESTAMP, extra VARCHAR, `+
		`WATERMARK FOR date_time AS date_time - INTERVAL '%d milliseconds') `+
		`WITH (topic = '%s', format = 'json', partitions = %d)`, delay.Milliseconds(), topic, partitions)
}

// latencyResult is what one latency run measured.
type latencyResult struct {
	rate       float64 // target bids/s
	probe      float64 // q7-agg events/s of the probe; 0 with -rate set
	sent       int64
	produced   time.Duration // from the first to the last record sent
	maxLag     int64         // most records the producer fell behind the schedule
	windows    int           // windows checked (first included)
	stats      latencyStats
	cpu        time.Duration // server CPU over the run
	cancelErr  error
	peakRSSMiB float64
	batches    batchStats // the query's last batches, from sluice.batches
}

// runLatency is the -latency mode (see doc.go): an optional throughput
// probe, then one server, a live throttled producer and q7-agg over
// small windows, with receive − trigger time per window.
func runLatency(ctx context.Context, cfg config, out, progress io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	res := latencyResult{rate: cfg.rate}
	if res.rate == 0 {
		fmt.Fprintf(progress, "probing q7-agg throughput over %d preloaded bids...\n", probeEvents)
		p, err := probeThroughput(ctx, cfg, progress)
		if err != nil {
			return fmt.Errorf("throughput probe: %w", err)
		}
		res.probe, res.rate = p, p/2
		fmt.Fprintf(progress, "probe: %.0f events/s; producing at half, %.0f bids/s\n", p, res.rate)
	}
	err := latencyRun(ctx, cfg, &res, progress)
	printLatency(out, cfg, res)
	return err
}

// probeThroughput runs q7-agg once over probeEvents preloaded bids on a
// fresh server and returns its events/s.
func probeThroughput(ctx context.Context, cfg config, progress io.Writer) (float64, error) {
	qs, err := selectQueries("q7-agg")
	if err != nil {
		return 0, err
	}
	set, err := generateBids(probeEvents, cfg.seed, cfg.eventRate)
	if err != nil {
		return 0, err
	}
	r, err := runSuiteQuery(ctx, cfg, qs[0], set, profiles{}, progress)
	if err != nil {
		return 0, err
	}
	return rate(r.events, r.wall.Seconds()), nil
}

// latencyRun fills res; the server is killed on every return path.
func latencyRun(ctx context.Context, cfg config, res *latencyResult, progress io.Writer) error {
	return withServer(ctx, cfg, "latency", nil, progress, func(srv *server) error {
		return latencyOn(ctx, srv, cfg, res, progress)
	})
}

// latencyOn is latencyRun's work on the started server srv.
func latencyOn(ctx context.Context, srv *server, cfg config, res *latencyResult, progress io.Writer) (err error) {
	conn, err := connect(ctx, srv.pgAddr)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if err := execDDL(ctx, conn, createStreamDelay(cfg.partitions, cfg.watermarkDelay)); err != nil {
		return err
	}
	set, err := generateBids(latencyTemplates, cfg.seed, cfg.eventRate)
	if err != nil {
		return err
	}
	at := make([]int, len(set.json))
	for i, js := range set.json {
		if at[i] = bytes.Index(js, []byte(dateTimeKey)); at[i] < 0 || at[i]+len(dateTimeKey)+dateTimeLen > len(js) {
			return fmt.Errorf("generated bid %q has no date_time", js)
		}
		at[i] += len(dateTimeKey)
	}
	cpu0, err := readCPU(srv.pid())
	if err != nil {
		return err
	}

	qctx, cancelQuery := context.WithCancel(ctx)
	defer cancelQuery()
	rcv := &receiver{}
	rcv.start(conn.Exec(qctx, latencyQuery(cfg.window)))
	defer func() {
		cancelQuery()
		<-rcv.done
	}()
	// Let the query start before the first record: the first window is
	// left out of the figures anyway.
	warm := time.NewTimer(max(500*time.Millisecond, 3*cfg.batchInterval))
	select {
	case <-ctx.Done():
		warm.Stop()
		return ctx.Err()
	case <-rcv.done:
		warm.Stop()
		return fmt.Errorf("query ended before producing started: %w", rcv.err)
	case <-warm.C:
	}

	tr := newWindowTracker(cfg.window, cfg.watermarkDelay)
	fmt.Fprintf(progress, "producing %.0f bids/s for %s (window %s, watermark delay %s, batch interval %s)...\n",
		res.rate, cfg.duration, cfg.window, cfg.watermarkDelay, cfg.batchInterval)
	if err := produceLive(ctx, srv.kafkaAddr, cfg, set, at, tr, res); err != nil {
		return err
	}
	target := int64(0) // the last closed window that has records
	for e := range tr.want {
		if e <= tr.closedThrough() {
			target = max(target, e)
		}
	}
	drain := time.NewTimer(latencyDrain + 2*cfg.batchInterval)
	defer drain.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !rcv.saw(target) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-rcv.done:
			return fmt.Errorf("query ended before the window ending %s arrived: %w", fmtMicros(target), rcv.err)
		case <-drain.C:
			return fmt.Errorf("window ending %s not received within %s of the last record", fmtMicros(target), latencyDrain+2*cfg.batchInterval)
		case <-tick.C:
		}
	}
	cpu1, err := readCPU(srv.pid())
	if err != nil {
		return err
	}
	res.cpu = cpu1.sub(cpu0).total()
	if rss, err := readStatusBytes(srv.pid(), "VmHWM"); err == nil {
		res.peakRSSMiB = float64(rss) / (1 << 20)
	}
	if res.batches, err = readBatchStats(ctx, srv.pgAddr); err != nil {
		return err
	}
	cancelQuery()
	<-rcv.done
	if !isQueryCanceled(rcv.err) {
		return fmt.Errorf("cancelled query ended with %v, want SQLSTATE 57014", rcv.err)
	}
	res.cancelErr = rcv.err
	stopErr := srv.stop(ctx)
	rows := rcv.rows
	if rcv.parseErr != nil {
		return errors.Join(stopErr, rcv.parseErr)
	}
	lat, err := tr.latencies(rows)
	res.windows = len(rows)
	res.stats = summarise(lat)
	return errors.Join(stopErr, err)
}

// produceLive sends bids at res.rate per second of wall clock, each with
// date_time = the wall clock when it is handed to the producer, for
// cfg.duration, then on until the first record that closes the window
// the last one fell in. Every record is reported to tr.
func produceLive(ctx context.Context, broker string, cfg config, set *bidSet, at []int, tr *windowTracker, res *latencyResult) error {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(broker),
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.MaxBufferedRecords(maxBuffered),
		kgo.ProducerLinger(0), // a record goes out as soon as it is produced
	)
	if err != nil {
		return fmt.Errorf("kafka producer: %w", err)
	}
	defer cl.Close()
	var (
		mu       sync.Mutex
		firstErr error // guarded by mu
	)
	onDone := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			firstErr = cmp.Or(firstErr, err)
			mu.Unlock()
		}
	}
	var slab, ts []byte
	var sent int64
	stopEnd := int64(0) // once set, stop when this window's trigger is sent
	start := time.Now()
	var last time.Time
produce:
	for {
		now := time.Now()
		due := int64(res.rate * now.Sub(start).Seconds())
		res.maxLag = max(res.maxLag, due-sent)
		for ; sent < due; sent++ {
			i := int(sent % int64(len(set.json)))
			js := set.json[i]
			if len(slab)+len(js) > cap(slab) {
				slab = make([]byte, 0, max(slabSize, len(js)))
			}
			o := len(slab)
			slab = append(slab, js...)
			v := slab[o:len(slab):len(slab)]
			now = time.Now()
			et := now.UnixMicro()
			// AppendFormat may use spare capacity as scratch, so it
			// writes into ts, not into v.
			ts = time.UnixMicro(et).UTC().AppendFormat(ts[:0], "2006-01-02 15:04:05.000000")
			copy(v[at[i]:at[i]+dateTimeLen], ts)
			cl.Produce(ctx, &kgo.Record{Value: v, Partition: int32(sent % int64(cfg.partitions)), Timestamp: now}, onDone)
			tr.sent(et, set.bids[i].price, now)
			last = now
			if stopEnd != 0 && tr.closedThrough() >= stopEnd {
				sent++
				break produce
			}
		}
		if stopEnd == 0 && now.Sub(start) >= cfg.duration && sent > 0 {
			stopEnd = tr.end(last.UnixMicro())
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		time.Sleep(time.Millisecond)
	}
	res.sent, res.produced = sent, last.Sub(start)
	if err := cl.Flush(ctx); err != nil {
		return fmt.Errorf("flush bids: %w", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return fmt.Errorf("produce bids: %w", firstErr)
	}
	return nil
}

// receiver reads the query's result sets in its own goroutine, stamping
// each row with the time it was read. rows and parseErr may be read
// after done is closed; saw may be called at any time.
type receiver struct {
	mu       sync.Mutex
	rows     []windowRow // guarded by mu until done
	parseErr error       // the first row that did not parse
	err      error       // how the query ended; written before done closes
	done     chan struct{}
}

func (r *receiver) start(mrr *pgconn.MultiResultReader) {
	r.done = make(chan struct{})
	go func() {
		defer close(r.done)
		for mrr.NextResult() {
			rr := mrr.ResultReader()
			if len(rr.FieldDescriptions()) == 0 {
				continue
			}
			for rr.NextRow() {
				got := time.Now()
				row, err := parseLatencyRow(rr.Values())
				row.received = got
				r.mu.Lock()
				if err != nil {
					r.parseErr = cmp.Or(r.parseErr, err)
				} else {
					r.rows = append(r.rows, row)
				}
				r.mu.Unlock()
			}
			_, _ = rr.Close() // an error here is the query's, reported by mrr.Close
		}
		r.err = mrr.Close()
	}()
}

// saw reports whether a row for the window ending at end has arrived.
func (r *receiver) saw(end int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.rows) - 1; i >= 0; i-- {
		if r.rows[i].end == end {
			return true
		}
	}
	return false
}

// parseLatencyRow reads (window_end, n, top) in text format.
func parseLatencyRow(v [][]byte) (windowRow, error) {
	if len(v) != 3 {
		return windowRow{}, fmt.Errorf("result has %d columns, want 3", len(v))
	}
	end, err := parseTimestamp(string(v[0]))
	if err != nil {
		return windowRow{}, fmt.Errorf("window_end: %w", err)
	}
	r := windowRow{end: end.UnixMicro()}
	if r.n, err = strconv.ParseInt(string(v[1]), 10, 64); err != nil {
		return windowRow{}, fmt.Errorf("n: %w", err)
	}
	if r.top, err = strconv.ParseInt(string(v[2]), 10, 64); err != nil {
		return windowRow{}, fmt.Errorf("top: %w", err)
	}
	return r, nil
}

// printLatency prints the run's figures and a Markdown table row.
func printLatency(w io.Writer, cfg config, r latencyResult) {
	fmt.Fprintf(w, "query           %s\n", latencyQuery(cfg.window))
	if r.probe > 0 {
		fmt.Fprintf(w, "rate            %.0f bids/s target = half of the probe's %.0f q7-agg events/s (%d preloaded bids)\n", r.rate, r.probe, probeEvents)
	} else {
		fmt.Fprintf(w, "rate            %.0f bids/s target (-rate)\n", r.rate)
	}
	fmt.Fprintf(w, "produced        %d bids in %.2f s = %.0f bids/s; the producer fell at most %d records behind schedule\n",
		r.sent, r.produced.Seconds(), rate(r.sent, r.produced.Seconds()), r.maxLag)
	fmt.Fprintf(w, "server          CPU %.2f s over the run, peak RSS %.0f MiB\n", r.cpu.Seconds(), r.peakRSSMiB)
	fmt.Fprintf(w, "batches         %s\n", r.batches)
	fmt.Fprintf(w, "windows         %d received, every count and max(price) checked; latency over %d (first left out)\n", r.windows, r.stats.n)
	fmt.Fprintln(w, "| batch interval | window | watermark delay | rate bids/s | windows | p50 | p99 | max | min |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|")
	fmt.Fprintf(w, "| %s | %s | %s | %.0f k | %d | %s | %s | %s | %s |\n", cfg.batchInterval, cfg.window, cfg.watermarkDelay,
		rate(r.sent, r.produced.Seconds())/1e3, r.stats.n, ms(r.stats.p50), ms(r.stats.p99), ms(r.stats.max), ms(r.stats.min))
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
