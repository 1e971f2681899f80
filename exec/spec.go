package exec

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// StreamDef is a declared stream: a Kafka topic and the schema its JSON
// records decode to. The engine persists it in the catalog.
type StreamDef struct {
	Name string
	// Schema lists the user columns in order. Field metadata key "sql_type"
	// keeps the SQL type name (e.g. "character varying") for catalogs.
	Schema     *arrow.Schema
	Topic      string
	Partitions int32  // created with this many partitions when missing (default 1)
	Format     string // "json"
	// WatermarkColumn names the event-time column of WATERMARK FOR ("" none);
	// watermark = max(event time seen) - WatermarkDelay.
	WatermarkColumn string
	WatermarkDelay  time.Duration
	Start           string // "earliest" (default) or "latest": where new queries begin
	Brokers         string // optional per-stream bootstrap list ("" = the server's)
	IdleTimeout     time.Duration
	// MaxRatePerPartition caps records per partition per second of batch interval (0 = no cap).
	MaxRatePerPartition int64
	OnDecodeError       string // "skip" (default) or "fail"
	// SQL is the statement that created the stream, for SHOW and catalogs.
	SQL string
}

// QuerySpec is a physical micro-batch plan built by the planner.
//
// Each micro-batch reads an exact offset range per partition of the source
// stream, decodes the Source.Columns into one Arrow record batch whose
// schema is InputSchema, then passes it through Ops in order. The result of
// the last op has schema Output.
type QuerySpec struct {
	ID  string // assigned by the engine when empty
	SQL string
	// Kind is "push", "view" or "sink".
	Kind   string
	Source SourceSpec
	Ops    []OpSpec
	Output *arrow.Schema
	// Limit ends the query after this many output rows (0 = no limit).
	Limit int64
}

// SourceSpec says what to read and decode.
type SourceSpec struct {
	Stream string
	// Columns are the fields to decode, in order; pseudo-columns
	// "_partition" (int32), "_offset" (int64), "_timestamp" (timestamp us UTC)
	// and "_key" (binary) are allowed. Column i of the decoded batch is
	// Columns[i].
	Columns []arrow.Field
	// EventTimeCol indexes Columns: the column whose max drives the watermark
	// (-1: the stream has no event time and the watermark stays at -inf).
	EventTimeCol   int
	WatermarkDelay time.Duration
}

// OpSpec is one operator of a plan. The concrete types are FilterSpec,
// ProjectSpec, WindowAggSpec and SortSpec.
type OpSpec interface{ opSpec() }

// FilterSpec keeps the rows where Pred is true (NULL and false drop).
type FilterSpec struct{ Pred Expr }

// ProjectSpec computes Exprs over its input; the output columns are named Names.
type ProjectSpec struct {
	Exprs []Expr
	Names []string
}

// EmitMode says when an aggregate emits.
type EmitMode int

// Emit modes.
const (
	// EmitOnClose emits each window once, when watermark >= window end, and frees it.
	EmitOnClose EmitMode = iota
	// EmitChanges emits, after every micro-batch, the current value of each
	// (window, group) that changed in that batch.
	EmitChanges
)

// WindowKind is the window shape.
type WindowKind int

// Window kinds.
const (
	NoWindow WindowKind = iota // running aggregate (EmitChanges only)
	Tumble
	Hop
	Session
)

// WindowSpec describes window assignment. TimeCol indexes the input batch.
type WindowSpec struct {
	Kind    WindowKind
	TimeCol int
	Size    time.Duration
	Slide   time.Duration
	Gap     time.Duration
}

// AggSpec is one aggregate function.
type AggSpec struct {
	// Func: "count_star", "count", "sum", "avg", "min", "max", "approx_count_distinct".
	Func     string
	Distinct bool
	Arg      Expr // nil for count_star
	Type     arrow.DataType
}

// WindowAggSpec assigns windows and aggregates by (window, Keys). Its output
// schema is: window_start, window_end (timestamp us, no zone; omitted when
// Window.Kind is NoWindow), then one column per key named key0…, then one per
// aggregate named agg0….
type WindowAggSpec struct {
	Window WindowSpec
	Keys   []Expr
	Aggs   []AggSpec
	Emit   EmitMode
}

// SortSpec sorts the rows of each emitted batch (ORDER BY within a batch).
type SortSpec struct{ Keys []SortKey }

// SortKey is one sort column.
type SortKey struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool
}

func (*FilterSpec) opSpec()    {}
func (*ProjectSpec) opSpec()   {}
func (*WindowAggSpec) opSpec() {}
func (*SortSpec) opSpec()      {}
