package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"golang.org/x/sync/singleflight"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Options configures a Client. The zero value is not usable: Brokers is
// required.
type Options struct {
	// Brokers is the bootstrap list (host:port). Required.
	Brokers []string
	// Logger receives the client's and franz-go's logs. Default: discard.
	Logger *slog.Logger
	// ClientID is sent to the brokers. Default "sluice".
	ClientID string
}

// EnsureDefaults fills in the documented defaults.
func (o *Options) EnsureDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.ClientID == "" {
		o.ClientID = "sluice"
	}
}

// Validate reports whether the options can be used.
func (o *Options) Validate() error {
	if len(o.Brokers) == 0 {
		return errors.New("ingest: no brokers")
	}
	return nil
}

// Client is a franz-go client plus its kadm admin wrapper. It never joins a
// consumer group and never commits offsets: offsets belong to exec's
// checkpoints. Fetch issues its own fetch requests to partition leaders, so
// one Client serves any number of concurrent Fetch and Produce calls.
//
// Goroutines: only franz-go's own (connections, metadata refresh, produce
// sinks); Close stops and waits for all of them.
type Client struct {
	cl  *kgo.Client
	adm *kadm.Client
	log *slog.Logger

	// fetch holds Fetch's own broker connections (fetchconn.go); Close
	// closes them.
	fetch *fetchPool
	// fetchViaKgo sends fetches through kgo, as before fetchconn.go. Only
	// BenchmarkFetch1MiB sets it, to compare the two.
	fetchViaKgo bool

	// ends coalesces concurrent EndOffsetsShared calls per topic.
	ends singleflight.Group
	// mu guards leaders, the per-topic metadata cache used by Fetch.
	mu struct {
		sync.Mutex
		leaders map[string]*topicMeta
	}
}

// NewClient connects a client to opts.Brokers. ctx bounds the initial
// reachability check; the caller must Close the client.
func NewClient(ctx context.Context, opts Options) (*Client, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(opts.Brokers...),
		kgo.ClientID(opts.ClientID),
		kgo.WithLogger(kgoLogger{opts.Logger}),
		kgo.RecordPartitioner(partitioner{}),
		// Produce is synchronous and called per INSERT or per generator
		// batch: lingering would only add latency.
		kgo.ProducerLinger(0),
	)
	if err != nil {
		return nil, fmt.Errorf("ingest: new kafka client: %w", err)
	}
	if err := cl.Ping(ctx); err != nil {
		cl.Close()
		return nil, fmt.Errorf("ingest: ping brokers %v: %w", opts.Brokers, err)
	}
	c := &Client{cl: cl, adm: kadm.NewClient(cl), log: opts.Logger, fetch: newFetchPool(opts.ClientID)}
	c.mu.leaders = make(map[string]*topicMeta)
	return c, nil
}

// Close closes the client: Fetch's connections, then franz-go's, waiting
// for franz-go's goroutines. In-flight calls fail.
func (c *Client) Close() {
	c.fetch.close()
	c.cl.Close()
}
