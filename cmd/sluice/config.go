package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// envPrefix prefixes the environment variable of every flag:
// --batch-interval is also SLUICE_BATCH_INTERVAL.
const envPrefix = "SLUICE_"

// config is the resolved command line: flags, then environment, then
// defaults. It carries values only; main turns it into package Options.
type config struct {
	listen             string
	dataDir            string
	brokers            []string
	kafkaListen        string
	demo               bool
	demoRate           float64
	batchInterval      time.Duration
	checkpointInterval time.Duration
	stateMemoryMB      int64
	metricsListen      string
	logLevel           slog.Level
	auth               string
	users              string
	tlsCert, tlsKey    string
}

// parseConfig parses args (without the program name). A flag not given on
// the command line takes its value from SLUICE_<NAME> when getenv returns
// one, so the command line always wins. usage receives -help output and
// parse errors; flag.ErrHelp is returned for -help.
func parseConfig(args []string, getenv func(string) string, usage io.Writer) (config, error) {
	var c config
	var brokers, logLevel string
	fs := flag.NewFlagSet("sluice", flag.ContinueOnError)
	fs.SetOutput(usage)
	fs.StringVar(&c.listen, "listen", "127.0.0.1:5433", "PostgreSQL wire `address`")
	fs.StringVar(&c.dataDir, "data-dir", "./data", "`directory` for the state store and the embedded broker")
	fs.StringVar(&brokers, "brokers", "", "comma-separated Kafka bootstrap `list`; empty starts the embedded broker")
	fs.StringVar(&c.kafkaListen, "kafka-listen", "127.0.0.1:9092", "embedded broker `address`")
	fs.BoolVar(&c.demo, "demo", false, "declare the Nexmark streams and run the live generator")
	fs.Float64Var(&c.demoRate, "demo-rate", 2000, "demo generator `events` per second")
	fs.DurationVar(&c.batchInterval, "batch-interval", time.Second, "micro-batch `interval`")
	fs.DurationVar(&c.checkpointInterval, "checkpoint-interval", 10*time.Second, "checkpoint `interval`")
	fs.Int64Var(&c.stateMemoryMB, "state-memory-mb", 512, "open window state each aggregate keeps in memory, in `MiB`, before spilling to the store; 0 = unlimited")
	fs.StringVar(&c.metricsListen, "metrics-listen", "", "HTTP `address` for /metrics and /healthz; empty disables")
	fs.StringVar(&logLevel, "log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&c.auth, "auth", "trust", "client authentication: trust or scram")
	fs.StringVar(&c.users, "users", "", "users `file` for scram authentication")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "TLS certificate `file`")
	fs.StringVar(&c.tlsKey, "tls-key", "", "TLS key `file`")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if err := applyEnv(fs, getenv); err != nil {
		return config{}, err
	}
	if err := c.logLevel.UnmarshalText([]byte(logLevel)); err != nil {
		return config{}, fmt.Errorf("invalid log level %q", logLevel)
	}
	c.brokers = splitList(brokers)
	return c, c.validate()
}

// applyEnv sets every flag that was not given on the command line from its
// environment variable, if that is non-empty.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := envName(f.Name)
		if v := getenv(name); v != "" {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("invalid value %q for %s: %w", v, name, err))
			}
		}
	})
	return errors.Join(errs...)
}

// envName maps a flag name to its environment variable: upper case, dashes
// to underscores, prefixed with SLUICE_.
func envName(flagName string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// stateMemoryBudget is --state-memory-mb as exec.Options.StateMemoryBudget
// (bytes; negative = unlimited).
func (c *config) stateMemoryBudget() int64 {
	if c.stateMemoryMB == 0 {
		return -1
	}
	return c.stateMemoryMB << 20
}

// validate rejects values no component could use; the components validate
// their own Options again.
func (c *config) validate() error {
	switch {
	case c.batchInterval <= 0:
		return fmt.Errorf("--batch-interval must be positive, got %s", c.batchInterval)
	case c.checkpointInterval <= 0:
		return fmt.Errorf("--checkpoint-interval must be positive, got %s", c.checkpointInterval)
	case c.stateMemoryMB < 0:
		return fmt.Errorf("--state-memory-mb must not be negative, got %d", c.stateMemoryMB)
	case c.demoRate <= 0:
		return fmt.Errorf("--demo-rate must be positive, got %g", c.demoRate)
	case c.auth != "trust" && c.auth != "scram":
		return fmt.Errorf("--auth must be trust or scram, got %q", c.auth)
	case (c.tlsCert == "") != (c.tlsKey == ""):
		return errors.New("--tls-cert and --tls-key must be given together")
	case c.dataDir == "":
		return errors.New("--data-dir must not be empty")
	}
	return nil
}
