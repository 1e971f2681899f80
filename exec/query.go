package exec

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Query is one running continuous query.
//
// Goroutines: one driver goroutine (driver.go) runs the micro-batches. The
// Query owns it: Close cancels it and waits for it; stop (persistent
// queries, at engine Close) asks it to checkpoint and end, and waits. It
// also ends by itself on LIMIT, on an error, when the ctx given to
// StartQuery ends, or when the engine closes; in every case it closes its
// operators, source and persistent output, removes the query from the
// engine and then closes done. A persistent query's goroutine is its
// supervisor (persist_restart.go), which runs successive drivers of the
// same Query, restarting one that failed transiently; done closes when the
// last one has ended for good.
//
// Results: each micro-batch that emits rows queues one RecordBatch for
// Next. Next, Info, AdvanceWatermark, ProcessAllAvailable and Close are
// safe for concurrent use.
type Query struct {
	id     string
	kind   string
	schema *arrow.Schema

	cancel context.CancelCauseFunc
	// done is closed when the driver has ended and cleaned up; err is
	// written before and read only after.
	done chan struct{}
	err  error

	out   *outbox
	reqs  chan *catchUpRequest
	punct atomic.Int64 // highest AdvanceWatermark punctuation, µs
	stats queryStats

	// stream is the source stream's name (Engine.Partitions).
	stream string
	// next is a copy of the source's next offset per partition, published
	// by the driver after each batch (Engine.Partitions); nil before init.
	next atomic.Pointer[[]int64]

	// Persistent queries only (nil channels otherwise, never selected):
	// stopping is closed by stop to ask the driver for a graceful stop;
	// scans carries ScanView requests to a view's driver.
	stopping chan struct{}
	stopOnce sync.Once
	scans    chan *scanRequest
}

// scanRequest asks a view's driver for the rows ScanView needs beyond the
// stored chunks; the driver answers on reply (capacity 1) as soon as it
// receives the request.
type scanRequest struct {
	reply chan scanReply
}

// scanReply: rows are the pending rows and the pipeline's current values
// (the receiver releases them); every stored chunk with a sequence number
// below storedBelow is part of the view, later ones are not yet.
type scanReply struct {
	rows        []arrow.RecordBatch
	storedBelow uint64
	err         error
}

// catchUpRequest asks the driver to process everything available when it
// receives the request; the driver answers on reply (capacity 1, so it
// never blocks).
type catchUpRequest struct {
	reply chan error
	// target is the end offsets the driver read on receipt; set and read
	// by the driver only.
	target []int64
}

// errLimitReached ends a driver whose LIMIT is satisfied; Next turns it
// into io.EOF.
var errLimitReached = errors.New("exec: limit reached")

// ID returns the query's id, unique among the engine's running queries.
func (q *Query) ID() string { return q.id }

// Schema returns the schema of the batches Next returns.
func (q *Query) Schema() *arrow.Schema { return q.schema }

// Next blocks until a micro-batch has emitted rows and returns them; the
// caller must Release the batch. A batch already queued is returned even
// if ctx is done, so a caller can drain what ProcessAllAvailable produced
// with an expired ctx. Once the queue is empty and the query has ended,
// Next returns io.EOF if it ended by LIMIT, an error wrapping ErrClosed
// after Close or engine Close, the cause of the StartQuery ctx's end, or
// the error that failed the query. While the query runs and nothing is
// queued, Next returns ctx.Err() when ctx ends.
func (q *Query) Next(ctx context.Context) (arrow.RecordBatch, error) {
	for {
		if b, ok := q.out.tryTake(); ok {
			return b, nil
		}
		// An ended query reports its end even to a caller whose ctx is
		// done, so draining with a cancelled ctx sees io.EOF after LIMIT.
		select {
		case <-q.done:
			if b, ok := q.out.tryTake(); ok {
				return b, nil
			}
			return nil, q.endErr()
		default:
		}
		select {
		case <-q.out.ready:
		case <-q.done:
			if b, ok := q.out.tryTake(); ok {
				return b, nil
			}
			return nil, q.endErr()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// endErr is the error Next reports after the query ended. Call only after
// done is closed.
func (q *Query) endErr() error {
	if errors.Is(q.err, errLimitReached) {
		return io.EOF
	}
	return q.err
}

// Close stops the driver goroutine, waits for it, and releases any result
// batches not yet taken by Next. It is idempotent and always returns nil:
// a query's failure is reported by Next and Info, not by Close.
func (q *Query) Close() error {
	q.cancel(fmt.Errorf("query %s: %w", q.id, ErrClosed))
	<-q.done
	q.out.drain()
	return nil
}

// stop asks a persistent query's driver to stop gracefully (finish its
// batch, checkpoint, stop) and waits for it, at most timeout; then it
// cancels the driver (no checkpoint) and waits for it to end.
func (q *Query) stop(timeout time.Duration) {
	q.stopOnce.Do(func() { close(q.stopping) })
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-q.done:
	case <-t.C:
		q.cancel(fmt.Errorf("query %s: graceful stop timed out after %v: %w", q.id, timeout, ErrClosed))
		<-q.done
	}
	q.out.drain()
}

// Info returns a snapshot of the query's state and counters.
func (q *Query) Info() QueryInfo { return q.stats.snapshot() }

// AdvanceWatermark raises the source watermark to at least t at the next
// batch boundary (a punctuation). It never lowers the watermark.
func (q *Query) AdvanceWatermark(t time.Time) {
	v := t.UnixMicro()
	for {
		cur := q.punct.Load()
		if v <= cur || q.punct.CompareAndSwap(cur, v) {
			return
		}
	}
}

// ProcessAllAvailable returns once every partition's end offset as of the
// call has been consumed, at least one micro-batch has run after the call
// (so punctuations and idle timeouts are applied), and the results of those
// batches are queued for Next (Spark's processAllAvailable).
//
// With Options.ManualTrigger the batches run inside this call and their
// results never wait for Next, so a single goroutine may call
// ProcessAllAvailable and then drain Next. With the ticker the call waits
// for the ticker's batches, which wait for Next when a result is already
// queued: drain Next concurrently.
//
// It returns nil if the query ended by LIMIT, and the query's error (as
// Next would) if it ended otherwise.
func (q *Query) ProcessAllAvailable(ctx context.Context) error {
	req := &catchUpRequest{reply: make(chan error, 1)}
	select {
	case q.reqs <- req:
	case <-q.done:
		return q.caughtUpErr()
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-req.reply:
		return err
	case <-q.done:
		return q.caughtUpErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (q *Query) caughtUpErr() error {
	if errors.Is(q.err, errLimitReached) {
		return nil
	}
	return q.err
}
