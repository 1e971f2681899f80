package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// loadProducer produces small bids at rate records per second of wall
// clock to partition 0 of the bids topic until its context ends. sent
// may be read after run returns.
type loadProducer struct {
	rate float64
	sent int64
}

// run is the producer goroutine. Each record's date_time is the wall
// clock when it is handed to the client, so windows close in real time.
func (p *loadProducer) run(ctx context.Context, broker string) error {
	cl, err := newProducer(broker)
	if err != nil {
		return err
	}
	defer cl.Close()
	var (
		mu       sync.Mutex
		firstErr error // guarded by mu
	)
	onDone := func(_ *kgo.Record, err error) {
		// Records still buffered when ctx ends fail with its error;
		// that is the end of the run, not a failure.
		if err != nil && ctx.Err() == nil {
			mu.Lock()
			firstErr = errors.Join(firstErr, err)
			mu.Unlock()
		}
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	start := time.Now()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
		for due := int64(p.rate * time.Since(start).Seconds()); p.sent < due && ctx.Err() == nil; p.sent++ {
			cl.Produce(ctx, &kgo.Record{Value: loadRecord(p.sent, time.Now())}, onDone)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if firstErr != nil {
		return fmt.Errorf("produce bids: %w", firstErr)
	}
	return nil
}

// loadRecord is bid seq as JSON: bidder = seq % loadKeys, so that every
// key gets every loadKeys-th record.
func loadRecord(seq int64, at time.Time) []byte {
	b := make([]byte, 0, 96)
	b = append(b, `{"auction":`...)
	b = strconv.AppendInt(b, seq, 10)
	b = append(b, `,"bidder":`...)
	b = strconv.AppendInt(b, seq%loadKeys, 10)
	b = append(b, `,"price":`...)
	b = strconv.AppendInt(b, seq%997, 10)
	b = append(b, `,"date_time":"`...)
	b = at.UTC().AppendFormat(b, "2006-01-02 15:04:05.000000")
	return append(b, `"}`...)
}

// rssSample is the server's resident set at one moment.
type rssSample struct {
	at  time.Time
	rss int64 // bytes
}

// rssSampler reads the server's VmRSS every second until its context
// ends. samples may be read after run returns.
type rssSampler struct {
	pid     int
	samples []rssSample
}

func (s *rssSampler) run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C:
			rss, err := readStatusBytes(s.pid, "VmRSS")
			if err != nil {
				return err
			}
			s.samples = append(s.samples, rssSample{at: now, rss: rss})
		}
	}
}
