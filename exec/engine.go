package exec

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/ingest"
)

// Engine holds the catalog (streams, materialized views, sinks) and runs
// continuous queries: push queries started by StartQuery and persistent
// queries (views and sinks, persist_engine.go).
//
// Goroutines: the engine starts none itself; each Query owns one driver
// goroutine. The engine owns the set of running queries: Close stops every
// one and waits for it. A push query that ends by itself removes itself; a
// persistent query stays listed (failed, with its error) until dropped.
// Persistent queries run under the engine's background ctx, which Close
// cancels once they have stopped.
//
// The engine does not own Options.Store or Options.Kafka: close them after
// the engine. It does own the Kafka clients it opens for streams declared
// with their own brokers, and closes them in Close.
type Engine struct {
	opts Options
	log  *slog.Logger

	// bg scopes the persistent queries; bgCancel ends it in Close.
	bg       context.Context
	bgCancel context.CancelCauseFunc

	// ddl serialises the catalog changes (CreateStream, DropStream,
	// CreateView, DropView, CreateSink, DropSink, Resume), each of which
	// must check the catalog, do its I/O and persist as one step. It is
	// held across that I/O; mu is not.
	ddl sync.Mutex
	// mu guards the fields in it.
	mu struct {
		sync.Mutex
		closed  bool
		streams map[string]StreamDef
		views   map[string]ViewDef
		sinks   map[string]SinkDef
		// queries are the running queries, by id.
		queries map[string]*Query
		// persistent are the persistent queries of the catalog's views
		// and sinks, by id, running or not (failed, or not resumed yet).
		persistent map[string]*persistentEntry
		nextID     int64
		// clients are Kafka clients for streams with their own brokers,
		// by broker list.
		clients map[string]*ingest.Client
	}
}

// NewEngine validates opts and loads the stream catalog from opts.Store.
// ctx is used only while loading. The caller must Close the engine.
func NewEngine(ctx context.Context, opts Options) (*Engine, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Spilled window state belongs to running query instances: none runs yet.
	if err := opts.Store.DeleteAllSpill(); err != nil {
		return nil, fmt.Errorf("exec: clear spilled window state: %w", err)
	}
	e := &Engine{opts: opts, log: opts.Logger}
	e.bg, e.bgCancel = context.WithCancelCause(context.Background())
	e.mu.streams = make(map[string]StreamDef)
	e.mu.views = make(map[string]ViewDef)
	e.mu.sinks = make(map[string]SinkDef)
	e.mu.queries = make(map[string]*Query)
	e.mu.persistent = make(map[string]*persistentEntry)
	e.mu.clients = make(map[string]*ingest.Client)
	if err := e.loadCatalog(); err != nil {
		e.bgCancel(err)
		return nil, err
	}
	return e, nil
}

// loadCatalog reads the streams, views and sinks of opts.Store.
func (e *Engine) loadCatalog() error {
	streams, err := e.opts.Store.ListCatalog(catalogKindStream)
	if err != nil {
		return fmt.Errorf("exec: load stream catalog: %w", err)
	}
	for _, ent := range streams {
		def, err := decodeStreamDef(ent.Value)
		if err != nil {
			return fmt.Errorf("exec: load stream catalog entry %q: %w", ent.Name, err)
		}
		e.mu.streams[def.Name] = def
	}
	views, err := e.opts.Store.ListCatalog(catalogKindView)
	if err != nil {
		return fmt.Errorf("exec: load view catalog: %w", err)
	}
	for _, ent := range views {
		def, err := decodeViewDef(ent.Value)
		if err != nil {
			return fmt.Errorf("exec: load view catalog entry %q: %w", ent.Name, err)
		}
		e.mu.views[def.Name] = def
	}
	sinks, err := e.opts.Store.ListCatalog(catalogKindSink)
	if err != nil {
		return fmt.Errorf("exec: load sink catalog: %w", err)
	}
	for _, ent := range sinks {
		def, err := decodeSinkDef(ent.Value)
		if err != nil {
			return fmt.Errorf("exec: load sink catalog entry %q: %w", ent.Name, err)
		}
		e.mu.sinks[def.Name] = def
	}
	return nil
}

// Close stops every running query and waits for their goroutines, then
// closes the Kafka clients the engine opened. Persistent queries stop
// gracefully, all at once: each finishes its running batch, checkpoints
// (committing a sink's Kafka transaction) and stops; one that takes longer
// than gracefulStopTimeout is cancelled without a final checkpoint (its
// next start replays from the previous one). Push queries are cancelled.
// Later calls of other methods fail with ErrClosed. Close is idempotent.
func (e *Engine) Close() error {
	e.mu.Lock()
	e.mu.closed = true
	queries := make([]*Query, 0, len(e.mu.queries))
	for _, q := range e.mu.queries {
		queries = append(queries, q)
	}
	clients := e.mu.clients
	e.mu.clients = map[string]*ingest.Client{}
	e.mu.Unlock()
	timeout := gracefulStopTimeout
	if e.opts.private.stopTimeout > 0 {
		timeout = e.opts.private.stopTimeout
	}
	var wg sync.WaitGroup
	var errs []error
	for _, q := range queries {
		if q.stopping != nil {
			wg.Go(func() { q.stop(timeout) })
			continue
		}
		errs = append(errs, q.Close())
	}
	wg.Wait()
	e.bgCancel(fmt.Errorf("engine: %w", ErrClosed))
	for _, c := range clients {
		c.Close()
	}
	return errors.Join(errs...)
}

// Allocator returns the allocator every batch of this engine comes from;
// the planner builds its finite results (SHOW, INSERT rows) with it.
func (e *Engine) Allocator() memory.Allocator { return e.opts.Allocator }

// Stream returns the definition of the named stream.
func (e *Engine) Stream(name string) (StreamDef, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	def, ok := e.mu.streams[name]
	return def, ok
}

// Streams returns every stream, sorted by name.
func (e *Engine) Streams() []StreamDef {
	e.mu.Lock()
	defs := make([]StreamDef, 0, len(e.mu.streams))
	for _, d := range e.mu.streams {
		defs = append(defs, d)
	}
	e.mu.Unlock()
	sort.Slice(defs, func(i, j int) bool { return defs[i].Name < defs[j].Name })
	return defs
}

// CreateStream declares a stream: it fills def's defaults, validates it,
// creates the topic with def.Partitions partitions if it does not exist and
// persists the definition (with the topic's actual partition count). An
// existing name fails with ErrStreamExists unless ifNotExists, which makes
// it a no-op.
func (e *Engine) CreateStream(ctx context.Context, def StreamDef, ifNotExists bool) error {
	def, err := normalizeStreamDef(def)
	if err != nil {
		return err
	}
	unlock, err := e.lockDDL(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := e.Stream(def.Name); ok {
		if ifNotExists {
			return nil
		}
		return fmt.Errorf("%w: %q", ErrStreamExists, def.Name)
	}
	if _, ok := e.View(def.Name); ok {
		return fmt.Errorf("%w: %q is a materialized view", ErrStreamExists, def.Name)
	}
	kafka, err := e.kafkaFor(ctx, def)
	if err != nil {
		return err
	}
	n, err := kafka.EnsureTopic(ctx, def.Topic, def.Partitions)
	if err != nil {
		return fmt.Errorf("exec: create stream %q: %w", def.Name, err)
	}
	def.Partitions = n
	value, err := encodeStreamDef(def)
	if err != nil {
		return fmt.Errorf("exec: create stream %q: %w", def.Name, err)
	}
	if err := e.opts.Store.PutCatalog(catalogKindStream, def.Name, value); err != nil {
		return fmt.Errorf("exec: create stream %q: %w", def.Name, err)
	}
	e.mu.Lock()
	e.mu.streams[def.Name] = def
	e.mu.Unlock()
	return nil
}

// DropStream removes a stream from the catalog; its topic and records stay
// in Kafka. A missing name fails with ErrUnknownStream unless ifExists.
// Queries reading the stream are not refused: each fails at its next batch
// with an error wrapping ErrUnknownStream. Dropping a sink's output stream
// drops the sink (DropSink).
func (e *Engine) DropStream(ctx context.Context, name string, ifExists bool) error {
	unlock, err := e.lockDDL(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	if _, ok := e.Stream(name); !ok {
		if ifExists {
			return nil
		}
		return fmt.Errorf("%w: %q", ErrUnknownStream, name)
	}
	if _, ok := e.sink(name); ok {
		return e.dropSinkLocked(name)
	}
	if err := e.opts.Store.DeleteCatalog(catalogKindStream, name); err != nil {
		return fmt.Errorf("exec: drop stream %q: %w", name, err)
	}
	e.mu.Lock()
	delete(e.mu.streams, name)
	e.mu.Unlock()
	return nil
}

// Insert produces one JSON record per row of rows to the stream's topic,
// spread round-robin over its partitions, and returns the number of records
// produced once all are acknowledged. rows must have the stream's column
// types in order (names are taken from the stream); the caller keeps
// ownership of rows.
func (e *Engine) Insert(ctx context.Context, stream string, rows arrow.RecordBatch) (int64, error) {
	if err := e.checkOpen(); err != nil {
		return 0, err
	}
	def, ok := e.Stream(stream)
	if !ok {
		return 0, fmt.Errorf("%w: %q", ErrUnknownStream, stream)
	}
	if err := checkOutput(rows.Schema(), def.Schema); err != nil {
		return 0, fmt.Errorf("exec: insert into %q: %w", stream, err)
	}
	named := array.NewRecordBatch(def.Schema, rows.Columns(), rows.NumRows())
	defer named.Release()
	recs := make([]*ingest.Record, named.NumRows())
	now := e.opts.Clock.Now()
	for i := range recs {
		recs[i] = &ingest.Record{Partition: -1, Timestamp: now, Value: ingest.EncodeJSON(named, i, nil)}
	}
	kafka, err := e.kafkaFor(ctx, def)
	if err != nil {
		return 0, err
	}
	if err := kafka.Produce(ctx, def.Topic, recs); err != nil {
		return 0, fmt.Errorf("exec: insert into %q: %w", stream, err)
	}
	return int64(len(recs)), nil
}

// Queries returns the info of every running query and of every
// persistent query (running or not: a failed one shows its state and
// last error), sorted by id.
func (e *Engine) Queries() []QueryInfo {
	e.mu.Lock()
	qs := make([]*Query, 0, len(e.mu.queries))
	for _, q := range e.mu.queries {
		qs = append(qs, q)
	}
	var infos []QueryInfo
	for id, ent := range e.mu.persistent {
		switch {
		case ent.q == nil:
			infos = append(infos, ent.failed)
		case e.mu.queries[id] != ent.q:
			qs = append(qs, ent.q)
		}
	}
	e.mu.Unlock()
	for _, q := range qs {
		infos = append(infos, q.Info())
	}
	slices.SortFunc(infos, func(a, b QueryInfo) int { return strings.Compare(a.ID, b.ID) })
	return infos
}

// lockDDL takes the DDL lock once the engine is open and ctx is live, so
// that every CREATE and DROP checks the same things before it starts; the
// caller must call unlock.
func (e *Engine) lockDDL(ctx context.Context) (unlock func(), err error) {
	e.ddl.Lock()
	if err := e.checkOpen(); err != nil {
		e.ddl.Unlock()
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		e.ddl.Unlock()
		return nil, err
	}
	return e.ddl.Unlock, nil
}

func (e *Engine) checkOpen() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mu.closed {
		return fmt.Errorf("engine: %w", ErrClosed)
	}
	return nil
}

// kafkaFor returns the client for def: Options.Kafka, or for a stream
// with its own brokers a client the engine opens on first use and keeps
// until Close.
func (e *Engine) kafkaFor(ctx context.Context, def StreamDef) (*ingest.Client, error) {
	if def.Brokers == "" {
		return e.opts.Kafka, nil
	}
	e.mu.Lock()
	c, ok := e.mu.clients[def.Brokers]
	e.mu.Unlock()
	if ok {
		return c, nil
	}
	brokers := strings.Split(def.Brokers, ",")
	for i := range brokers {
		brokers[i] = strings.TrimSpace(brokers[i])
	}
	c, err := ingest.NewClient(ctx, ingest.Options{Brokers: brokers, Logger: e.log})
	if err != nil {
		return nil, fmt.Errorf("exec: stream %q brokers: %w", def.Name, err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if prev, ok := e.mu.clients[def.Brokers]; ok { // lost a race: use the first
		c.Close()
		return prev, nil
	}
	if e.mu.closed {
		c.Close()
		return nil, fmt.Errorf("engine: %w", ErrClosed)
	}
	e.mu.clients[def.Brokers] = c
	return c, nil
}

// StartQuery validates and builds spec and starts its driver goroutine.
// The query runs until LIMIT, an error, Query.Close, engine Close, or the
// end of ctx, which therefore scopes the query's lifetime too. The caller
// must Close the returned Query. Beyond Options.MaxQueries running queries
// it fails with ErrTooManyQueries.
func (e *Engine) StartQuery(ctx context.Context, spec *QuerySpec) (*Query, error) {
	if spec == nil {
		return nil, errors.New("exec: start query: nil spec")
	}
	def, ok := e.Stream(spec.Source.Stream)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrUnknownStream, spec.Source.Stream)
	}
	if spec.Limit < 0 {
		return nil, fmt.Errorf("exec: start query: negative limit %d", spec.Limit)
	}
	if spec.Kind != "" && spec.Kind != kindPush {
		return nil, fmt.Errorf("exec: start query: kind %q is started by CreateView or CreateSink", spec.Kind)
	}
	d, err := e.newDriver(ctx, spec, def)
	if err != nil {
		return nil, fmt.Errorf("exec: start query: %w", err)
	}
	// The query must be closable (cancel set) before it is registered,
	// where Engine.Close can see it.
	qctx, cancel := context.WithCancelCause(ctx)
	d.q.cancel = cancel
	info := QueryInfo{Kind: d.q.kind, SQL: spec.SQL, State: StateRunning, StartedAt: e.opts.Clock.Now()}
	if err := e.register(d.q, spec.ID, info); err != nil {
		cancel(err)
		d.src.close()
		d.pipe.close()
		return nil, err
	}
	go d.run(qctx)
	return d.q, nil
}

// newDriver builds the source, watermark and operators of spec.
func (e *Engine) newDriver(ctx context.Context, spec *QuerySpec, def StreamDef) (*driver, error) {
	kafka, err := e.kafkaFor(ctx, def)
	if err != nil {
		return nil, err
	}
	// µs: the precision a checkpoint keeps, so a restored query sees the same.
	wm, err := newWatermarker(spec.Source, def.IdleTimeout, time.UnixMicro(e.opts.Clock.Now().UnixMicro()))
	if err != nil {
		return nil, err
	}
	pipe, err := newPipeline(e.opts.Allocator, e.opts.private.buildOperator, spec.Ops, arrow.NewSchema(spec.Source.Columns, nil), spec.Output)
	if err != nil {
		return nil, err
	}
	pipe.enableSpill(e.opts.Store, newSpillID(spec.ID), e.opts.StateMemoryBudget)
	src, err := newSource(e.opts.Allocator, kafka, def, spec.Source, e.opts.MaxRecordsPerPartition, e.opts.MaxBatchRecords, e.opts.BatchInterval)
	if err != nil {
		pipe.close()
		return nil, err
	}
	if err := src.init(ctx); err != nil {
		src.close()
		pipe.close()
		return nil, err
	}
	kind := spec.Kind
	if kind == "" {
		kind = kindPush
	}
	q := &Query{kind: kind, schema: pipe.out, done: make(chan struct{}),
		out: newOutbox(), reqs: make(chan *catchUpRequest), stream: def.Name}
	q.punct.Store(noWatermark)
	next := slices.Clone(src.next)
	q.next.Store(&next)
	return &driver{
		q: q, eng: e, stream: def.Name, clock: e.opts.Clock, log: e.log,
		src: src, wm: wm, pipe: pipe, manual: e.opts.ManualTrigger,
		interval: e.opts.BatchInterval, limit: spec.Limit,
	}, nil
}

// register assigns q its id (id, or the next free "q<n>" when empty),
// initialises its stats with info and adds it to the running set,
// enforcing MaxQueries.
func (e *Engine) register(q *Query, id string, info QueryInfo) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.registerLocked(q, id, info)
}

// registerLocked is register with e.mu held.
func (e *Engine) registerLocked(q *Query, id string, info QueryInfo) error {
	switch {
	case e.mu.closed:
		return fmt.Errorf("engine: %w", ErrClosed)
	case q.kind == kindPush && e.pushQueriesLocked() >= e.opts.MaxQueries:
		return fmt.Errorf("%w (%d)", ErrTooManyQueries, e.opts.MaxQueries)
	}
	if id == "" {
		for id == "" || e.mu.queries[id] != nil {
			e.mu.nextID++
			id = fmt.Sprintf("q%d", e.mu.nextID)
		}
	} else if e.mu.queries[id] != nil {
		return fmt.Errorf("exec: start query: id %q is already running", id)
	}
	q.id, info.ID = id, id
	q.stats.init(info)
	e.mu.queries[id] = q
	return nil
}

// pushQueriesLocked counts the running push queries: MaxQueries bounds
// those (client sessions), not the catalog's persistent queries.
func (e *Engine) pushQueriesLocked() int {
	n := 0
	for _, q := range e.mu.queries {
		if q.kind == kindPush {
			n++
		}
	}
	return n
}

// forget removes an ended query from the running set.
func (e *Engine) forget(q *Query) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.mu.queries[q.id] == q {
		delete(e.mu.queries, q.id)
	}
}
