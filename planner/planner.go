package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// Planner binds, plans and executes statements against one engine.
type Planner struct {
	eng *exec.Engine
	mem memory.Allocator
}

// New returns a planner over eng. Finite results (SHOW, DESCRIBE, EXPLAIN,
// INSERT rows) are allocated with the engine's allocator.
func New(eng *exec.Engine) *Planner {
	return &Planner{eng: eng, mem: eng.Allocator()}
}

// Prepared is a bound statement, ready to Execute any number of times.
type Prepared struct {
	Stmt sql.Statement
	// Params are the types of $1…$n, declared by the client or inferred.
	Params []arrow.DataType
	// Schema describes the result rows; nil for statements without rows.
	Schema *arrow.Schema
	// Tag is the CommandComplete verb: "SELECT", "CREATE STREAM", "SHOW", …
	Tag string
	// Continuous is true when the result is an unending stream of micro-batches.
	Continuous bool

	query   *sql.Query      // SELECT and EXPLAIN
	stream  *exec.StreamDef // CREATE STREAM
	insert  *insertPlan     // INSERT
	persist *persistPlan    // CREATE MATERIALIZED VIEW, CREATE STREAM … AS SELECT
}

// Result is what Execute produced: a command tag, finite rows, or a stream.
type Result struct {
	// Tag is the full CommandComplete tag for commands ("CREATE STREAM",
	// "INSERT 0 3"); for row results the server appends the row count.
	Tag string
	// Schema is the row schema; nil when there are no rows.
	Schema *arrow.Schema
	// Rows is a finite result. The caller must Release each batch.
	Rows []arrow.RecordBatch
	// Stream is a continuous result. The caller must Close it.
	Stream Stream
}

// Stream is a continuous result; *exec.Query implements it.
type Stream interface {
	Schema() *arrow.Schema
	// Next blocks for the next micro-batch's rows, which the caller must
	// Release; io.EOF when the query ended by LIMIT.
	Next(ctx context.Context) (arrow.RecordBatch, error)
	Close() error
}

var _ Stream = (*exec.Query)(nil)

// Prepare binds and plans one statement. paramTypes are the client's
// declared parameter types (nil entries mean infer). It does no I/O and
// starts nothing. Errors are *sql.Error or wrap exec sentinels.
func (p *Planner) Prepare(stmt sql.Statement, paramTypes []arrow.DataType) (*Prepared, error) {
	prep := &Prepared{Stmt: stmt}
	var err error
	switch s := stmt.(type) {
	case *sql.Select:
		err = p.prepareSelect(prep, s, paramTypes)
	case *sql.CatalogSelect:
		err = p.prepareCatalog(context.Background(), prep, s, paramTypes)
	case *sql.Explain:
		prep.Tag = "EXPLAIN"
		prep.Schema = explainSchema
		prep.query, err = sql.Bind(p.catalog(), s.Query, paramTypes)
		if err == nil {
			err = p.checkQuery(prep.query)
		}
		if err == nil {
			prep.Params = paramsOf(prep.query, paramTypes)
		}
	case *sql.CreateStream:
		err = p.prepareCreateStream(prep, s)
	case *sql.DropStream:
		prep.Tag = "DROP STREAM"
	case *sql.Insert:
		err = p.prepareInsert(prep, s)
	case *sql.Show:
		err = p.prepareShow(prep, s)
	case *sql.Describe:
		prep.Tag = "DESCRIBE"
		prep.Schema = describeSchema
		if _, ok := p.catalog().Relation(s.Name); !ok {
			err = sql.Errorf(sql.CodeUndefinedTable, "relation %q does not exist", s.Name)
		}
	case *sql.CreateView:
		prep.Tag = "CREATE MATERIALIZED VIEW"
		prep.persist, err = p.planView(s)
	case *sql.DropView:
		prep.Tag = "DROP MATERIALIZED VIEW"
	default:
		err = sql.Errorf(sql.CodeFeatureNotSupported, "statement %T is not supported here", stmt)
	}
	if err != nil {
		return nil, err
	}
	return prep, nil
}

// Execute runs a prepared statement. params hold one Go value per $n (nil,
// bool, int64, float64, string, []byte; int64 µs for timestamps), already
// converted to prep.Params' types.
func (p *Planner) Execute(ctx context.Context, prep *Prepared, params []any) (*Result, error) {
	switch s := prep.Stmt.(type) {
	case *sql.Select:
		return p.executeSelect(ctx, prep, params)
	case *sql.CatalogSelect:
		return p.executeCatalog(ctx, prep, s, params)
	case *sql.Explain:
		return p.executeExplain(prep, params)
	case *sql.CreateStream:
		return p.executeCreateStream(ctx, prep, s)
	case *sql.DropStream:
		return p.executeDropStream(ctx, s)
	case *sql.CreateView:
		return p.executeCreateView(ctx, s, prep.persist)
	case *sql.DropView:
		if err := p.eng.DropView(ctx, s.Name, s.IfExists); err != nil {
			return nil, fmt.Errorf("drop materialized view %s: %w", s.Name, err)
		}
		return &Result{Tag: "DROP MATERIALIZED VIEW"}, nil
	case *sql.Insert:
		return p.executeInsert(ctx, prep)
	case *sql.Show:
		return p.executeShow(prep, s)
	case *sql.Describe:
		return p.executeDescribe(s)
	}
	return nil, sql.Errorf(sql.CodeFeatureNotSupported, "statement %T is not supported here", prep.Stmt)
}

// paramsOf returns the final parameter types of a bound query: the
// client's where given, else what the binder inferred.
func paramsOf(q *sql.Query, declared []arrow.DataType) []arrow.DataType {
	out := make([]arrow.DataType, q.NumParams)
	for i := range out {
		if i < len(declared) && declared[i] != nil {
			out[i] = declared[i]
		}
	}
	collectParams(q, out)
	for i := range out {
		if out[i] == nil {
			out[i] = arrow.BinaryTypes.String
		}
	}
	return out
}
