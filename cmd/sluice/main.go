package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/ingest"
	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/server"
	"github.com/sluicedb/sluice/state"
)

func main() {
	cfg, err := parseConfig(os.Args[1:], os.Getenv, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice:", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	if err := run(cfg, logger); err != nil {
		logger.Error("sluice stopped", "err", err)
		os.Exit(1)
	}
	logger.Info("sluice stopped")
}

// run builds the components in dependency order and closes them in reverse
// (deferred) order once the actor group has ended: the server first (its
// actor), then the engine (stops queries, final checkpoint), the Kafka
// client, the embedded broker and last the store.
func run(cfg config, logger *slog.Logger) (err error) {
	// ctx outlives the actor group: the engine and client must keep working
	// through their own Close, so only the actors get cancellable contexts.
	ctx := context.Background()
	sigs := newSignalActor(logger)
	defer sigs.stop() // registered first so it runs last
	closeAll := func(name string, close func() error) {
		if cerr := close(); cerr != nil {
			err = errors.Join(err, fmt.Errorf("close %s: %w", name, cerr))
		}
	}
	if err := os.MkdirAll(cfg.dataDir, 0o755); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	store, err := state.Open(ctx, filepath.Join(cfg.dataDir, "state"), state.Options{Logger: logger.With("component", "state")})
	if err != nil {
		return err
	}
	defer closeAll("state store", store.Close)

	brokers := cfg.brokers
	if len(brokers) == 0 {
		broker, err := ingest.StartBroker(ctx, cfg.kafkaListen, filepath.Join(cfg.dataDir, "kafka"), logger.With("component", "broker"))
		if err != nil {
			return fmt.Errorf("start embedded broker: %w", err)
		}
		defer closeAll("embedded broker", func() error { broker.Close(); return nil })
		brokers = broker.Addrs()
		logger.Info("embedded kafka broker started", "addrs", brokers)
	}
	kafkaOpts := ingest.Options{Brokers: brokers, Logger: logger.With("component", "ingest")}
	client, err := ingest.NewClient(ctx, kafkaOpts)
	if err != nil {
		return fmt.Errorf("kafka client: %w", err)
	}
	defer closeAll("kafka client", func() error { client.Close(); return nil })

	engine, err := exec.NewEngine(ctx, exec.Options{
		Store:              store,
		Kafka:              client,
		KafkaOptions:       kafkaOpts,
		BatchInterval:      cfg.batchInterval,
		CheckpointInterval: cfg.checkpointInterval,
		StateMemoryBudget:  cfg.stateMemoryBudget(),
		Logger:             logger.With("component", "exec"),
		Allocator:          memory.NewGoAllocator(),
	})
	if err != nil {
		return fmt.Errorf("start engine: %w", err)
	}
	defer closeAll("engine", engine.Close)
	// Every view and sink resumes from its last checkpoint before clients
	// connect; one that cannot is reported failed in sluice.queries.
	if err := engine.Resume(ctx, planner.New(engine).PlanPersistent); err != nil {
		return fmt.Errorf("resume persistent queries: %w", err)
	}
	return serve(ctx, cfg, logger, sigs, engine, client)
}

// serve runs the actor group: signals, the pgwire server, and optionally
// the metrics endpoint and the demo generator.
func serve(ctx context.Context, cfg config, logger *slog.Logger, sigs *signalActor, engine *exec.Engine, client *ingest.Client) error {
	if cfg.demo {
		// Before any actor exists, so a failure here leaves nothing bound.
		if err := declareDemoStreams(ctx, engine); err != nil {
			return fmt.Errorf("demo streams: %w", err)
		}
	}
	srv, err := server.NewServer(server.Options{
		Listen:  cfg.listen,
		Engine:  engine,
		Logger:  logger.With("component", "server"),
		Auth:    cfg.auth,
		Users:   cfg.users,
		TLSCert: cfg.tlsCert,
		TLSKey:  cfg.tlsKey,
	})
	if err != nil {
		return fmt.Errorf("pgwire server: %w", err)
	}
	var g group
	g.add("signals", sigs.execute, sigs.interruptOnce)
	addContextActor(ctx, &g, "pgwire server", func(ctx context.Context) error {
		logger.Info("serving PostgreSQL wire protocol", "listen", cfg.listen)
		return srv.Serve(ctx)
	})
	if cfg.metricsListen != "" {
		if err := addMetricsActor(&g, cfg.metricsListen, engine, srv.Ready(), logger); err != nil {
			return err
		}
	}
	if cfg.demo {
		addContextActor(ctx, &g, "demo generator", func(ctx context.Context) error {
			return runDemoGenerator(ctx, client, cfg.demoRate, logger)
		})
	}
	return g.run()
}

// addContextActor adds an actor whose execute runs fn under a context that
// interrupt cancels. A context.Canceled from fn after interrupt is a clean
// stop, not an error.
func addContextActor(parent context.Context, g *group, name string, fn func(ctx context.Context) error) {
	ctx, cancel := context.WithCancel(parent)
	g.add(name, func() error {
		err := fn(ctx)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			return nil
		}
		return err
	}, func(error) { cancel() })
}
