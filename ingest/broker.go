package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kfake"
)

// Broker is an embedded single-node Kafka (franz-go's kfake) for trying
// Sluice out and for tests. Topics are only created explicitly (auto
// creation is off; Client.EnsureTopic creates them). With a data directory
// the log and topic metadata survive a Close and a StartBroker on the same
// directory.
//
// Goroutines: kfake's accept loop, one per connection, and its cluster
// loop; Close stops them and, with a data directory, flushes state first.
type Broker struct {
	cluster *kfake.Cluster
}

// StartBroker starts a broker listening on addr (host:port; port 0 picks a
// free one) that keeps its data in dataDir ("" = memory only). The caller
// must Close it. ctx only bounds the start: the broker runs until Close.
func StartBroker(ctx context.Context, addr, dataDir string, logger *slog.Logger) (*Broker, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	_, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("ingest: broker address %q: %w", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		return nil, fmt.Errorf("ingest: broker address %q: %w", addr, err)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1),
		kfake.Ports(port),
		// kfake always binds 127.0.0.1; honour the host the caller asked for.
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			var lc net.ListenConfig
			return lc.Listen(ctx, network, addr)
		}),
		kfake.ClusterID("sluice"),
	}
	if logger != nil {
		opts = append(opts, kfake.WithLogger(kfakeLogger{logger}))
	}
	if dataDir != "" {
		opts = append(opts, kfake.DataDir(dataDir))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("ingest: start broker on %s: %w", addr, err)
	}
	return &Broker{cluster: c}, nil
}

// Addrs returns the addresses the broker listens on, for Options.Brokers.
func (b *Broker) Addrs() []string { return b.cluster.ListenAddrs() }

// Close stops the broker, persisting its state when it has a data
// directory. It is idempotent.
func (b *Broker) Close() { b.cluster.Close() }

// kfakeLogger routes kfake's logs to slog.
type kfakeLogger struct{ l *slog.Logger }

var _ kfake.Logger = kfakeLogger{}

func (k kfakeLogger) Logf(level kfake.LogLevel, format string, args ...any) {
	var sl slog.Level
	switch level {
	case kfake.LogLevelError:
		sl = slog.LevelError
	case kfake.LogLevelWarn:
		sl = slog.LevelWarn
	case kfake.LogLevelInfo:
		sl = slog.LevelInfo
	case kfake.LogLevelDebug:
		sl = slog.LevelDebug
	default:
		return
	}
	ctx := context.Background()
	if k.l.Enabled(ctx, sl) {
		k.l.Log(ctx, sl, fmt.Sprintf(format, args...), "component", "kfake")
	}
}
