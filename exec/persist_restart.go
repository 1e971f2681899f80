package exec

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Supervision of persistent queries: a driver that fails with an error
// that is not permanent is restarted from its last checkpoint, exactly as
// a server restart would resume it, after a backoff.
const (
	// restartBackoffMin is the wait before the first restart of a
	// failure; each failed attempt doubles it, up to restartBackoffMax.
	restartBackoffMin = time.Second
	restartBackoffMax = 30 * time.Second
	// restartBackoffReset: an incarnation that ran this long before it
	// failed starts over at restartBackoffMin, because its failure is a
	// new incident rather than the last one going on.
	restartBackoffReset = time.Minute
)

var (
	// errInternal marks a recovered panic. Replay would run the same code
	// on the same data, so it is permanent.
	errInternal = errors.New("exec: internal error")
	// errInjectedFault fails a batch transiently (tests: faultEmitted).
	errInjectedFault = errors.New("exec: injected transient fault")
)

// permanentErrors would recur on every restart: the state or plan does
// not fit (ErrStateFormat, ErrCorruptState), the source stream is gone, or
// the data itself fails the query deterministically (decode errors under
// on_decode_error 'fail', numeric errors, the state limit), so replaying
// the same batches repeats them. errSimulatedCrash stands for the death
// of the process, which no supervisor inside it survives.
var permanentErrors = []error{
	ErrStateFormat, ErrCorruptState, ErrUnknownStream, ErrDecode,
	ErrNumericOverflow, ErrDivisionByZero, ErrInvalidValue, ErrStateLimit,
	errInternal, errSimulatedCrash,
}

// isPermanent reports whether err would fail a restarted query again.
func isPermanent(err error) bool {
	for _, p := range permanentErrors {
		if errors.Is(err, p) {
			return true
		}
	}
	return false
}

// supervise is the goroutine of persistent query d.q. It runs the driver
// and, while it fails transiently, restarts it (restart) with the same
// Query, so the query keeps its id, its row in sluice.queries and its
// pending ProcessAllAvailable callers. It returns, closing q.done, once
// the query ends for good: stopped (Engine.Close), cancelled (DropView,
// DropSink) or failed permanently. Only then is the query forgotten, so
// Engine.Close and the drops find it, stop it and wait for it whether it
// runs or waits to restart.
func (e *Engine) supervise(ctx context.Context, d *driver) {
	q := d.q
	defer close(q.done)
	backoff := restartBackoffMin
	for {
		began := time.Now() // wall clock, as the backoff (waitBackoff)
		d.begin()
		err := d.loopSafely(ctx)
		if !e.restartable(ctx, q, err) {
			d.finish(ctx, err)
			d.close()
			e.forget(q)
			return
		}
		// Release everything now: a sink's close aborts its open
		// transaction, whose rows the restarted query writes again.
		d.close()
		if time.Since(began) >= restartBackoffReset {
			backoff = restartBackoffMin
		}
		next, err := e.restart(ctx, d, err, &backoff)
		if next == nil {
			d.finish(ctx, err)
			e.forget(q)
			return
		}
		d = next
	}
}

// restartable reports whether the driver's failure err is to be retried:
// not when the query was stopped or cancelled (then err says so), the
// engine is closing, or err is permanent.
func (e *Engine) restartable(ctx context.Context, q *Query, err error) bool {
	if err == nil || ctx.Err() != nil || errors.Is(err, errStopped) || isPermanent(err) {
		return false
	}
	select {
	case <-q.stopping:
		return false
	default:
	}
	return e.checkOpen() == nil
}

// restart waits out the backoff and rebuilds old's query from its last
// checkpoint, again after each transient failure of the rebuild itself
// (a broker still down). It returns the new driver, or nil and the error
// that ends the query: a permanent one, or the stop or cancel that came
// during the wait.
func (e *Engine) restart(ctx context.Context, old *driver, cause error, backoff *time.Duration) (*driver, error) {
	q := old.q
	for {
		q.stats.restarting(cause)
		e.log.Warn("persistent query failed, restarting", "query_id", q.id,
			"error", cause, "backoff", *backoff, "restarts", q.Info().Restarts)
		if err := e.waitBackoff(ctx, q, *backoff, cause); err != nil {
			return nil, err
		}
		*backoff = min(*backoff*2, restartBackoffMax)
		q.stats.addRestart()
		d, err := e.rebuild(ctx, old)
		if err == nil && e.checkOpen() != nil { // Close began meanwhile
			d.close()
			return nil, errStopped
		}
		if err == nil {
			return d, nil
		}
		if !e.restartable(ctx, q, err) {
			return nil, err
		}
		cause = err
	}
}

// waitBackoff waits for wait, answering ScanView requests meanwhile with
// an error (a pull query should not hang on a query that may stay down).
// It returns errStopped when a graceful stop is asked or the engine is
// closing (so no restart begins after Close did), or the ctx's cause.
//
// The wait is wall-clock time, not Options.Clock: it gives Kafka or the
// disk time to recover, which only real time does, and a test's fake
// clock (which drives batches and idle timeouts) would otherwise never
// let a transient failure heal.
func (e *Engine) waitBackoff(ctx context.Context, q *Query, wait time.Duration, cause error) error {
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if e.checkOpen() != nil {
				return errStopped
			}
			return nil
		case req := <-q.scans:
			req.reply <- scanReply{err: fmt.Errorf("%w: query %s is restarting: %w", ErrQueryFailed, q.id, cause)}
		case <-q.stopping:
			return errStopped
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// rebuild builds a new driver for old's query along Resume's path
// (preparePersistent: the sink fences its previous producer, the snapshot
// and watermark are restored, the offset log is loaded for replay) and
// hands it old's unanswered requests. The plan is the one the query was
// launched with.
func (e *Engine) rebuild(ctx context.Context, old *driver) (*driver, error) {
	p := old.persist
	d, info, err := e.preparePersistent(ctx, p.spec, p.sink, false, old.q)
	if err != nil {
		return nil, fmt.Errorf("restart: %w", err)
	}
	d.adoptRequests(old)
	old.q.stats.restarted(info, int64(d.persist.ckpt))
	e.log.Info("persistent query restarted", "query_id", old.q.id,
		"checkpoint", d.persist.ckpt, "replay_batches", len(d.persist.replay))
	return d, nil
}
