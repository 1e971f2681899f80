package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// Persistent queries: CREATE MATERIALIZED VIEW and CREATE STREAM … AS
// SELECT (a Kafka sink) run their SELECT as a query the engine owns, with
// the stable id "view:<name>" / "sink:<name>". The engine stores the
// statement's text and, when the server restarts, asks PlanPersistent to
// plan it again from that text.

// Persistent query kinds, as in exec.QuerySpec.Kind.
const (
	kindView = "view"
	kindSink = "sink"
)

// persistPlan is a planned CREATE MATERIALIZED VIEW or CREATE STREAM … AS SELECT.
type persistPlan struct {
	view *exec.ViewDef   // CREATE MATERIALIZED VIEW
	out  *exec.StreamDef // CREATE STREAM … AS SELECT: the sink's output stream
	spec *exec.QuerySpec
}

// PlanPersistent plans the stored view or sink name of kind "view" or
// "sink" from the text of the statement that created it. Engine.Resume
// calls it for every persistent query in the catalog; the plan must be the
// one CREATE made, or the query's stored state will not restore.
func (p *Planner) PlanPersistent(kind, name, sqlText string) (*exec.QuerySpec, error) {
	stmts, err := sql.NewParser().Parse(sqlText)
	if err != nil {
		return nil, fmt.Errorf("plan %s %s: %w", kind, name, err)
	}
	if len(stmts) != 1 {
		return nil, fmt.Errorf("plan %s %s: stored SQL holds %d statements, want 1", kind, name, len(stmts))
	}
	var plan *persistPlan
	switch s := stmts[0].(type) {
	case *sql.CreateView:
		if kind == kindView && s.Name == name {
			plan, err = p.planView(s)
		}
	case *sql.CreateStream:
		if kind == kindSink && s.Name == name && s.As != nil {
			plan, err = p.planSink(s)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("plan %s %s: %w", kind, name, err)
	}
	if plan == nil {
		return nil, fmt.Errorf("plan %s %s: stored SQL is not its CREATE statement: %q", kind, name, sqlText)
	}
	return plan.spec, nil
}

// bindPersistent binds the SELECT of a persistent query and refuses what a
// query that runs forever on its own cannot have.
func (p *Planner) bindPersistent(what string, sel *sql.Select) (*sql.Query, error) {
	q, err := sql.Bind(p.catalog(), sel, nil)
	if err != nil {
		return nil, err
	}
	switch {
	case q.From == nil || !q.From.IsStream:
		return nil, sql.Errorf(sql.CodeFeatureNotSupported, "not supported: %s that does not read a stream", what)
	case q.Limit >= 0 || q.LimitParam != nil:
		return nil, sql.Errorf(sql.CodeFeatureNotSupported, "not supported: LIMIT in %s", what)
	case q.NumParams > 0:
		return nil, sql.Errorf(sql.CodeFeatureNotSupported, "not supported: parameters in %s", what)
	}
	if err := p.checkQuery(q); err != nil {
		return nil, err
	}
	// Rows are stored or written, not delivered in order: ORDER BY within
	// a micro-batch would mean nothing to a reader.
	q.OrderBy = nil
	return q, checkColumnNames(outputSchema(q))
}

// checkColumnNames refuses output columns a relation cannot have: the
// same name twice, or a stream pseudo-column's name.
func checkColumnNames(schema *arrow.Schema) error {
	seen := map[string]bool{}
	for _, f := range schema.Fields() {
		if seen[f.Name] {
			return &sql.Error{Code: sql.CodeDuplicateColumn,
				Message: fmt.Sprintf("column %q specified more than once", f.Name),
				Hint:    "give the select-list expressions distinct names with AS."}
		}
		if pseudoColumns[f.Name] {
			return sql.Errorf(sql.CodeDuplicateColumn, "column name %q conflicts with a system column name", f.Name)
		}
		seen[f.Name] = true
	}
	return nil
}

// planView plans CREATE MATERIALIZED VIEW. A windowed view always emits on
// window close: each closed window is stored once, final, while open
// windows are read from the running query's state.
func (p *Planner) planView(s *sql.CreateView) (*persistPlan, error) {
	q, err := p.bindPersistent("a materialized view", s.As)
	if err != nil {
		return nil, err
	}
	if q.Window != nil {
		q.Emit = sql.EmitOnWindowClose
	}
	spec, err := p.buildSpec(nil, q, nil)
	if err != nil {
		return nil, err
	}
	id := kindView + ":" + s.Name
	spec.ID, spec.Kind, spec.SQL = id, kindView, s.Text()
	def := &exec.ViewDef{Name: s.Name, SQL: s.Text(), QueryID: id, Schema: spec.Output}
	return &persistPlan{view: def, spec: spec}, nil
}

// planSink plans CREATE STREAM name [WITH (…)] AS SELECT: the output
// stream's columns are the query's, with their SQL types.
func (p *Planner) planSink(s *sql.CreateStream) (*persistPlan, error) {
	if len(s.Columns) > 0 || s.Watermark != nil {
		return nil, sql.Errorf(sql.CodeFeatureNotSupported,
			"not supported: a column list in CREATE STREAM … AS SELECT (name the columns in the select list)")
	}
	q, err := p.bindPersistent("CREATE STREAM … AS SELECT", s.As)
	if err != nil {
		return nil, err
	}
	spec, err := p.buildSpec(nil, q, nil)
	if err != nil {
		return nil, err
	}
	schema, err := sinkSchema(spec.Output)
	if err != nil {
		return nil, err
	}
	out := &exec.StreamDef{Name: s.Name, Schema: schema, Topic: s.Name, Partitions: 1,
		Format: "json", Start: "earliest", OnDecodeError: "skip", SQL: s.Text()}
	if err := applyStreamOptions(out, s.With); err != nil {
		return nil, err
	}
	id := kindSink + ":" + s.Name
	spec.ID, spec.Kind, spec.SQL = id, kindSink, s.Text()
	return &persistPlan{out: out, spec: spec}, nil
}

// sinkSchema gives every output column its SQL type name, as a declared
// stream column has, and refuses types a stream cannot hold.
func sinkSchema(out *arrow.Schema) (*arrow.Schema, error) {
	fields := make([]arrow.Field, out.NumFields())
	for i, f := range out.Fields() {
		switch f.Type.ID() {
		case arrow.BOOL, arrow.INT16, arrow.INT32, arrow.INT64, arrow.FLOAT32, arrow.FLOAT64,
			arrow.STRING, arrow.BINARY, arrow.DATE32, arrow.TIMESTAMP, arrow.DECIMAL128:
		default:
			return nil, sql.Errorf(sql.CodeFeatureNotSupported,
				"not supported: column %q of type %s in a stream", f.Name, sql.PGTypeName(f.Type))
		}
		f.Nullable = true
		if f.Metadata.FindKey(sql.SQLTypeKey) < 0 {
			f.Metadata = arrow.NewMetadata([]string{sql.SQLTypeKey}, []string{sql.PGTypeName(f.Type)})
		}
		fields[i] = f
	}
	return arrow.NewSchema(fields, nil), nil
}

// executeCreateView creates the view and starts its query. A stream of the
// same name counts as an existing relation: views never shadow streams.
func (p *Planner) executeCreateView(ctx context.Context, s *sql.CreateView, plan *persistPlan) (*Result, error) {
	res := &Result{Tag: "CREATE MATERIALIZED VIEW"}
	if _, ok := p.eng.Stream(s.Name); ok {
		if s.IfNotExists {
			return res, nil
		}
		return nil, sql.Errorf(sql.CodeDuplicateObject, "relation %q already exists", s.Name)
	}
	if err := p.eng.CreateView(ctx, *plan.view, plan.spec, s.IfNotExists); err != nil {
		return nil, fmt.Errorf("create materialized view %s: %w", s.Name, err)
	}
	return res, nil
}

// executeCreateSink creates the output stream and starts the sink.
func (p *Planner) executeCreateSink(ctx context.Context, s *sql.CreateStream, plan *persistPlan) (*Result, error) {
	res := &Result{Tag: "CREATE STREAM"}
	if _, ok := p.eng.View(s.Name); ok {
		if s.IfNotExists {
			return res, nil
		}
		return nil, sql.Errorf(sql.CodeDuplicateObject, "relation %q already exists", s.Name)
	}
	if err := p.eng.CreateSink(ctx, *plan.out, plan.spec, s.IfNotExists); err != nil {
		return nil, fmt.Errorf("create stream %s: %w", s.Name, err)
	}
	return res, nil
}

// executeDropStream drops a stream; dropping a sink's output stream stops
// and drops the sink first.
func (p *Planner) executeDropStream(ctx context.Context, s *sql.DropStream) (*Result, error) {
	for _, sk := range p.eng.Sinks() {
		if sk.Name != s.Name {
			continue
		}
		if err := p.eng.DropSink(ctx, s.Name, s.IfExists); err != nil {
			return nil, fmt.Errorf("drop stream %s: %w", s.Name, err)
		}
		// The sink may have taken its output stream with it.
		if err := p.eng.DropStream(ctx, s.Name, true); err != nil {
			return nil, fmt.Errorf("drop stream %s: %w", s.Name, err)
		}
		return &Result{Tag: "DROP STREAM"}, nil
	}
	if err := p.eng.DropStream(ctx, s.Name, s.IfExists); err != nil {
		return nil, fmt.Errorf("drop stream %s: %w", s.Name, err)
	}
	return &Result{Tag: "DROP STREAM"}, nil
}
