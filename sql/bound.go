package sql

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Relation is a stream or view as the binder sees it.
type Relation struct {
	Name string
	// Schema lists the user columns in order. The pseudo-columns _partition
	// (INT4), _offset (INT8), _timestamp (TIMESTAMPTZ) and _key (BYTEA) are
	// resolvable on streams without being listed here.
	Schema *arrow.Schema
	// IsStream is true for streams (pseudo-columns exist, GROUP BY may
	// hold a window), false for materialized views and system tables, which
	// pull queries read as finite sets of rows.
	IsStream bool
}

// Catalog resolves relation names for the binder. Names arrive as the user
// wrote them after identifier folding (lower-cased unless quoted); a
// schema-qualified name arrives as "schema.name" ("sluice.queries"), except
// that the default schema "public" is dropped.
type Catalog interface {
	// Relation returns the named relation, or ok=false when there is none.
	Relation(name string) (rel *Relation, ok bool)
}

// Query is a bound SELECT: every name resolved, every expression typed,
// implicit casts made explicit.
//
// Scopes: Where and GroupBy expressions (and the window's time column)
// reference input columns with ColumnRef.Index into Input (see Input below).
// When the query aggregates (Aggregates non-empty, or GroupBy/Window set),
// Output, Having and OrderBy reference the aggregate's result with
// GroupRef, AggRef and WindowBound only (a ColumnRef there is a bug).
// Otherwise they reference input columns.
type Query struct {
	// From is the relation read; nil for a SELECT without FROM, which
	// yields one row of constant expressions.
	From *Relation
	// Input lists the columns of From the query reads, in the order
	// ColumnRef.Index refers to; pseudo-columns appear by name ("_offset").
	// It is the decode projection: only these are decoded.
	Input []InputColumn
	Where Expr // nil when absent

	Window  *WindowSpec // nil when GROUP BY has no window function
	GroupBy []Expr      // the non-window group keys
	// Aggregates are the distinct aggregate calls of the select list,
	// HAVING and ORDER BY, in first-appearance order; AggRef.Index points here.
	Aggregates []AggCall

	Output  []OutputColumn
	Having  Expr // nil when absent
	OrderBy []OrderItem
	Limit   int64 // -1 when absent (or when LimitParam is set)
	// LimitParam is set when LIMIT is a parameter ($n, typed INT8); the
	// executor reads the limit from the bound parameter values.
	LimitParam *Param
	Emit       EmitMode
	// NumParams is the number of $n parameters the query uses.
	NumParams int
}

// InputColumn is one column the query reads from its relation.
type InputColumn struct {
	Name string
	Type arrow.DataType
}

// Aggregating reports whether the query groups or aggregates.
func (q *Query) Aggregating() bool {
	return q.Window != nil || len(q.GroupBy) > 0 || len(q.Aggregates) > 0
}

// WindowSpec is TUMBLE(ts, size), HOP(ts, slide, size) or SESSION(ts, gap).
type WindowSpec struct {
	Kind WindowKind
	// TimeCol indexes Query.Input: the event-time column (TIMESTAMP or TIMESTAMPTZ).
	TimeCol int
	Size    time.Duration // TUMBLE and HOP
	Slide   time.Duration // HOP
	Gap     time.Duration // SESSION
}

// AggCall is one aggregate: count(*), count(x), count(DISTINCT x), sum, avg,
// min, max, approx_count_distinct.
type AggCall struct {
	Func     string // lower-case: "count", "sum", "avg", "min", "max", "approx_count_distinct"
	Star     bool   // count(*)
	Distinct bool
	Arg      Expr // nil for count(*); references input columns
	// Type is the result type: count → INT8, sum of integers → INT8,
	// sum of floats → FLOAT8, avg → FLOAT8, min/max → the argument's type.
	Type arrow.DataType
}

// OutputColumn is one column of the result.
type OutputColumn struct {
	Name string
	Expr Expr
}

// OrderItem is one ORDER BY key (applied within each emitted batch).
type OrderItem struct {
	Expr       Expr
	Desc       bool
	NullsFirst bool
}

// Expr is a bound, typed expression. The concrete types below are the whole set.
type Expr interface {
	// Type is the expression's result type.
	Type() arrow.DataType
	// String renders the expression as SQL, for EXPLAIN and errors.
	String() string
	expr()
}

// ColumnRef is an input column, by index into Query.Input.
type ColumnRef struct {
	Index int
	Name  string
	T     arrow.DataType
}

// Literal is a constant. Value is nil (NULL), bool, int64, float64, string,
// []byte, or for TIMESTAMP/TIMESTAMPTZ/DATE an int64 in the type's unit
// (microseconds since the epoch, days for DATE). Integers of every width are
// int64; REAL and DOUBLE are float64; NUMERIC is a decimal128.Num at the
// type's scale; an INTERVAL constant (arrow Duration µs, only as the right
// operand of TIMESTAMP ± INTERVAL) is int64 microseconds, or an Interval
// when it has a month part (the binder lowers those to add_interval).
type Literal struct {
	Value any
	T     arrow.DataType
}

// Param is $n (Index is n-1). Its type is inferred from context (or given by
// the client in Parse); INT8 for arithmetic on integers, TEXT otherwise.
type Param struct {
	Index int
	T     arrow.DataType
}

// Call is an operator or scalar function applied to arguments whose types the
// binder has already unified with explicit Casts. Func is one of:
//
//	arithmetic: "add" "sub" "mul" "div" "mod" "neg"
//	comparison: "eq" "ne" "lt" "le" "gt" "ge"
//	logic:      "and" "or" "not" "is_null" "is_not_null" "is_true" "is_false"
//	set/range:  "in" (args[0] IN args[1:]), "not_in"
//	text:       "like" "not_like" "ilike" "not_ilike" "lower" "upper" "length"
//	            "substring" (str, start[, len]) "concat" (any arity; || is concat)
//	time:       "date_trunc" (unit text literal, ts) "extract" (field text literal, ts) → FLOAT8
//	            "add_interval" (ts, months, µs: INT8 literals) → ts + a calendar interval
//	other:      "coalesce"
//
// BETWEEN is rewritten to (x >= lo AND x <= hi).
type Call struct {
	Func string
	Args []Expr
	T    arrow.DataType
}

// Cast converts Expr to T (CAST(x AS t), x::t, and implicit casts).
type Cast struct {
	Expr Expr
	T    arrow.DataType
}

// Case is CASE WHEN c THEN v … [ELSE e] END (a simple CASE x WHEN … is
// rewritten to searched form). Else is nil for NULL.
type Case struct {
	Whens []When
	Else  Expr
	T     arrow.DataType
}

// When is one WHEN … THEN … arm.
type When struct{ Cond, Then Expr }

// GroupRef is group key i of Query.GroupBy, in the aggregated scope.
type GroupRef struct {
	Index int
	T     arrow.DataType
}

// AggRef is aggregate i of Query.Aggregates, in the aggregated scope.
type AggRef struct {
	Index int
	T     arrow.DataType
}

// WindowBound is window_start (End false) or window_end (End true), TIMESTAMP
// (microseconds, no time zone).
type WindowBound struct{ End bool }

func (e *ColumnRef) Type() arrow.DataType   { return e.T }
func (e *Literal) Type() arrow.DataType     { return e.T }
func (e *Param) Type() arrow.DataType       { return e.T }
func (e *Call) Type() arrow.DataType        { return e.T }
func (e *Cast) Type() arrow.DataType        { return e.T }
func (e *Case) Type() arrow.DataType        { return e.T }
func (e *GroupRef) Type() arrow.DataType    { return e.T }
func (e *AggRef) Type() arrow.DataType      { return e.T }
func (e *WindowBound) Type() arrow.DataType { return typeTimestamp }

func (*ColumnRef) expr()   {}
func (*Literal) expr()     {}
func (*Param) expr()       {}
func (*Call) expr()        {}
func (*Cast) expr()        {}
func (*Case) expr()        {}
func (*GroupRef) expr()    {}
func (*AggRef) expr()      {}
func (*WindowBound) expr() {}
