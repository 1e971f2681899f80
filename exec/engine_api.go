package exec

// Engine and Query (contract; implemented in engine.go, catalog.go,
// driver.go, query.go).
//
//	type Options struct {
//	    Allocator memory.Allocator   // default memory.NewGoAllocator()
//	    Store *state.Store           // required: catalog persistence
//	    Kafka *ingest.Client         // required
//	    BatchInterval time.Duration  // default 1s
//	    CheckpointInterval time.Duration // default 10s
//	    MaxQueries int               // default 256; StartQuery beyond → ErrTooManyQueries
//	    Logger *slog.Logger          // nil = discard
//	    Clock Clock                  // nil = wall clock (idle timeouts, live event time)
//	    ManualTrigger bool           // batches run only inside Query.ProcessAllAvailable (tests, tools)
//	    MaxRecordsPerPartition int64 // per-batch cap on records per partition (0 = none; tests use 1 and 7)
//	}
//	func (o *Options) EnsureDefaults(); func (o *Options) Validate() error
//
//	func NewEngine(ctx context.Context, opts Options) (*Engine, error) // loads the catalog from Store
//	func (e *Engine) Close() error                       // stops every query and waits
//	func (e *Engine) CreateStream(ctx context.Context, def StreamDef, ifNotExists bool) error // creates the topic, persists
//	func (e *Engine) DropStream(ctx context.Context, name string, ifExists bool) error
//	func (e *Engine) Stream(name string) (StreamDef, bool)
//	func (e *Engine) Streams() []StreamDef               // sorted by name
//	func (e *Engine) Insert(ctx context.Context, stream string, rows arrow.RecordBatch) (int64, error) // produces one JSON record per row; rows has the stream's schema; caller keeps ownership
//	func (e *Engine) StartQuery(ctx context.Context, spec *QuerySpec) (*Query, error) // ctx scopes the query's lifetime too
//	func (e *Engine) Queries() []QueryInfo               // running queries and their stats
//
//	func (q *Query) ID() string
//	func (q *Query) Schema() *arrow.Schema
//	// Next blocks until the next micro-batch that emitted rows and returns
//	// its rows (the caller must Release the batch). io.EOF when the query
//	// has ended by LIMIT; ctx errors on cancel; the query's error otherwise.
//	func (q *Query) Next(ctx context.Context) (arrow.RecordBatch, error)
//	func (q *Query) Close() error  // stops the driver goroutine and waits; idempotent
//	func (q *Query) Info() QueryInfo
//	// ProcessAllAvailable runs (or waits for) micro-batches until every
//	// partition's end offset as of the call has been consumed and emitted
//	// (Spark's processAllAvailable).
//	func (q *Query) ProcessAllAvailable(ctx context.Context) error
//	// AdvanceWatermark raises the source watermark to at least t at the next
//	// batch boundary (a punctuation; never lowers it).
//	func (q *Query) AdvanceWatermark(t time.Time)
//
//	type QueryInfo struct { ID, Kind, SQL, State string; StartedAt time.Time; Batches, InputRows,
//	    OutputRows, LateRows, DecodeErrors int64; LastError string; Watermark time.Time; LagRows int64 }
