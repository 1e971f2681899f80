package exec

import (
	"context"
	"errors"
	"fmt"
)

// Resume starts every persistent query of the catalog (views, then sinks),
// re-planned by plan from its stored SQL, each from its last checkpoint:
// it restores the operator snapshot and watermark, and the driver replays
// the batches logged after the checkpoint before running new ones. A
// query that cannot be planned or restored (its plan changed, so the
// snapshot's fingerprint differs: an error wrapping ErrStateFormat; or its
// state is damaged: ErrCorruptState) is logged and recorded as failed,
// visible in Queries with its error; the others still start, and Resume
// returns nil. It fails only when the engine is closed or ctx ends.
// Queries already running are left alone. Called once by cmd/sluice after
// NewEngine.
func (e *Engine) Resume(ctx context.Context, plan func(kind, name, sql string) (*QuerySpec, error)) error {
	unlock, err := e.lockDDL(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	for _, v := range e.Views() {
		e.resumeOne(ctx, kindView, v.Name, v.QueryID, v.SQL, nil, plan)
	}
	for _, s := range e.Sinks() {
		e.resumeOne(ctx, kindSink, s.Name, s.QueryID, s.SQL, &s, plan)
	}
	return ctx.Err()
}

// resumeOne plans, restores and launches one persistent query, recording
// it as failed if any step fails.
func (e *Engine) resumeOne(ctx context.Context, kind, name, id, sql string, sink *SinkDef, plan func(kind, name, sql string) (*QuerySpec, error)) {
	e.mu.Lock()
	ent := e.mu.persistent[id]
	e.mu.Unlock()
	if ent != nil && ent.q != nil {
		return
	}
	err := func() error {
		spec, err := plan(kind, name, sql)
		if err != nil {
			return fmt.Errorf("plan: %w", err)
		}
		if spec, err = persistentSpec(kind, id, spec); err != nil {
			return err
		}
		if spec.SQL == "" {
			spec.SQL = sql
		}
		d, info, err := e.preparePersistent(ctx, spec, sink, false, nil)
		if err != nil {
			return err
		}
		return e.launch(d, info)
	}()
	if err == nil {
		return
	}
	err = fmt.Errorf("exec: query %s: resume from the state store in %s: %w", id, e.opts.Store.Dir(), err)
	e.log.Error("persistent query failed to resume", "query_id", id, "error", err)
	e.mu.Lock()
	e.mu.persistent[id] = &persistentEntry{id: id, kind: kind, err: err, failed: QueryInfo{
		ID: id, Kind: kind, SQL: sql, State: StateFailed, StartedAt: e.opts.Clock.Now(), LastError: err.Error(),
	}}
	e.mu.Unlock()
}

// preparePersistent builds the driver of persistent query spec (its ID
// and Kind set) and makes it ready to launch: its output recovered (a
// sink fences its previous producer), then, fresh, checkpoint 0 written
// (the start offsets and empty state), or else its state restored from
// the last checkpoint with the batches to replay. q is nil for a new
// Query, or the Query a supervised restart keeps (its id, channels and
// figures stay). info is the query's initial QueryInfo (counters carried
// over by the checkpoint). On error everything built is released.
func (e *Engine) preparePersistent(ctx context.Context, spec *QuerySpec, sink *SinkDef, fresh bool, q *Query) (*driver, QueryInfo, error) {
	def, ok := e.Stream(spec.Source.Stream)
	if !ok {
		return nil, QueryInfo{}, fmt.Errorf("%w: %q", ErrUnknownStream, spec.Source.Stream)
	}
	d, err := e.newDriver(ctx, spec, def)
	if err != nil {
		return nil, QueryInfo{}, err
	}
	if q != nil {
		d.adopt(q)
	} else {
		d.q.stopping = make(chan struct{})
	}
	p, err := e.newPersister(d, spec, sink)
	if err != nil {
		d.close()
		return nil, QueryInfo{}, err
	}
	d.persist = p
	if !e.opts.ManualTrigger {
		d.rate = newRateController(e.opts.BatchInterval, 0)
		d.src.rate = d.rate
	}
	info := QueryInfo{Kind: spec.Kind, SQL: spec.SQL, State: StateRunning, StartedAt: e.opts.Clock.Now()}
	if err := e.recoverPersistent(ctx, d, fresh, &info); err != nil {
		d.close()
		return nil, QueryInfo{}, err
	}
	d.publishNext()
	return d, info, nil
}

// adopt makes d drive q, an existing Query, instead of the one newDriver
// made for it (which nothing else has seen).
func (d *driver) adopt(q *Query) {
	q.next.Store(d.q.next.Load())
	d.q = q
}

// newPersister builds the persistent part of d and its output; a view's
// Query gets its scan channel unless it has one (a restart keeps it).
func (e *Engine) newPersister(d *driver, spec *QuerySpec, sink *SinkDef) (*persister, error) {
	p := &persister{id: spec.ID, kind: spec.Kind, store: e.opts.Store, spec: spec, sink: sink,
		interval: e.opts.CheckpointInterval, every: e.opts.private.checkpointAfter,
		crashAt: e.opts.private.crashAt, lastCkpt: e.opts.Clock.Now()}
	switch spec.Kind {
	case kindView:
		p.view = newViewOutput(spec.ID, e.opts.Store, e.opts.Allocator, d.pipe.out, !hasRunningAggregate(spec.Ops))
		p.out = p.view
		if d.q.scans == nil {
			d.q.scans = make(chan *scanRequest)
		}
	case kindSink:
		if sink == nil {
			return nil, errors.New("sink query without a sink definition")
		}
		p.out = newSinkOutput(e.opts.Kafka, e.opts.KafkaOptions, *sink, d.pipe.out, e.log)
	default:
		return nil, fmt.Errorf("kind %q is not persistent", spec.Kind)
	}
	return p, nil
}

// recoverPersistent recovers d's output, then writes checkpoint 0 (fresh)
// or restores the last checkpoint.
func (e *Engine) recoverPersistent(ctx context.Context, d *driver, fresh bool, info *QueryInfo) error {
	marker, err := d.persist.out.recover(ctx)
	if err != nil {
		return fmt.Errorf("recover output: %w", err)
	}
	if fresh {
		return d.checkpoint(ctx, d.clock.Now())
	}
	return e.restorePersistent(d, marker, info)
}

// launch registers a prepared persistent query and starts its
// supervisor goroutine (which runs the driver, and restarts it after a
// transient failure) under the engine's background ctx.
func (e *Engine) launch(d *driver, info QueryInfo) error {
	qctx, cancel := context.WithCancelCause(e.bg)
	d.q.cancel = cancel
	id := d.persist.id
	e.mu.Lock()
	err := e.registerLocked(d.q, id, info)
	if err == nil {
		e.mu.persistent[id] = &persistentEntry{id: id, kind: d.persist.kind, q: d.q}
	}
	e.mu.Unlock()
	if err != nil {
		cancel(err)
		d.close()
		return err
	}
	go e.supervise(qctx, d)
	return nil
}
