package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sluicedb/sluice/state"
)

// crashPoint names a point of a persistent query's batch where tests
// simulate a crash (Options.private.crashAt).
type crashPoint string

const (
	// crashLogged: the batch's offset-log entry is durable, nothing read.
	crashLogged crashPoint = "logged"
	// crashEmitted: the batch's rows are emitted, no checkpoint yet.
	crashEmitted crashPoint = "emitted"
	// crashPrepared: the checkpoint is prepared (a sink's Kafka
	// transaction is committed), its Pebble batch is not.
	crashPrepared crashPoint = "prepared"
	// crashCheckpointed: the checkpoint's Pebble batch is committed.
	crashCheckpointed crashPoint = "checkpointed"
	// faultEmitted is not a crash: at the point of crashEmitted the batch
	// fails with errInjectedFault, a transient error that supervision
	// retries (persist_restart.go), as it would a Kafka or Pebble error.
	faultEmitted crashPoint = "fault:emitted"
)

var (
	// errSimulatedCrash ends a driver at a crash point (tests).
	errSimulatedCrash = errors.New("exec: simulated crash")
	// errStopped ends a driver that stopped gracefully.
	errStopped = fmt.Errorf("exec: stopped for shutdown: %w", ErrClosed)
)

// gracefulStopTimeout bounds how long Engine.Close waits for a persistent
// query to finish its batch and checkpoint before cancelling it.
const gracefulStopTimeout = 30 * time.Second

// persister is the persistent-query part of a driver, owned by the driver
// goroutine (before the driver starts, by Engine while recovering).
//
// Batches are numbered from 1; checkpoint 0 is the one a new query writes
// before its first batch. Per batch b: its offset-log entry is written
// synced before anything is read, then the batch runs and emits into out;
// a checkpoint after b writes, in one synced Pebble batch, the operator
// snapshot, out's pending rows, the checkpoint record and the deletion of
// the offset-log entries <= b.
type persister struct {
	id    string
	kind  string
	store *state.Store
	// spec and sink (nil for a view) are what the query was launched
	// with: a supervised restart rebuilds it from them.
	spec *QuerySpec
	sink *SinkDef
	out  persistOutput
	// view is out when the query is a view (ScanView); nil for sinks.
	view *viewOutput
	// interval is Options.CheckpointInterval; every, when set, replaces it.
	interval time.Duration
	every    func(id string, b uint64) bool
	crashAt  func(id string, point crashPoint, b uint64) bool
	// batch is the last batch run, ckpt the batch of the last checkpoint,
	// at when it was written (by the Clock).
	batch, ckpt uint64
	lastCkpt    time.Time
	// marker is a sink's last committed marker batch: the output of
	// batches <= marker is already in Kafka, so their replay suppresses it
	// and no checkpoint is taken before marker.
	marker uint64
	// replay are the logged batches after the checkpoint, run first.
	replay []offsetLogEntry
}

func (p *persister) crash(point crashPoint, b uint64) bool {
	return p.crashAt != nil && p.crashAt(p.id, point, b)
}

// persistBatch runs one batch of a persistent query: plan, log, run. A
// batch that would read nothing and not move the watermark would change
// nothing either; it is skipped, so an idle query writes nothing, except
// the checkpoint that falls due after its last batch (which commits a
// sink's rows and stores a view's pending rows).
func (d *driver) persistBatch(ctx context.Context, trigger time.Time) error {
	p := d.persist
	// The start time is logged in µs, and a replay reuses it: use exactly
	// the logged value in the first run too.
	start := time.UnixMicro(d.clock.Now().UnixMicro())
	if _, ok := d.eng.Stream(d.stream); !ok {
		return fmt.Errorf("%w: %q was dropped", ErrUnknownStream, d.stream)
	}
	ranges, lag, err := d.src.plan(ctx)
	if err != nil {
		return err
	}
	d.lag = lag
	punct := d.q.punct.Load()
	if len(ranges) == 0 && !d.watermarkWouldMove(punct, start) {
		d.publishNext()
		if p.batch > p.ckpt {
			return d.maybeCheckpoint(ctx, start)
		}
		return nil
	}
	e := offsetLogEntry{Batch: p.batch + 1, AtUS: start.UnixMicro(), Punct: punct,
		Next: slices.Clone(d.src.next), Ranges: toLogRanges(ranges)}
	if err := p.log(e); err != nil {
		return err
	}
	if p.crash(crashLogged, e.Batch) {
		return errSimulatedCrash
	}
	return d.runLogged(ctx, e, max(start.Sub(trigger), 0), lag)
}

// watermarkWouldMove reports whether a batch without records would raise
// the watermark (a punctuation or the idle timeout), on a copy.
func (d *driver) watermarkWouldMove(punct int64, at time.Time) bool {
	probe := *d.wm
	return probe.advance(nil, 0, punct, at) != d.wm.cur
}

// log writes the offset-log entry of a batch in its own synced batch.
func (p *persister) log(e offsetLogEntry) error {
	rec, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("offset log entry %d: %w", e.Batch, err)
	}
	pb := p.store.NewBatch()
	defer pb.Close()
	pb.SetOffsetLog(p.id, e.Batch, rec)
	if err := pb.Commit(true); err != nil {
		return fmt.Errorf("offset log entry %d: %w", e.Batch, err)
	}
	return nil
}

// runLogged runs the logged batch e (first run or replay) with exactly its
// ranges, start time and punctuation, emits its rows, records its figures
// and checkpoints when one is due.
func (d *driver) runLogged(ctx context.Context, e offsetLogEntry, delay time.Duration, lag int64) error {
	p := d.persist
	begin := d.clock.Now()
	rate := d.rate.perPartition(len(d.src.next))
	out, st, err := d.process(ctx, e.ranges(), time.UnixMicro(e.AtUS), e.Punct)
	if err != nil {
		return err
	}
	if out != nil {
		defer out.Release()
		st.outputRows = out.NumRows()
	}
	if err := p.out.emit(ctx, e.Batch, out, e.Batch <= p.marker); err != nil {
		return fmt.Errorf("batch %d output: %w", e.Batch, err)
	}
	p.batch = e.Batch
	st.batchID, st.lag, st.rate = int64(e.Batch), lag, rate
	st.processing, st.schedulingDelay = d.clock.Now().Sub(begin), delay
	d.q.stats.record(st)
	d.publishNext()
	if d.rate != nil {
		d.rate.update(d.clock.Now(), st.inputRows, st.processing, st.schedulingDelay)
	}
	if p.crash(crashEmitted, e.Batch) {
		return errSimulatedCrash
	}
	if p.crash(faultEmitted, e.Batch) {
		return errInjectedFault
	}
	return d.maybeCheckpoint(ctx, time.UnixMicro(e.AtUS))
}

// replay runs the logged batches after the checkpoint, in order, before
// any new batch. A graceful stop requested meanwhile is honoured between
// batches.
func (d *driver) replay(ctx context.Context) error {
	p := d.persist
	for len(p.replay) > 0 {
		select {
		case <-d.q.stopping:
			return d.stopGracefully(ctx)
		default:
		}
		if err := ctx.Err(); err != nil {
			return context.Cause(ctx)
		}
		e := p.replay[0]
		p.replay = p.replay[1:]
		d.src.setNext(e.Next)
		if err := d.runLogged(ctx, e, 0, 0); err != nil {
			return fmt.Errorf("replay of batch %d: %w", e.Batch, err)
		}
	}
	p.replay = nil
	return nil
}

// maybeCheckpoint checkpoints after the batch just run when one is due:
// right after replaying a sink's marker batch (Kafka has its output, so
// the checkpoint must catch up), when the interval has passed, or when
// pending rows exceed their bound. Never before the marker batch: a
// marker written then would un-suppress batches Kafka already has.
//
// at is the logged start time of the batch just run (the clock's time for
// an idle check): the interval is measured in logged batch times, so a
// replay takes its checkpoints after the same batches as the original
// run, and the output a sink commits, and when, does not depend on a
// failure having happened.
func (d *driver) maybeCheckpoint(ctx context.Context, at time.Time) error {
	p := d.persist
	switch {
	case p.batch < p.marker:
		return nil
	case p.batch == p.marker && p.marker > p.ckpt:
	case p.out.pendingRows() > maxPendingRows:
	case p.every != nil:
		if !p.every(p.id, p.batch) {
			return nil
		}
	case at.Sub(p.lastCkpt) < p.interval:
		return nil
	}
	return d.checkpoint(ctx, at)
}

// stopGracefully checkpoints what ran since the last checkpoint (unless a
// sink's replay has not reached its marker yet) and ends the driver.
func (d *driver) stopGracefully(ctx context.Context) error {
	p := d.persist
	if p.batch > p.ckpt && p.batch >= p.marker {
		if err := d.checkpoint(ctx, d.clock.Now()); err != nil {
			return fmt.Errorf("final checkpoint: %w", err)
		}
	}
	return errStopped
}
