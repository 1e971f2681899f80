package main

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/sluicedb/sluice/ingest/nexmark"
)

const (
	topic = "bids"
	// windowSize is the query's TUMBLE size.
	windowSize = 10 * time.Second
	// sentinelGap puts the sentinel far enough after the last real bid
	// that the watermark (event time − 4 s) passes every real window.
	sentinelGap = time.Hour
	// maxBuffered bounds the records produced but not yet acknowledged;
	// Produce blocks beyond it.
	maxBuffered = 16 << 10
	// slabSize is the arena block the reused event JSON is copied into.
	slabSize = 1 << 20
)

// firstEventTime is fixed so that a seed alone fixes the data.
var firstEventTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// createStream is the benchmark's stream, with partitions partitions.
func createStream(partitions int) string {
	return fmt.Sprintf(`CREATE STREAM bids (auction BIGINT, bidder BIGINT, price BIGINT, channel VARCHAR, `+
		`url VARCHAR, date_time TIMESTAMP, extra VARCHAR, `+
		`WATERMARK FOR date_time AS date_time - INTERVAL '4 seconds') `+
		`WITH (topic = '%s', format = 'json', partitions = %d)`, topic, partitions)
}

// loadStats describes what preload produced.
type loadStats struct {
	bids          int64 // real bids, the sentinel excluded
	bytes         int64 // JSON bytes of the real bids
	first, last   time.Time
	lastWindowEnd time.Time // end of the window holding the last real bid
	elapsed       time.Duration
}

// newProducer returns the bench's producer: records go to the partition
// they name, uncompressed, so that the server's CPU time is not spent on
// decompression the benchmark chose. The caller must Close it.
func newProducer(broker string) (*kgo.Client, error) {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(broker),
		kgo.DefaultProduceTopic(topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.MaxBufferedRecords(maxBuffered),
		kgo.ProducerLinger(5*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	return cl, nil
}

// preload produces cfg.events Nexmark bids to the bids topic, round-robin
// over the partitions, then the sentinel. It returns once every record is
// acknowledged.
func preload(ctx context.Context, broker string, cfg config) (loadStats, error) {
	start := time.Now()
	cl, err := newProducer(broker)
	if err != nil {
		return loadStats{}, err
	}
	defer cl.Close()

	st, err := produceBids(ctx, cl, cfg)
	if err != nil {
		return loadStats{}, err
	}
	sentinel, err := sentinelBid(st.last.Add(sentinelGap))
	if err != nil {
		return loadStats{}, err
	}
	if err := cl.ProduceSync(ctx, &kgo.Record{Value: sentinel, Partition: 0}).FirstErr(); err != nil {
		return loadStats{}, fmt.Errorf("produce sentinel: %w", err)
	}
	st.lastWindowEnd = windowEnd(st.last, windowSize)
	st.elapsed = time.Since(start)
	return st, nil
}

// produceBids generates bids and produces them asynchronously, at most
// maxBuffered unacknowledged, then flushes.
func produceBids(ctx context.Context, cl *kgo.Client, cfg config) (loadStats, error) {
	var (
		st       loadStats
		mu       sync.Mutex
		firstErr error // guarded by mu; set by produce callbacks
	)
	failed := func() error {
		mu.Lock()
		defer mu.Unlock()
		return firstErr
	}
	onDone := func(_ *kgo.Record, err error) {
		if err != nil {
			mu.Lock()
			if firstErr == nil {
				firstErr = err
			}
			mu.Unlock()
		}
	}
	gen := nexmark.New(nexmark.Config{Seed: cfg.seed, FirstEventTime: firstEventTime, EventsPerSecond: cfg.eventRate})
	var ev nexmark.Event
	var slab []byte
	for st.bids < cfg.events {
		gen.Next(&ev)
		if ev.Kind != nexmark.Bid {
			continue
		}
		if st.bids == 0 {
			st.first = ev.Time
		}
		st.last = ev.Time
		// Next reuses ev.JSON; copy it into a slab shared by many records.
		if len(slab)+len(ev.JSON) > cap(slab) {
			slab = make([]byte, 0, max(slabSize, len(ev.JSON)))
		}
		at := len(slab)
		slab = append(slab, ev.JSON...)
		rec := &kgo.Record{Value: slab[at:len(slab):len(slab)], Partition: int32(st.bids % int64(cfg.partitions))}
		cl.Produce(ctx, rec, onDone) // blocks while maxBuffered are in flight
		st.bids++
		st.bytes += int64(len(ev.JSON))
		if st.bids%maxBuffered == 0 {
			if err := cmp.Or(failed(), ctx.Err()); err != nil {
				return loadStats{}, fmt.Errorf("produce bids: %w", err)
			}
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return loadStats{}, fmt.Errorf("flush bids: %w", err)
	}
	if err := failed(); err != nil {
		return loadStats{}, fmt.Errorf("produce bids: %w", err)
	}
	return st, nil
}

// sentinelBid is a bid at t, in the generator's JSON layout.
func sentinelBid(t time.Time) ([]byte, error) {
	b, err := json.Marshal(map[string]any{
		"auction": 0, "bidder": 0, "price": 0, "channel": "sentinel", "url": "",
		"date_time": t.UTC().Format("2006-01-02 15:04:05.000000"), "extra": "",
	})
	if err != nil {
		return nil, fmt.Errorf("encode sentinel: %w", err)
	}
	return b, nil
}

// windowEnd is the end of the epoch-aligned window of size that holds t.
func windowEnd(t time.Time, size time.Duration) time.Time {
	us, sz := t.UnixMicro(), size.Microseconds()
	start := us - ((us%sz)+sz)%sz // floor, also before 1970
	return time.UnixMicro(start + sz).UTC()
}
