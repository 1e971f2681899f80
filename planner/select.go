package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

func (p *Planner) prepareSelect(prep *Prepared, s *sql.Select, paramTypes []arrow.DataType) error {
	q, err := sql.Bind(p.catalog(), s, paramTypes)
	if err != nil {
		return err
	}
	if err := p.checkQuery(q); err != nil {
		return err
	}
	prep.query = q
	prep.Params = paramsOf(q, paramTypes)
	prep.Schema = outputSchema(q)
	prep.Tag = "SELECT"
	prep.Continuous = q.From != nil && q.From.IsStream
	return nil
}

// checkQuery refuses bound queries the executor cannot run.
func (p *Planner) checkQuery(q *sql.Query) error {
	for _, a := range q.Aggregates {
		if a.Distinct && a.Func != "count" && a.Func != "approx_count_distinct" {
			return sql.Errorf(sql.CodeFeatureNotSupported, "not supported: %s(DISTINCT …)", a.Func)
		}
	}
	if q.From == nil && q.Aggregating() {
		return sql.Errorf(sql.CodeFeatureNotSupported, "not supported: aggregates without FROM")
	}
	if q.From != nil && !q.From.IsStream {
		return checkPull(q)
	}
	_, err := p.emitMode(q)
	return err
}

func (p *Planner) executeSelect(ctx context.Context, prep *Prepared, params []any) (*Result, error) {
	q := prep.query
	if q.From == nil {
		return p.constantSelect(ctx, prep, params)
	}
	if !q.From.IsStream {
		return p.executePull(ctx, prep, params)
	}
	limit, err := limitOf(q, params)
	if err != nil {
		return nil, err
	}
	if limit == 0 {
		return &Result{Tag: "SELECT", Schema: prep.Schema}, nil
	}
	spec, err := p.buildSpec(p.stmtEnv(ctx), q, params)
	if err != nil {
		return nil, err
	}
	if limit > 0 {
		spec.Limit = limit
	}
	spec.SQL = prep.Stmt.Text()
	spec.Kind = "push"
	query, err := p.eng.StartQuery(ctx, spec)
	if err != nil {
		return nil, fmt.Errorf("start query: %w", err)
	}
	return &Result{Tag: "SELECT", Schema: query.Schema(), Stream: query}, nil
}

// limitOf is the query's LIMIT: a constant, a parameter's value, or -1.
func limitOf(q *sql.Query, params []any) (int64, error) {
	if q.LimitParam == nil {
		return q.Limit, nil
	}
	i := q.LimitParam.Index
	if i >= len(params) {
		return 0, sql.Errorf(sql.CodeProtocolViolation, "no value supplied for parameter $%d", i+1)
	}
	switch v := params[i].(type) {
	case nil:
		return -1, nil // LIMIT NULL is no limit, as in PostgreSQL
	case int64:
		if v < 0 {
			return 0, sql.Errorf(sql.CodeInvalidRowCount, "LIMIT must not be negative")
		}
		return v, nil
	}
	return 0, sql.Errorf(sql.CodeDatatypeMismatch, "LIMIT parameter must be an integer, not %T", params[i])
}

// constantSelect evaluates a SELECT without FROM (SELECT 1, the drivers'
// liveness probes) over one row with no columns.
func (p *Planner) constantSelect(ctx context.Context, prep *Prepared, params []any) (*Result, error) {
	q := prep.query
	c := &converter{params: params, env: p.stmtEnv(ctx)}
	one := array.NewRecordBatch(arrow.NewSchema(nil, nil), nil, 1)
	defer one.Release()
	cols := make([]arrow.Array, 0, len(q.Output))
	defer func() {
		for _, a := range cols {
			a.Release()
		}
	}()
	for _, o := range q.Output {
		e := c.expr(o.Expr)
		if c.err != nil {
			return nil, c.err
		}
		a, err := e.Eval(ctx, p.mem, one)
		if err != nil {
			return nil, err
		}
		cols = append(cols, a)
	}
	rows := int64(1)
	if limit, err := limitOf(q, params); err != nil {
		return nil, err
	} else if limit == 0 {
		rows = 0
	}
	b := array.NewRecordBatch(prep.Schema, cols, 1)
	if rows == 0 {
		sliced := b.NewSlice(0, 0)
		b.Release()
		b = sliced
	}
	return &Result{Tag: "SELECT", Schema: prep.Schema, Rows: []arrow.RecordBatch{b}}, nil
}

// outputSchema is the schema the client sees. A column that is a plain
// reference to a stream column keeps that column's SQL type metadata (so a
// VARCHAR stays character varying on the wire).
func outputSchema(q *sql.Query) *arrow.Schema {
	fields := make([]arrow.Field, len(q.Output))
	for i, o := range q.Output {
		fields[i] = arrow.Field{Name: o.Name, Type: o.Expr.Type(), Nullable: true}
		if ref, ok := o.Expr.(*sql.ColumnRef); ok && !q.Aggregating() {
			fields[i].Metadata = inputMetadata(q, ref.Index)
		}
	}
	return arrow.NewSchema(fields, nil)
}

func inputMetadata(q *sql.Query, idx int) arrow.Metadata {
	name := q.Input[idx].Name
	if i := q.From.Schema.FieldIndices(name); len(i) > 0 {
		return q.From.Schema.Field(i[0]).Metadata
	}
	return arrow.Metadata{}
}

// emitMode resolves EMIT against the query's shape.
func (p *Planner) emitMode(q *sql.Query) (exec.EmitMode, error) {
	switch {
	case !q.Aggregating():
		if q.Emit != sql.EmitDefault {
			return 0, sql.Errorf(sql.CodeFeatureNotSupported, "EMIT applies only to aggregating queries")
		}
		return exec.EmitChanges, nil
	case q.Window == nil:
		if q.Emit == sql.EmitOnWindowClose {
			return 0, sql.Errorf(sql.CodeFeatureNotSupported,
				"EMIT ON WINDOW CLOSE needs a window in GROUP BY (TUMBLE, HOP or SESSION); a running aggregate uses EMIT CHANGES")
		}
		return exec.EmitChanges, nil
	case q.Emit == sql.EmitChanges:
		return exec.EmitChanges, nil
	default:
		return exec.EmitOnClose, nil
	}
}
