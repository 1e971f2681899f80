package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// config is the parsed command line.
type config struct {
	events        int64
	bin           string
	batchInterval time.Duration
	partitions    int
	seed          uint64
	eventRate     float64
	timeout       time.Duration
	keep          bool
	// externalBroker runs the Kafka broker (kfake) in this process and
	// gives the server --brokers instead of its embedded one.
	externalBroker bool
	profiles       profiles
	profileSecs    int
	// Suite mode (-queries set); see suite.go.
	queries      string
	runs         int
	duckdb       bool
	duckdbDir    string
	profileQuery string
	// Latency mode (-latency); see latencyrun.go.
	latency        bool
	rate           float64
	duration       time.Duration
	window         time.Duration
	watermarkDelay time.Duration
	// Load mode (-load); see load.go. It shares -rate, -duration, -window
	// and -watermark-delay with latency mode.
	load         bool
	sessions     int
	pullInterval time.Duration
}

func parseFlags(args []string, usage io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("sluice-bench", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.Int64Var(&c.events, "events", 100_000, "number of bid `records` to preload and process")
	fs.StringVar(&c.bin, "bin", "./bin/sluice", "server `binary` to benchmark")
	fs.DurationVar(&c.batchInterval, "batch-interval", time.Second, "server --batch-interval")
	fs.IntVar(&c.partitions, "partitions", 2, "`partitions` of the bids topic")
	fs.Uint64Var(&c.seed, "seed", 0, "Nexmark generator `seed`")
	fs.Float64Var(&c.eventRate, "event-rate", 10e6, "Nexmark `events` per second of event time (all kinds; fixes the span)")
	fs.DurationVar(&c.timeout, "timeout", 15*time.Minute, "give up after this `duration` (whole run)")
	fs.BoolVar(&c.externalBroker, "external-broker", false, "run the Kafka broker (kfake) in the benchmark process and start the server with --brokers, so its CPU and GC figures leave the broker out")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary data directory and server log")
	fs.StringVar(&c.profiles.cpu, "cpuprofile-server", "", "write a CPU profile of the server during the timed query to this `file`")
	fs.StringVar(&c.profiles.alloc, "allocprofile-server", "", "write the server's allocations during the timed query (a delta heap profile) to this `file`")
	fs.IntVar(&c.profileSecs, "profile-seconds", 3, "length of the server CPU and allocation profiles in `seconds`")
	fs.StringVar(&c.queries, "queries", "", "run the Nexmark suite: `all` or a comma-separated list of q0,q1,q2,q5-agg,q7-agg,q11,q12 (empty: the single TUMBLE query)")
	fs.IntVar(&c.runs, "runs", 1, "suite: `runs` of each query; the table shows medians")
	fs.BoolVar(&c.duckdb, "duckdb", true, "suite: also time q7-agg in DuckDB (node + npm @duckdb/node-api)")
	fs.StringVar(&c.duckdbDir, "duckdb-dir", filepath.Join(os.TempDir(), "sluice-bench-duckdb"), "suite: `directory` @duckdb/node-api is installed into")
	fs.StringVar(&c.profileQuery, "profile-query", "q7-agg", "suite: the `query` whose first run -cpuprofile-server and -allocprofile-server profile")
	fs.BoolVar(&c.latency, "latency", false, "measure q7-agg window latency with a live, throttled producer (see doc.go)")
	fs.Float64Var(&c.rate, "rate", 0, "latency: produce this many `bids` per second (0: half of a q7-agg throughput probe)")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "latency: produce for this `duration`")
	fs.DurationVar(&c.window, "window", time.Second, "latency: TUMBLE `size` (whole milliseconds)")
	fs.DurationVar(&c.watermarkDelay, "watermark-delay", 100*time.Millisecond, "latency: the stream's watermark `delay` (whole milliseconds)")
	fs.BoolVar(&c.load, "load", false, "run many concurrent sessions, each with a continuous query and pull queries (see doc.go)")
	fs.IntVar(&c.sessions, "sessions", 500, "load: simulated `sessions` (two connections each)")
	fs.DurationVar(&c.pullInterval, "pull-interval", 200*time.Millisecond, "load: each session's pull query `period`")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if c.load {
		loadDefaults(fs, &c)
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	case c.events <= 0:
		return config{}, fmt.Errorf("-events must be positive, got %d", c.events)
	case c.batchInterval <= 0:
		return config{}, fmt.Errorf("-batch-interval must be positive, got %s", c.batchInterval)
	case c.partitions <= 0:
		return config{}, fmt.Errorf("-partitions must be positive, got %d", c.partitions)
	case c.eventRate <= 0:
		return config{}, fmt.Errorf("-event-rate must be positive, got %g", c.eventRate)
	case c.runs <= 0:
		return config{}, fmt.Errorf("-runs must be positive, got %d", c.runs)
	case c.rate < 0:
		return config{}, fmt.Errorf("-rate must not be negative, got %g", c.rate)
	case c.duration <= 0:
		return config{}, fmt.Errorf("-duration must be positive, got %s", c.duration)
	case c.window < time.Millisecond || c.window%time.Millisecond != 0:
		return config{}, fmt.Errorf("-window must be a positive whole number of milliseconds, got %s", c.window)
	case c.watermarkDelay < 0 || c.watermarkDelay%time.Millisecond != 0:
		return config{}, fmt.Errorf("-watermark-delay must be a whole number of milliseconds ≥ 0, got %s", c.watermarkDelay)
	case c.latency && c.queries != "", c.load && (c.latency || c.queries != ""):
		return config{}, errors.New("-latency, -load and -queries are separate modes")
	case c.sessions <= 0:
		return config{}, fmt.Errorf("-sessions must be positive, got %d", c.sessions)
	case c.pullInterval <= 0:
		return config{}, fmt.Errorf("-pull-interval must be positive, got %s", c.pullInterval)
	case c.timeout <= 0:
		return config{}, fmt.Errorf("-timeout must be positive, got %s", c.timeout)
	}
	return c, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench:", err)
		os.Exit(2)
	}
	// Ctrl-C cancels ctx; run then stops the server on its way out.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	switch {
	case cfg.latency:
		err = runLatency(ctx, cfg, os.Stdout, os.Stderr)
	case cfg.load:
		err = runLoad(ctx, cfg, os.Stdout, os.Stderr)
	case cfg.queries != "":
		err = runSuite(ctx, cfg, os.Stdout, os.Stderr)
	default:
		err = run(ctx, cfg, os.Stdout, os.Stderr)
	}
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice-bench: FAIL:", err)
		os.Exit(1)
	}
}

// run is one benchmark: start the server, preload, time the query, stop
// the server, check and print. The server is killed on every return path.
func run(ctx context.Context, cfg config, out, progress io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	return withServer(ctx, cfg, "tumble", nil, progress, func(srv *server) error {
		return runOn(ctx, srv, cfg, out, progress)
	})
}

// runOn is run's work on the started server srv.
func runOn(ctx context.Context, srv *server, cfg config, out, progress io.Writer) error {
	conn, err := connect(ctx, srv.pgAddr)
	if err != nil {
		return err
	}
	// The query is cancelled before the server stops, so Close only sends
	// Terminate; its error would change nothing.
	defer func() { _ = conn.Close(context.Background()) }()
	if err := execDDL(ctx, conn, createStream(cfg.partitions)); err != nil {
		return err
	}

	fmt.Fprintf(progress, "preloading %d bids...\n", cfg.events)
	load, err := preload(ctx, srv.kafkaAddr, cfg)
	if err != nil {
		return err
	}
	waited, idle, err := settle(ctx, srv.pid())
	if err != nil {
		return err
	}
	if !idle {
		fmt.Fprintf(progress, "warning: server still busy %.1fs after the preload; timing anyway\n", waited.Seconds())
	}
	fmt.Fprintf(progress, "preloaded in %.2fs, server idle after %.1fs more; running the query\n",
		load.elapsed.Seconds(), waited.Seconds())

	var waitProfile func() error
	if cfg.profiles.any() {
		waitProfile = startProfiles(ctx, srv.metricsAddr, cfg.profileSecs, cfg.profiles)
	}
	res, err := measure(ctx, conn, srv, load.lastWindowEnd)
	if waitProfile != nil {
		err = errors.Join(err, waitProfile())
	}
	if err != nil {
		return err
	}
	// The figures are printed even if the stop or the check fails: they
	// help to tell why.
	stopErr := srv.stop(ctx)
	report(out, cfg, load, res)
	if res.sumBids != load.bids {
		return errors.Join(stopErr, fmt.Errorf("sum(bids) over the results is %d, but %d bids were produced",
			res.sumBids, load.bids))
	}
	return stopErr
}
