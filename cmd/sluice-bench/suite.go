package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/twmb/franz-go/pkg/kgo"
)

// suiteResult is one timed query of the suite.
type suiteResult struct {
	query   nexmarkQuery
	run     int
	events  int64
	wall    time.Duration
	cpu     time.Duration // server utime+stime over wall
	gcCPU   time.Duration // server GC CPU over wall, from gctrace
	gcs     int           // GC cycles that ended during wall
	peakRSS int64
	rows    int64
}

// selectQueries resolves -queries: "all" or a comma-separated list.
func selectQueries(spec string) ([]nexmarkQuery, error) {
	if spec == "all" {
		return suiteQueries, nil
	}
	var qs []nexmarkQuery
	for name := range strings.SplitSeq(spec, ",") {
		i := slices.IndexFunc(suiteQueries, func(q nexmarkQuery) bool { return q.name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("-queries: unknown query %q (have all, q0, q1, q2, q5-agg, q7-agg, q11, q12)", name)
		}
		qs = append(qs, suiteQueries[i])
	}
	return qs, nil
}

// runSuite runs every selected query cfg.runs times, each against a
// fresh server, then DuckDB's q7-agg, and prints the table.
func runSuite(ctx context.Context, cfg config, out, progress io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	qs, err := selectQueries(cfg.queries)
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "generating %d bids...\n", cfg.events)
	set, err := generateBids(cfg.events, cfg.seed, cfg.eventRate)
	if err != nil {
		return err
	}
	var results []suiteResult
	var duck []duckResult
	var duckSkip string
	for run := 1; run <= cfg.runs; run++ {
		for _, q := range qs {
			fmt.Fprintf(progress, "run %d/%d: %s\n", run, cfg.runs, q.name)
			var profile profiles
			if cfg.profileQuery == q.name && run == 1 {
				profile = cfg.profiles
			}
			r, err := runSuiteQuery(ctx, cfg, q, set, profile, progress)
			if err != nil {
				return fmt.Errorf("%s (run %d): %w", q.name, run, err)
			}
			r.run = run
			results = append(results, r)
			printSuiteRow(progress, r)
		}
		if cfg.duckdb && slices.ContainsFunc(qs, func(q nexmarkQuery) bool { return q.name == "q7-agg" }) && duckSkip == "" {
			d, skip, err := runDuckDB(ctx, cfg, set, progress)
			switch {
			case err != nil:
				return fmt.Errorf("duckdb (run %d): %w", run, err)
			case skip != "":
				duckSkip = skip
			default:
				duck = append(duck, d)
				fmt.Fprintf(progress, "  duckdb q7-agg: %.3f s\n", d.wall.Seconds())
			}
		}
	}
	if !cfg.duckdb {
		duckSkip = "-duckdb=false"
	}
	printSuite(out, cfg, set, results, duck, duckSkip)
	return nil
}

// runSuiteQuery is one query against a fresh server: start, declare the
// stream, preload, settle, time, stop, check.
func runSuiteQuery(ctx context.Context, cfg config, q nexmarkQuery, set *bidSet, profile profiles, progress io.Writer) (res suiteResult, err error) {
	res = suiteResult{query: q, events: int64(len(set.bids))}
	// gctrace=1 makes the runtime print one line per GC cycle with its CPU
	// time; that is where the GC CPU share comes from (see gctrace.go).
	err = withServer(ctx, cfg, q.name, []string{"GODEBUG=gctrace=1"}, progress, func(srv *server) error {
		return suiteQueryOn(ctx, srv, cfg, q, set, profile, &res, progress)
	})
	return res, err
}

// suiteQueryOn is runSuiteQuery's work on the started server srv.
func suiteQueryOn(ctx context.Context, srv *server, cfg config, q nexmarkQuery, set *bidSet, profile profiles, res *suiteResult, progress io.Writer) (err error) {
	conn, err := connect(ctx, srv.pgAddr)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()
	stream := createStream(cfg.partitions)
	if q.procTime {
		stream = createStreamNoWatermark(cfg.partitions)
	}
	if err := execDDL(ctx, conn, stream); err != nil {
		return err
	}
	recordMs, err := produceSet(ctx, srv.kafkaAddr, cfg.partitions, set, q)
	if err != nil {
		return err
	}
	want, err := expected(q, set.bids, recordMs)
	if err != nil {
		return err
	}
	if _, idle, err := settle(ctx, srv.pid()); err != nil {
		return err
	} else if !idle {
		fmt.Fprintln(progress, "  warning: server still busy after the preload; timing anyway")
	}

	var waitProfile func() error
	if profile.any() {
		waitProfile = startProfiles(ctx, srv.metricsAddr, cfg.profileSecs, profile)
	}
	m, err := measureSuite(ctx, conn, srv, q, want)
	if waitProfile != nil {
		err = errors.Join(err, waitProfile())
	}
	if err != nil {
		return err
	}
	res.wall, res.cpu, res.peakRSS, res.rows = m.wall, m.cpu, m.peakRSS, m.rows
	if err := srv.stop(ctx); err != nil {
		return err
	}
	if res.gcCPU, res.gcs, err = gcCPUBetween(srv.logPath, m.logFrom, m.logTo); err != nil {
		return err
	}
	return m.check
}

// createStreamNoWatermark is createStream without the WATERMARK clause,
// for q12: the watermark then follows the window's time column,
// _timestamp, with no delay.
func createStreamNoWatermark(partitions int) string {
	return fmt.Sprintf(`CREATE STREAM bids (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, `+
		`url VARCHAR, date_time TIMESTAMP, extra VARCHAR) `+
		`WITH (topic = '%s', format = 'json', partitions = %d)`, topic, partitions)
}

// produceSet produces every bid of set round-robin over the partitions,
// each with its Kafka record time set to the wall clock (ms) when it is
// handed to the producer, and returns those times. Windowed queries get a
// sentinel one hour after the last bid (in event time and record time) on
// partition 0, so that the watermark passes every real window; unwindowed
// ones get none, so their expected row count is exactly the reference's.
func produceSet(ctx context.Context, broker string, partitions int, set *bidSet, q nexmarkQuery) ([]int64, error) {
	cl, err := newProducer(broker)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	var (
		mu       sync.Mutex
		firstErr error // guarded by mu; set by produce callbacks
	)
	onDone := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			firstErr = cmp.Or(firstErr, err)
			mu.Unlock()
		}
	}
	recordMs := make([]int64, len(set.json))
	for i, js := range set.json {
		now := time.Now().UnixMilli()
		recordMs[i] = now
		cl.Produce(ctx, &kgo.Record{Value: js, Partition: int32(i % partitions), Timestamp: time.UnixMilli(now)}, onDone)
		if i%maxBuffered == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush bids: %w", err)
	}
	mu.Lock()
	err = firstErr
	mu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("produce bids: %w", err)
	}
	if q.kind != windowed || len(set.bids) == 0 {
		return recordMs, nil
	}
	last := set.bids[len(set.bids)-1]
	sentinel, err := sentinelBid(time.UnixMicro(last.us).Add(sentinelGap))
	if err != nil {
		return nil, err
	}
	ts := time.UnixMilli(recordMs[len(recordMs)-1]).Add(sentinelGap)
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: sentinel, Partition: 0, Timestamp: ts}).FirstErr(); err != nil {
		return nil, fmt.Errorf("produce sentinel: %w", err)
	}
	return recordMs, nil
}

// suiteMeasure is what measureSuite saw.
type suiteMeasure struct {
	wall             time.Duration
	cpu              time.Duration
	peakRSS          int64
	rows             int64
	logFrom, logTo   int64 // server log size at the start and end of timing
	check            error // result mismatch, reported after the figures
	windows          map[winKey]int64
	sumPrice         float64
	sawLast, reached bool
}

// measureSuite runs q and times it until every result for the preloaded
// bids has arrived, then cancels it and compares the results with want.
func measureSuite(ctx context.Context, conn *pgconn.PgConn, srv *server, q nexmarkQuery, want reference) (suiteMeasure, error) {
	m := suiteMeasure{windows: map[winKey]int64{}}
	var err error
	if m.logFrom, err = fileSize(srv.logPath); err != nil {
		return m, err
	}
	cpu0, err := readCPU(srv.pid())
	if err != nil {
		return m, err
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	mrr := conn.Exec(qctx, q.sql)
	for !m.reached && mrr.NextResult() {
		rr := mrr.ResultReader()
		if len(rr.FieldDescriptions()) == 0 {
			continue // the EmptyQueryResponse after each result set
		}
		if err := m.readResultSet(rr, q, want); err != nil {
			cancel()
			return m, errors.Join(err, mrr.Close())
		}
	}
	if !m.reached {
		err := cmp.Or(mrr.Close(), errors.New("no error"))
		return m, fmt.Errorf("query ended before all results arrived (%d rows): %w", m.rows, err)
	}
	m.wall = time.Since(start)
	cpu1, err := readCPU(srv.pid())
	if err != nil {
		return m, err
	}
	m.cpu = cpu1.sub(cpu0).total()
	if m.logTo, err = fileSize(srv.logPath); err != nil {
		return m, err
	}
	if m.peakRSS, err = readStatusBytes(srv.pid(), "VmHWM"); err != nil {
		return m, err
	}
	cancel()
	if endErr := mrr.Close(); !isQueryCanceled(endErr) {
		return m, fmt.Errorf("cancelled query ended with %v, want SQLSTATE 57014", endErr)
	}
	switch q.kind {
	case unwindowed:
		if m.rows != want.rows || !sameSum(m.sumPrice, want.sumPrice) {
			m.check = fmt.Errorf("%s: got %d rows with sum(price) %.6g, want %d rows with %.6g",
				q.name, m.rows, m.sumPrice, want.rows, want.sumPrice)
		}
	case windowed:
		if err := compareWindows(m.windows, want.windows); err != nil {
			m.check = fmt.Errorf("%s: %w", q.name, err)
		}
	}
	return m, nil
}

// readResultSet folds one result set into m and sets m.reached once
// everything the preloaded bids produce has arrived.
func (m *suiteMeasure) readResultSet(rr *pgconn.ResultReader, q nexmarkQuery, want reference) error {
	ncol := len(rr.FieldDescriptions())
	for rr.NextRow() {
		v := rr.Values()
		m.rows++
		switch q.kind {
		case unwindowed:
			if ncol < 3 && q.name != "q2" {
				return fmt.Errorf("result has %d columns", ncol)
			}
			p, err := strconv.ParseFloat(string(v[min(2, ncol-1)]), 64)
			if err != nil {
				return fmt.Errorf("price: %w", err)
			}
			m.sumPrice += p
		case windowed:
			k, val, err := parseWindowRow(v)
			if err != nil {
				return err
			}
			if k.end > want.lastEnd {
				return fmt.Errorf("window ending %s closed; the last real window ends %s",
					fmtMicros(k.end), fmtMicros(want.lastEnd))
			}
			if _, dup := m.windows[k]; dup {
				return fmt.Errorf("window_end=%s group=%d emitted twice", fmtMicros(k.end), k.group)
			}
			m.windows[k] = val
			m.sawLast = m.sawLast || k.end == want.lastEnd
		}
	}
	if _, err := rr.Close(); err != nil {
		return fmt.Errorf("read result set: %w", err)
	}
	switch q.kind {
	case unwindowed:
		m.reached = m.rows >= want.rows
	case windowed:
		m.reached = m.sawLast
	}
	return nil
}

// parseWindowRow reads (window_end[, group], value) in text format.
func parseWindowRow(v [][]byte) (winKey, int64, error) {
	if len(v) != 2 && len(v) != 3 {
		return winKey{}, 0, fmt.Errorf("windowed result has %d columns, want 2 or 3", len(v))
	}
	end, err := parseTimestamp(string(v[0]))
	if err != nil {
		return winKey{}, 0, fmt.Errorf("window_end: %w", err)
	}
	k := winKey{end: end.UnixMicro()}
	if len(v) == 3 {
		if k.group, err = strconv.ParseInt(string(v[1]), 10, 64); err != nil {
			return winKey{}, 0, fmt.Errorf("group: %w", err)
		}
	}
	val, err := strconv.ParseInt(string(v[len(v)-1]), 10, 64)
	if err != nil {
		return winKey{}, 0, fmt.Errorf("value: %w", err)
	}
	return k, val, nil
}

// parseTimestamp reads PostgreSQL's text timestamp, with or without a
// zone offset.
func parseTimestamp(s string) (time.Time, error) {
	t, err := time.Parse(pgTimestamp, s)
	if err == nil {
		return t, nil
	}
	if t, err2 := time.Parse(pgTimestamp+"Z07", s); err2 == nil {
		return t.UTC(), nil
	}
	return time.Time{}, err
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// printSuiteRow prints one run's figures as progress.
func printSuiteRow(w io.Writer, r suiteResult) {
	fmt.Fprintf(w, "  %s: wall %.3f s, %.0f events/s, server CPU %.2f s, %.0f events per CPU-s, GC %.1f%%, peak RSS %.0f MiB\n",
		r.query.name, r.wall.Seconds(), rate(r.events, r.wall.Seconds()), r.cpu.Seconds(),
		rate(r.events, r.cpu.Seconds()), gcShare(r)*100, float64(r.peakRSS)/(1<<20))
}

func gcShare(r suiteResult) float64 {
	if r.cpu <= 0 {
		return 0
	}
	return r.gcCPU.Seconds() / r.cpu.Seconds()
}

// median of the figure f over rs.
func median(rs []suiteResult, f func(suiteResult) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	slices.Sort(v)
	if len(v) == 0 {
		return 0
	}
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// printSuite prints the medians per query as a Markdown table, then the
// DuckDB comparison.
func printSuite(w io.Writer, cfg config, set *bidSet, results []suiteResult, duck []duckResult, duckSkip string) {
	fmt.Fprintf(w, "Nexmark suite: %d bids (%.1f MB JSON), %d partitions, seed %d, %g events/s of event time, batch interval %s, %s; medians of %d run(s)\n",
		len(set.bids), float64(set.bytes)/1e6, cfg.partitions, cfg.seed, cfg.eventRate, cfg.batchInterval, cfg.bin, cfg.runs)
	fmt.Fprintln(w, "| query | events | wall s | events/s | server CPU-s | events per CPU-s | peak RSS MiB | GC CPU | × RisingWave/core | × Flink 1.16/core |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|")
	var q7wall float64
	var notes []string
	for _, q := range suiteQueries {
		var rs []suiteResult
		for _, r := range results {
			if r.query.name == q.name {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			continue
		}
		wall := median(rs, func(r suiteResult) float64 { return r.wall.Seconds() })
		cpu := median(rs, func(r suiteResult) float64 { return r.cpu.Seconds() })
		perCPU := median(rs, func(r suiteResult) float64 { return rate(r.events, r.cpu.Seconds()) })
		if q.name == "q7-agg" {
			q7wall = wall
		}
		fmt.Fprintf(w, "| %s | %d | %.3f | %.0f k | %.2f | %.0f k | %.0f | %.1f%% | %s | %s |\n",
			q.name, rs[0].events, wall, median(rs, func(r suiteResult) float64 { return rate(r.events, r.wall.Seconds()) })/1e3,
			cpu, perCPU/1e3, median(rs, func(r suiteResult) float64 { return float64(r.peakRSS) / (1 << 20) }),
			100*median(rs, gcShare), ratio(perCPU, q.risingWave), ratio(perCPU, q.flink116))
		if q.note != "" {
			notes = append(notes, q.name+": "+q.note)
		}
	}
	for _, n := range notes {
		fmt.Fprintln(w, "note:", n)
	}
	switch {
	case duckSkip != "":
		fmt.Fprintln(w, "DuckDB q7-agg: SKIPPED:", duckSkip)
	case len(duck) > 0:
		v := make([]float64, len(duck))
		for i, r := range duck {
			v[i] = r.wall.Seconds()
		}
		slices.Sort(v)
		d := v[len(v)/2]
		fmt.Fprintf(w, "DuckDB q7-agg (read_json + GROUP BY over the same bids as JSON lines, %s): %.3f s (median of %d); Sluice q7-agg %.3f s = %.2f× DuckDB's time\n",
			duck[0].version, d, len(v), q7wall, q7wall/d)
	}
}

// ratio formats a/b as "1.23×", or "—" without a published figure.
func ratio(a, b float64) string {
	if b <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f×", a/b)
}
