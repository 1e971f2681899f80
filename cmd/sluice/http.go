package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicedb/sluice/exec"
)

// shutdownGrace bounds how long in-flight scrapes may take at shutdown.
const shutdownGrace = 5 * time.Second

// addMetricsActor binds addr now, so a bad address fails startup instead of
// a running server, and adds the HTTP server as an actor. /metrics serves
// the query collector plus the Go and process collectors; /healthz answers
// 200 once the pgwire server listens and 503 before; /debug/pprof serves
// Go profiles.
func addMetricsActor(g *group, addr string, engine *exec.Engine, ready <-chan struct{}, logger *slog.Logger) error {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newQueryCollector(engine.Queries),
		newPartitionCollector(engine.Partitions),
	)
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("/healthz", healthz(ready))
	// Profiles for `make profile` and for looking at a live server; the
	// listener is opt-in and meant for loopback or a private network.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("metrics listener: %w", err)
	}
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	g.add("metrics server", func() error {
		logger.Info("serving metrics", "listen", ln.Addr().String())
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}, func(error) {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(ctx) // Serve returns ErrServerClosed either way
	})
	return nil
}

func healthz(ready <-chan struct{}) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		select {
		case <-ready:
			_, _ = w.Write([]byte("ok\n"))
		default:
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	}
}
