package exec

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/state"
)

// persistentEntry is one persistent query of the catalog.
type persistentEntry struct {
	id, kind string
	// q is the query, running or ended; nil when it never started (it
	// could not be planned or restored), and then failed is its info and
	// err why.
	q      *Query
	failed QueryInfo
	err    error
}

// View returns the definition of the named materialized view.
func (e *Engine) View(name string) (ViewDef, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	def, ok := e.mu.views[name]
	return def, ok
}

// Views returns every materialized view, sorted by name.
func (e *Engine) Views() []ViewDef {
	e.mu.Lock()
	defs := make([]ViewDef, 0, len(e.mu.views))
	for _, d := range e.mu.views {
		defs = append(defs, d)
	}
	e.mu.Unlock()
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	return defs
}

// Sinks returns every sink, sorted by name.
func (e *Engine) Sinks() []SinkDef {
	e.mu.Lock()
	defs := make([]SinkDef, 0, len(e.mu.sinks))
	for _, d := range e.mu.sinks {
		defs = append(defs, d)
	}
	e.mu.Unlock()
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	return defs
}

func (e *Engine) sink(name string) (SinkDef, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	def, ok := e.mu.sinks[name]
	return def, ok
}

// CreateView persists the definition of a materialized view and starts its
// persistent query (Kind "view", ID "view:<name>") from the stream's start
// ('earliest' or 'latest'). def.SQL is what Resume hands back to its plan
// function (spec.SQL when empty); def.Schema defaults to spec.Output.
// Windowed aggregates of a view always emit on window close. An existing
// view fails with ErrViewExists unless ifNotExists, which makes it a
// no-op; the name of a stream fails with ErrViewExists too.
func (e *Engine) CreateView(ctx context.Context, def ViewDef, spec *QuerySpec, ifNotExists bool) error {
	if def.Name == "" {
		return errors.New("exec: create materialized view: empty name")
	}
	unlock, err := e.lockDDL(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := e.View(def.Name); ok {
		if ifNotExists {
			return nil
		}
		return fmt.Errorf("%w: %q", ErrViewExists, def.Name)
	}
	if _, ok := e.Stream(def.Name); ok {
		return fmt.Errorf("%w: %q is a stream", ErrViewExists, def.Name)
	}
	def.QueryID = viewQueryID(def.Name)
	spec, err = persistentSpec(kindView, def.QueryID, spec)
	if err != nil {
		return fmt.Errorf("exec: create materialized view %q: %w", def.Name, err)
	}
	if def.SQL == "" {
		def.SQL = spec.SQL
	}
	if def.Created.IsZero() {
		def.Created = e.opts.Clock.Now().UTC()
	}
	return e.createPersistent(ctx, spec, nil, func(d *driver) error {
		if def.Schema == nil {
			def.Schema = d.q.schema
		}
		value, err := encodeViewDef(def)
		if err == nil {
			err = e.opts.Store.PutCatalog(catalogKindView, def.Name, value)
		}
		if err != nil {
			return err
		}
		e.mu.Lock()
		e.mu.views[def.Name] = def
		e.mu.Unlock()
		return nil
	})
}

// maxPersistentQueries bounds the views and sinks of an engine: each
// holds a driver goroutine, its state and, for a sink, a Kafka producer.
// CREATE beyond it fails with ErrTooManyQueries (SQLSTATE 53000).
const maxPersistentQueries = 256

// createPersistent starts a new persistent query: it deletes stale state
// of the id (a drop that was cut short), builds the query and writes its
// checkpoint 0, persists the definition with save, and launches it.
func (e *Engine) createPersistent(ctx context.Context, spec *QuerySpec, sink *SinkDef, save func(*driver) error) error {
	e.mu.Lock()
	n := len(e.mu.persistent)
	e.mu.Unlock()
	if n >= maxPersistentQueries {
		return fmt.Errorf("%w: at most %d materialized views and sinks", ErrTooManyQueries, maxPersistentQueries)
	}
	if err := e.deleteQueryData(spec.ID); err != nil {
		return fmt.Errorf("exec: create %s: %w", spec.ID, err)
	}
	d, info, err := e.preparePersistent(ctx, spec, sink, true, nil)
	if err != nil {
		return fmt.Errorf("exec: create %s: %w", spec.ID, err)
	}
	if err := save(d); err != nil {
		d.close()
		return fmt.Errorf("exec: create %s: %w", spec.ID, err)
	}
	return e.launch(d, info)
}

// DropView stops the view's query, removes the view from the catalog and
// deletes its state (checkpoint, offset log, snapshot, stored rows). A
// missing name fails with ErrUnknownView unless ifExists. The query is
// stopped (waiting for a checkpoint in progress) before anything is
// deleted, so a drop never races a checkpoint.
func (e *Engine) DropView(ctx context.Context, name string, ifExists bool) error {
	unlock, err := e.lockDDL(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	def, ok := e.View(name)
	if !ok {
		if ifExists {
			return nil
		}
		return fmt.Errorf("%w: %q", ErrUnknownView, name)
	}
	e.stopPersistent(def.QueryID)
	if err := e.opts.Store.DeleteCatalog(catalogKindView, name); err != nil {
		return fmt.Errorf("exec: drop materialized view %q: %w", name, err)
	}
	e.mu.Lock()
	delete(e.mu.views, name)
	e.mu.Unlock()
	if err := e.deleteQueryData(def.QueryID); err != nil {
		return fmt.Errorf("exec: drop materialized view %q: %w", name, err)
	}
	return nil
}

// stopPersistent cancels the persistent query id (no checkpoint: its
// state is about to be deleted), waits for its driver and forgets it.
func (e *Engine) stopPersistent(id string) {
	e.mu.Lock()
	ent := e.mu.persistent[id]
	delete(e.mu.persistent, id)
	e.mu.Unlock()
	if ent != nil && ent.q != nil {
		_ = ent.q.Close()
	}
}

// deleteQueryData deletes everything stored for the query id, synced.
func (e *Engine) deleteQueryData(id string) error {
	pb := e.opts.Store.NewBatch()
	defer pb.Close()
	pb.DeleteQueryData(id)
	return pb.Commit(true)
}

// persistentSpec returns a copy of spec as the persistent query id of
// kind: no LIMIT, and for a view every windowed aggregate emits on window
// close (closed windows are stored once, final; open ones are read with
// pipeline.current).
func persistentSpec(kind, id string, spec *QuerySpec) (*QuerySpec, error) {
	if spec == nil {
		return nil, errors.New("nil spec")
	}
	if spec.Limit != 0 {
		return nil, errors.New("a persistent query cannot have a LIMIT")
	}
	s := *spec
	s.Kind, s.ID = kind, id
	s.Ops = slices.Clone(spec.Ops)
	for i, op := range s.Ops {
		if a, ok := op.(*WindowAggSpec); ok && kind == kindView && a.Window.Kind != NoWindow && a.Emit != EmitOnClose {
			cp := *a
			cp.Emit = EmitOnClose
			s.Ops[i] = &cp
		}
	}
	return &s, nil
}

// hasRunningAggregate reports whether ops aggregate without a window: a
// view of such a query stores no rows, its contents are the pipeline's
// current values.
func hasRunningAggregate(ops []OpSpec) bool {
	for _, op := range ops {
		if a, ok := op.(*WindowAggSpec); ok && a.Window.Kind == NoWindow {
			return true
		}
	}
	return false
}

// ScanView returns the view's contents: its stored rows, the rows of
// batches since its last checkpoint and the current values of its open
// windows (or, for a running aggregate, of every group), taken between two
// batches. The batches have the view's schema; the caller releases them. A
// view whose query failed returns an error wrapping ErrQueryFailed.
func (e *Engine) ScanView(ctx context.Context, name string) ([]arrow.RecordBatch, error) {
	if err := e.checkOpen(); err != nil {
		return nil, err
	}
	def, ok := e.View(name)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownView, name)
	}
	q, err := e.persistentQuery(def.QueryID)
	if err != nil {
		return nil, err
	}
	req := &scanRequest{reply: make(chan scanReply, 1)}
	select {
	case q.scans <- req:
	case <-q.done:
		return nil, endedErr(q)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	// The driver answers at once, whatever happens next.
	r := <-req.reply
	if r.err != nil {
		return nil, r.err
	}
	stored, err := e.storedViewRows(def.QueryID, r.storedBelow)
	if err != nil {
		releaseAll(r.rows)
		return nil, fmt.Errorf("exec: view %q: %w", name, err)
	}
	return append(stored, r.rows...), nil
}

// persistentQuery returns the query of the persistent query id, or an
// error wrapping ErrQueryFailed when it never started.
func (e *Engine) persistentQuery(id string) (*Query, error) {
	e.mu.Lock()
	ent := e.mu.persistent[id]
	e.mu.Unlock()
	switch {
	case ent == nil:
		return nil, fmt.Errorf("%w: query %s is not running (not resumed)", ErrQueryFailed, id)
	case ent.q == nil:
		return nil, fmt.Errorf("%w: %w", ErrQueryFailed, ent.err)
	}
	return ent.q, nil
}

// endedErr is the error of reading from a persistent query that ended.
func endedErr(q *Query) error {
	<-q.done
	if errors.Is(q.err, ErrClosed) {
		return q.err
	}
	return fmt.Errorf("%w: %w", ErrQueryFailed, q.err)
}

// errStopScan ends a scan early.
var errStopScan = errors.New("stop scan")

// storedViewRows decodes the stored chunks of view query id numbered below
// below; the caller releases the batches.
func (e *Engine) storedViewRows(id string, below uint64) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	err := e.opts.Store.ScanViewRows(id, func(seq uint64, chunk []byte) error {
		if seq >= below {
			return errStopScan
		}
		b, err := decodeIPC(e.opts.Allocator, chunk)
		if err != nil {
			return fmt.Errorf("%w: view rows chunk %d: %w", ErrCorruptState, seq, err)
		}
		out = append(out, b)
		return nil
	})
	if err != nil && !errors.Is(err, errStopScan) {
		releaseAll(out)
		return nil, err
	}
	return out, nil
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}

// CreateSink creates a sink: its output stream out (the topic with
// out.Partitions partitions, and a catalog entry whose schema defaults to
// spec.Output), its marker topic, its catalog entry, and starts its
// persistent query (Kind "sink", ID "sink:<name>"). An existing stream of
// that name fails with ErrStreamExists unless ifNotExists (a no-op). The
// output goes to Options.Kafka's cluster, so out.Brokers must be empty.
func (e *Engine) CreateSink(ctx context.Context, out StreamDef, spec *QuerySpec, ifNotExists bool) error {
	if out.Schema == nil && spec != nil {
		out.Schema = spec.Output
	}
	if out.Schema == nil {
		return fmt.Errorf("exec: create sink %q: the query has no output schema", out.Name)
	}
	if out.Brokers != "" {
		return fmt.Errorf("exec: create sink %q: brokers is not supported for a sink's stream", out.Name)
	}
	out, err := normalizeStreamDef(out)
	if err != nil {
		return err
	}
	unlock, err := e.lockDDL(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := e.Stream(out.Name); ok {
		if ifNotExists {
			return nil
		}
		return fmt.Errorf("%w: %q", ErrStreamExists, out.Name)
	}
	if _, ok := e.View(out.Name); ok {
		return fmt.Errorf("%w: %q is a materialized view", ErrStreamExists, out.Name)
	}
	def := SinkDef{Name: out.Name, SQL: out.SQL, QueryID: sinkQueryID(out.Name), Topic: out.Topic,
		Created: e.opts.Clock.Now().UTC()}
	spec, err = persistentSpec(kindSink, def.QueryID, spec)
	if err != nil {
		return fmt.Errorf("exec: create sink %q: %w", out.Name, err)
	}
	if def.SQL == "" {
		def.SQL = spec.SQL
	}
	if out, err = e.ensureSinkTopics(ctx, out); err != nil {
		return err
	}
	return e.createPersistent(ctx, spec, &def, func(*driver) error {
		return e.saveSink(out, def)
	})
}

// ensureSinkTopics creates the sink's output and marker topics.
func (e *Engine) ensureSinkTopics(ctx context.Context, out StreamDef) (StreamDef, error) {
	if len(e.opts.KafkaOptions.Brokers) == 0 {
		return out, fmt.Errorf("exec: create sink %q: Options.KafkaOptions has no brokers", out.Name)
	}
	n, err := e.opts.Kafka.EnsureTopic(ctx, out.Topic, out.Partitions)
	if err != nil {
		return out, fmt.Errorf("exec: create sink %q: %w", out.Name, err)
	}
	out.Partitions = n
	if _, err := e.opts.Kafka.EnsureTopic(ctx, sinkMarkerTopic(out.Name), 1); err != nil {
		return out, fmt.Errorf("exec: create sink %q marker topic: %w", out.Name, err)
	}
	return out, nil
}

// saveSink persists the sink's output stream and its definition in one
// synced batch, so a crash never leaves one without the other.
func (e *Engine) saveSink(out StreamDef, def SinkDef) error {
	sv, err := encodeStreamDef(out)
	if err != nil {
		return err
	}
	kv, err := encodeSinkDef(def)
	if err != nil {
		return err
	}
	err = e.opts.Store.WriteSynced(func(b *state.Batch) {
		b.SetCatalog(catalogKindStream, out.Name, sv)
		b.SetCatalog(catalogKindSink, def.Name, kv)
	})
	if err != nil {
		return err
	}
	e.mu.Lock()
	e.mu.streams[out.Name] = out
	e.mu.sinks[def.Name] = def
	e.mu.Unlock()
	return nil
}

// DropSink stops the sink's query, removes the sink and its output stream
// from the catalog and deletes its state. The topics and their records
// stay in Kafka. A missing name fails with ErrUnknownStream unless
// ifExists.
func (e *Engine) DropSink(ctx context.Context, name string, ifExists bool) error {
	unlock, err := e.lockDDL(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := e.sink(name); !ok {
		if ifExists {
			return nil
		}
		return fmt.Errorf("%w: sink %q", ErrUnknownStream, name)
	}
	return e.dropSinkLocked(name)
}

// dropSinkLocked drops the sink name; the caller holds ddl.
func (e *Engine) dropSinkLocked(name string) error {
	def, _ := e.sink(name)
	e.stopPersistent(def.QueryID)
	err := e.opts.Store.WriteSynced(func(b *state.Batch) {
		b.DeleteCatalog(catalogKindSink, name)
		b.DeleteCatalog(catalogKindStream, name)
	})
	if err != nil {
		return fmt.Errorf("exec: drop sink %q: %w", name, err)
	}
	e.mu.Lock()
	delete(e.mu.sinks, name)
	delete(e.mu.streams, name)
	e.mu.Unlock()
	if err := e.deleteQueryData(def.QueryID); err != nil {
		return fmt.Errorf("exec: drop sink %q: %w", name, err)
	}
	return nil
}

// Batches returns the latest batches (at most maxBatchHistory per query,
// oldest first) of every query, grouped by query id in id order: the rows
// of sluice.batches.
func (e *Engine) Batches() []BatchInfo {
	qs := e.allQueries()
	slices.SortFunc(qs, func(a, b *Query) int { return strings.Compare(a.id, b.id) })
	var out []BatchInfo
	for _, q := range qs {
		out = append(out, q.stats.history()...)
	}
	return out
}

// allQueries returns the running queries and the ended persistent ones.
func (e *Engine) allQueries() []*Query {
	e.mu.Lock()
	defer e.mu.Unlock()
	qs := make([]*Query, 0, len(e.mu.queries))
	for _, q := range e.mu.queries {
		qs = append(qs, q)
	}
	for id, ent := range e.mu.persistent {
		if ent.q != nil && e.mu.queries[id] != ent.q {
			qs = append(qs, ent.q)
		}
	}
	return qs
}

// PartitionInfo is one partition read by one query: the row of
// sluice.partitions.
type PartitionInfo struct {
	QueryID, Stream string
	Partition       int32
	// NextOffset is the next offset the query reads (after its last batch);
	// EndOffset the partition's end offset now; Lag = EndOffset − NextOffset.
	NextOffset, EndOffset, Lag int64
}

// Partitions returns, for every running query, each partition of its
// stream with the query's next offset and the partition's end offset now,
// sorted by query id and partition.
func (e *Engine) Partitions(ctx context.Context) ([]PartitionInfo, error) {
	e.mu.Lock()
	qs := make([]*Query, 0, len(e.mu.queries))
	for _, q := range e.mu.queries {
		qs = append(qs, q)
	}
	e.mu.Unlock()
	slices.SortFunc(qs, func(a, b *Query) int { return strings.Compare(a.id, b.id) })
	ends := map[string][]int64{}
	var out []PartitionInfo
	for _, q := range qs {
		def, ok := e.Stream(q.stream)
		next := q.next.Load()
		if !ok || next == nil {
			continue
		}
		end, ok := ends[def.Name]
		if !ok {
			kafka, err := e.kafkaFor(ctx, def)
			if err == nil {
				end, err = kafka.EndOffsets(ctx, def.Topic)
			}
			if err != nil {
				return nil, fmt.Errorf("exec: partitions of %q: %w", def.Name, err)
			}
			ends[def.Name] = end
		}
		for p, n := range *next {
			pi := PartitionInfo{QueryID: q.id, Stream: def.Name, Partition: int32(p), NextOffset: n}
			if p < len(end) {
				pi.EndOffset, pi.Lag = end[p], max(end[p]-n, 0)
			}
			out = append(out, pi)
		}
	}
	return out, nil
}

// ProcessAllAvailable runs Query.ProcessAllAvailable on every persistent
// query: when it returns, every view and sink has consumed the records its
// stream held at the call (with Options.ManualTrigger, the only way their
// batches run; for tests and tools). It returns the errors of the queries
// that failed (joined), after running all the others. A query waiting
// to restart after a transient failure is waited for: the call returns
// once it has restarted and caught up (or failed for good).
func (e *Engine) ProcessAllAvailable(ctx context.Context) error {
	e.mu.Lock()
	var qs []*Query
	var errs []error
	for _, ent := range e.mu.persistent {
		if ent.q == nil {
			errs = append(errs, fmt.Errorf("%w: %w", ErrQueryFailed, ent.err))
			continue
		}
		qs = append(qs, ent.q)
	}
	e.mu.Unlock()
	slices.SortFunc(qs, func(a, b *Query) int { return strings.Compare(a.id, b.id) })
	for _, q := range qs {
		if err := q.ProcessAllAvailable(ctx); err != nil {
			errs = append(errs, fmt.Errorf("exec: query %s: %w", q.id, err))
		}
	}
	return errors.Join(errs...)
}
