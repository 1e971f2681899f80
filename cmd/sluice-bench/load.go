package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"
)

// Load mode (-load, `make bench-load`): many concurrent sessions against
// one server; see doc.go, "Many sessions".
const (
	// loadKeys is the number of distinct bidder values the producer
	// writes (bidder = sequence number % loadKeys); session i's continuous
	// query keeps bidder = i % loadKeys, so each sees 1/loadKeys of the
	// records and every window holds rows for every key.
	loadKeys = 10
	// loadView is the materialized view the pull queries read.
	loadView = "load_counts"
	// loadRamp bounds the connections being opened at once, so that the
	// ramp measures the server and not the kernel's accept backlog.
	loadRamp = 32
	// loadDrain bounds the wait, after the pulls stop, for every
	// continuous query to receive the last window closed by then.
	loadDrain = 30 * time.Second
	// loadViewWait bounds the wait for the view to hold that window.
	loadViewWait = 30 * time.Second
	// Defaults of -rate and -duration in load mode.
	loadDefaultRate     = 500
	loadDefaultDuration = 30 * time.Second
)

// loadDefaults gives -rate and -duration their load-mode defaults unless
// they were set: latency mode shares them with other defaults.
func loadDefaults(fs *flag.FlagSet, c *config) {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if !set["duration"] {
		c.duration = loadDefaultDuration
	}
	if c.rate == 0 {
		c.rate = loadDefaultRate
	}
}

// createLoadStream has one partition, so that event times, stamped from
// the producer's clock, never go backwards in the log: no row is late,
// and every query counts the same rows in a window whatever its batch
// boundaries. start = 'latest' keeps a session's query from re-reading
// the records produced before it started.
func createLoadStream(delay time.Duration) string {
	return fmt.Sprintf(`CREATE STREAM bids (auction BIGINT, bidder BIGINT, price BIGINT, date_time TIMESTAMP, `+
		`WATERMARK FOR date_time AS date_time - INTERVAL '%d milliseconds') `+
		`WITH (topic = '%s', format = 'json', partitions = 1, start = 'latest')`, delay.Milliseconds(), topic)
}

func createLoadView(window time.Duration) string {
	return fmt.Sprintf(`CREATE MATERIALIZED VIEW %s AS SELECT window_end, bidder, count(*) AS n FROM bids `+
		`GROUP BY TUMBLE(date_time, INTERVAL '%d milliseconds'), bidder`, loadView, window.Milliseconds())
}

// loadPushQuery is session key's continuous query.
func loadPushQuery(key int, window time.Duration) string {
	return fmt.Sprintf(`SELECT window_end, count(*) AS n FROM bids WHERE bidder = %d `+
		`GROUP BY TUMBLE(date_time, INTERVAL '%d milliseconds')`, key, window.Milliseconds())
}

func loadPullView(key int) string {
	return fmt.Sprintf(`SELECT window_end, n FROM %s WHERE bidder = %d ORDER BY window_end DESC LIMIT 1`, loadView, key)
}

const loadPullQueries = `SELECT count(*) FROM sluice.queries WHERE kind = 'push' AND state = 'running'`

// runLoad is the -load mode.
func runLoad(ctx context.Context, cfg config, out, progress io.Writer) error {
	if cfg.rate*cfg.window.Seconds() < 2*loadKeys {
		return fmt.Errorf("-rate %g gives fewer than %d records per %s window: some keys would have empty windows",
			cfg.rate, 2*loadKeys, cfg.window)
	}
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	return withServer(ctx, cfg, "load", nil, progress, func(srv *server) error {
		return loadOn(ctx, srv, cfg, out, progress)
	})
}

// loadOn is runLoad's work on the started server srv. The producer and
// the RSS sampler run from before the first session until the view has
// been checked.
func loadOn(ctx context.Context, srv *server, cfg config, out, progress io.Writer) error {
	admin, err := connect(ctx, srv.pgAddr)
	if err != nil {
		return err
	}
	defer func() { _ = admin.Close(context.Background()) }()
	for _, ddl := range []string{createLoadStream(cfg.watermarkDelay), createLoadView(cfg.window)} {
		if err := execDDL(ctx, admin, ddl); err != nil {
			return err
		}
	}
	bgCtx, stopBG := context.WithCancel(ctx)
	var bg errgroup.Group
	prod := &loadProducer{rate: cfg.rate}
	bg.Go(func() error { return prod.run(bgCtx, srv.kafkaAddr) })
	mem := &rssSampler{pid: srv.pid()}
	bg.Go(func() error { return mem.run(bgCtx) })

	res, runErr := runSessions(ctx, srv, cfg, progress)
	var view map[viewKey]int64
	if runErr == nil {
		fmt.Fprintf(progress, "waiting for the view to close the window ending %s...\n", fmtMicros(res.target))
		view, runErr = readLoadView(ctx, admin, res.target)
	}
	stopBG()
	bgErr := bg.Wait()
	res.sent, res.rss = prod.sent, mem.samples
	if runErr != nil || bgErr != nil {
		return errors.Join(runErr, bgErr)
	}
	if res.peakRSS, err = readStatusBytes(srv.pid(), "VmHWM"); err != nil {
		return err
	}
	stopErr := srv.stop(ctx)
	checkErr := res.check(view, cfg.window)
	printLoad(out, cfg, res)
	return errors.Join(checkErr, stopErr)
}

// viewKey is one row of the view: a window and a bidder.
type viewKey struct{ end, key int64 }

// readLoadView polls the view until every key has a row for the window
// ending at target (µs), and returns its contents.
func readLoadView(ctx context.Context, conn *pgconn.PgConn, target int64) (map[viewKey]int64, error) {
	deadline := time.Now().Add(loadViewWait)
	sql := fmt.Sprintf(`SELECT window_end, bidder, n FROM %s`, loadView)
	for {
		rows, err := queryRows(ctx, conn, sql)
		if err != nil {
			return nil, err
		}
		view, err := parseViewRows(rows)
		if err != nil {
			return nil, err
		}
		have := 0
		for k := range int64(loadKeys) {
			if _, ok := view[viewKey{target, k}]; ok {
				have++
			}
		}
		if have == loadKeys {
			return view, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("view %s: window ending %s has %d of %d keys after %s",
				loadView, fmtMicros(target), have, loadKeys, loadViewWait)
		}
		if err := sleepCtx(ctx, 200*time.Millisecond); err != nil {
			return nil, err
		}
	}
}

// parseViewRows reads (window_end, bidder, n) rows in text format.
func parseViewRows(rows [][][]byte) (map[viewKey]int64, error) {
	view := make(map[viewKey]int64, len(rows))
	for _, r := range rows {
		if len(r) != 3 {
			return nil, fmt.Errorf("view row has %d columns, want 3", len(r))
		}
		end, err := parseTimestamp(string(r[0]))
		if err != nil {
			return nil, fmt.Errorf("view window_end: %w", err)
		}
		key, err1 := strconv.ParseInt(string(r[1]), 10, 64)
		n, err2 := strconv.ParseInt(string(r[2]), 10, 64)
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("view row: %w", err)
		}
		view[viewKey{end.UnixMicro(), key}] = n
	}
	return view, nil
}

// sleepCtx sleeps for d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
