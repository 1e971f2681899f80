package exec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/ingest"
)

// tickerOutboxBound is how many result batches the ticker's batches may
// queue ahead of Next before the driver waits (backpressure: a slow client
// slows reading from Kafka instead of growing memory).
const tickerOutboxBound = 1

// driver runs one query's micro-batches. It lives on the query's driver
// goroutine, which owns everything in it.
type driver struct {
	q      *Query
	eng    *Engine
	stream string
	clock  Clock
	log    *slog.Logger
	src    *source
	wm     *watermarker
	pipe   *pipeline
	// manual: batches run only on ProcessAllAvailable requests.
	manual   bool
	interval time.Duration
	// limit is the LIMIT (0 = none); delivered counts rows queued so far.
	limit, delivered int64
	// waiters are ticker-mode ProcessAllAvailable requests not yet satisfied.
	waiters []*catchUpRequest
	// serving is the ProcessAllAvailable request catchUp is serving, nil
	// between requests. If the driver fails meanwhile, a supervised restart
	// hands it and waiters to the next incarnation (adoptRequests), so the
	// caller is answered once the restarted query has caught up.
	serving *catchUpRequest
	// lag is what the last batch left unread (its caps cut the ranges).
	lag int64
	// persist is the persistent-query part (persist_driver.go); nil for
	// push queries.
	persist *persister
	// rate is the backpressure of a persistent query run by the ticker
	// (nil otherwise); the source caps its batches by it.
	rate *rateController
}

// run is the body of the driver goroutine. It ends when loop does, then
// records the outcome, releases the source and operators, unregisters the
// query and closes done, in that order.
func (d *driver) run(ctx context.Context) {
	defer close(d.q.done)
	d.begin()
	err := d.loopSafely(ctx)
	d.finish(ctx, err)
	d.close()
	d.eng.forget(d.q)
}

// begin gives the source the query's logger and the test knobs; the
// query's id is known only once it is registered.
func (d *driver) begin() {
	d.src.log = d.log.With("query_id", d.q.id)
	d.src.workers = d.eng.opts.private.decodeWorkers
	d.src.decodeHook = d.eng.opts.private.decodeHook
	d.src.minPiece = d.eng.opts.private.minPiece
}

// close releases the source, the operators and a persistent query's
// output. It does not checkpoint.
func (d *driver) close() {
	d.src.close()
	d.pipe.close()
	if d.persist != nil {
		d.persist.out.close()
	}
}

// loopSafely turns a panic in the loop into an error that fails only this
// query.
func (d *driver) loopSafely(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			d.log.Error("query panicked", "query_id", d.q.id, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("%w in query %s: %v", errInternal, d.q.id, r)
		}
	}()
	return d.loop(ctx)
}

// loop triggers batches until the query ends: on each tick (the first batch
// runs at once) or, with ManualTrigger, on each ProcessAllAvailable.
func (d *driver) loop(ctx context.Context) error {
	if d.persist != nil {
		if err := d.replay(ctx); err != nil {
			return err
		}
	}
	if req := d.serving; req != nil { // adopted from a failed incarnation
		if err := d.catchUp(ctx, req); err != nil {
			return err
		}
	}
	var tick <-chan time.Time
	if !d.manual {
		t := d.clock.NewTicker(d.interval)
		defer t.Stop()
		tick = t.C()
		if err := d.tickBatches(ctx, d.clock.Now()); err != nil {
			return err
		}
	}
	for {
		select {
		case <-ctx.Done():
			return context.Cause(ctx)
		case at := <-tick:
			if err := d.tickBatches(ctx, at); err != nil {
				return err
			}
		case req := <-d.q.reqs:
			if err := d.catchUp(ctx, req); err != nil {
				return err
			}
		case req := <-d.q.scans:
			d.serveScan(ctx, req)
		case <-d.q.stopping:
			return d.stopGracefully(ctx)
		}
	}
}

// tickBatches runs the batch of a tick and, while batch caps leave records
// unread (a backlog after a restart or a burst), the following batches at
// once rather than one per tick: catching up runs as fast as the bounded
// batches allow. Backpressure still applies: deliver waits for the client.
func (d *driver) tickBatches(ctx context.Context, at time.Time) error {
	for {
		if err := d.batch(ctx, at); err != nil {
			return err
		}
		d.answerWaiters()
		if d.lag == 0 {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		at = d.clock.Now()
	}
}

// catchUp serves a ProcessAllAvailable request. With ManualTrigger it runs
// batches until the end offsets read now are consumed (at least one batch);
// with the ticker it registers the request, answered by answerWaiters.
//
// A request adopted after a restart reads its target again: the end
// offsets now cover those of the original call.
func (d *driver) catchUp(ctx context.Context, req *catchUpRequest) error {
	d.serving = req
	at := d.clock.Now()
	target, err := d.src.endOffsets(ctx)
	if err != nil {
		return err
	}
	req.target = target
	if !d.manual {
		d.waiters = append(d.waiters, req)
		d.serving = nil
		return nil
	}
	for {
		if err := d.batch(ctx, at); err != nil {
			return err
		}
		if d.src.caughtUp(target) {
			d.serving = nil
			req.reply <- nil
			return nil
		}
		at = d.clock.Now()
	}
}

// adoptRequests takes over the ProcessAllAvailable requests that old, a
// failed incarnation of the same query, left unanswered.
func (d *driver) adoptRequests(old *driver) {
	d.serving, d.waiters = old.serving, old.waiters
	old.serving, old.waiters = nil, nil
}

// answerWaiters answers the registered requests whose targets are consumed;
// each was registered before the batch that just ran.
func (d *driver) answerWaiters() {
	kept := d.waiters[:0]
	for _, w := range d.waiters {
		if d.src.caughtUp(w.target) {
			w.reply <- nil
			continue
		}
		kept = append(kept, w)
	}
	clear(d.waiters[len(kept):])
	d.waiters = kept
}

// finish records how the query ended and logs one line with its figures.
func (d *driver) finish(ctx context.Context, err error) {
	state := StateFailed
	switch {
	case errors.Is(err, errLimitReached):
		state = StateFinished
	case errors.Is(err, errStopped):
		state = StateCancelled
	case ctx.Err() != nil:
		// Errors of I/O cut short by the cancel say only "context
		// canceled"; report why the query was cancelled instead.
		state, err = StateCancelled, context.Cause(ctx)
	default:
		err = fmt.Errorf("exec: query %s: %w", d.q.id, err)
	}
	d.q.err = err
	if state == StateFailed {
		d.q.stats.end(state, err)
	} else {
		d.q.stats.end(state, nil)
	}
	info := d.q.stats.snapshot()
	d.log.Info("query finished", "query_id", info.ID, "state", info.State,
		"batches", info.Batches, "input_rows", info.InputRows, "output_rows", info.OutputRows,
		"late_rows", info.LateRows, "decode_errors", info.DecodeErrors, "error", info.LastError)
}

// batch runs one micro-batch triggered at at: plan, read and decode, push
// through the operators, advance the watermark, flush, deliver, record. A
// persistent query's batch is persistBatch.
func (d *driver) batch(ctx context.Context, at time.Time) error {
	if d.persist != nil {
		return d.persistBatch(ctx, at)
	}
	start := d.clock.Now()
	if _, ok := d.eng.Stream(d.stream); !ok {
		return fmt.Errorf("%w: %q was dropped", ErrUnknownStream, d.stream)
	}
	ranges, lag, err := d.src.plan(ctx)
	if err != nil {
		return err
	}
	d.lag = lag
	out, st, err := d.process(ctx, ranges, start, d.q.punct.Load())
	if err != nil {
		return err
	}
	st.lag = lag
	st.processing = d.clock.Now().Sub(start)
	st.schedulingDelay = max(start.Sub(at), 0)
	n, err := d.deliver(ctx, out)
	st.outputRows = n
	d.q.stats.record(st)
	d.publishNext()
	return err
}

// process reads ranges, pushes every row through the operators, advances
// the watermark (punct is the punctuation and at the batch's start, for
// the idle timeout), flushes and takes the output (nil = no rows; the
// caller owns it). Every row of the micro-batch is pushed before the
// watermark advances and the operators flush.
func (d *driver) process(ctx context.Context, ranges []ingest.Range, at time.Time, punct int64) (arrow.RecordBatch, batchStats, error) {
	ins, rs, err := d.src.read(ctx, ranges)
	if err != nil {
		return nil, batchStats{}, err
	}
	defer func() {
		for _, in := range ins {
			in.Release()
		}
	}()
	var inputRows int64
	for _, in := range ins {
		inputRows += in.NumRows()
		if err := d.pipe.push(ctx, in); err != nil {
			return nil, batchStats{}, err
		}
	}
	wm := d.wm.advance(ins, rs.records, punct, at)
	if err := d.pipe.flush(ctx, wm); err != nil {
		return nil, batchStats{}, err
	}
	out, err := d.pipe.take()
	if err != nil {
		return nil, batchStats{}, err
	}
	ops := d.pipe.stats()
	return out, batchStats{
		ranges: ranges, at: at, inputRows: inputRows,
		decodeErrors: rs.decodeErrors, lastDecodeError: rs.lastError,
		lateRows: ops.LateRows, nullTimeRows: ops.NullTimeRows, stateBytes: ops.StateBytes, watermark: wm,
	}, nil
}

// publishNext publishes a copy of the source's next offsets for
// Engine.Partitions.
func (d *driver) publishNext() {
	next := slices.Clone(d.src.next)
	d.q.next.Store(&next)
}

// deliver queues out (which it takes ownership of; nil means no rows) for
// Next, truncated to what LIMIT still allows. It returns the rows queued and
// errLimitReached once LIMIT is met. Ticker batches wait while the outbox is
// full; manual batches never wait (see outbox).
func (d *driver) deliver(ctx context.Context, out arrow.RecordBatch) (int64, error) {
	if out == nil {
		return 0, d.limitErr()
	}
	if d.limit > 0 && d.delivered+out.NumRows() > d.limit {
		cut := out.NewSlice(0, d.limit-d.delivered)
		out.Release()
		out = cut
	}
	bound := tickerOutboxBound
	if d.manual {
		bound = 0
	}
	n := out.NumRows()
	if err := d.q.out.put(ctx, out, bound); err != nil {
		return 0, err
	}
	d.delivered += n
	return n, d.limitErr()
}

func (d *driver) limitErr() error {
	if d.limit > 0 && d.delivered >= d.limit {
		return errLimitReached
	}
	return nil
}
