package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// A pull query is a SELECT over a relation that is not a stream: a
// materialized view or a sluice.* system table. It reads the relation's
// current rows once and ends, like a query on a PostgreSQL table; the same
// operators as a continuous query run over those rows as one batch
// (exec.RunFinite), so WHERE, GROUP BY without a window, HAVING, a global
// ORDER BY and LIMIT all work.

// checkPull refuses what only a query over a stream can do.
func checkPull(q *sql.Query) error {
	if q.Emit != sql.EmitDefault {
		return sql.Errorf(sql.CodeFeatureNotSupported,
			"not supported: EMIT in a query over %s (EMIT applies to queries that read a stream)", q.From.Name)
	}
	return nil
}

// executePull runs a pull query to completion.
func (p *Planner) executePull(ctx context.Context, prep *Prepared, params []any) (*Result, error) {
	q := prep.query
	limit, err := limitOf(q, params)
	if err != nil {
		return nil, err
	}
	ops, err := p.buildOps(p.stmtEnv(ctx), q, params)
	if err != nil {
		return nil, err
	}
	in, err := p.relationRows(ctx, q)
	if err != nil {
		return nil, err
	}
	defer releaseAll(in)
	out, err := exec.RunFinite(ctx, p.mem, in, ops, limit)
	if err != nil {
		return nil, err
	}
	// RunFinite names the columns; prep.Schema adds their SQL types.
	for i, b := range out {
		out[i] = array.NewRecordBatch(prep.Schema, b.Columns(), b.NumRows())
		b.Release()
	}
	return &Result{Tag: "SELECT", Schema: prep.Schema, Rows: out}, nil
}

// relationRows reads the relation's rows and narrows them to the query's
// Input columns, in Input order (what ColumnRef.Index points at). There is
// always at least one batch, so RunFinite knows the schema.
func (p *Planner) relationRows(ctx context.Context, q *sql.Query) ([]arrow.RecordBatch, error) {
	raw, err := p.readRelation(ctx, q.From)
	if err != nil {
		return nil, err
	}
	defer releaseAll(raw)
	fields := make([]arrow.Field, len(q.Input))
	for i, c := range q.Input {
		fields[i] = arrow.Field{Name: c.Name, Type: c.Type, Nullable: true}
	}
	schema := arrow.NewSchema(fields, nil)
	out := make([]arrow.RecordBatch, 0, len(raw)+1)
	for _, b := range raw {
		nb, err := narrow(b, schema)
		if err != nil {
			releaseAll(out)
			return nil, fmt.Errorf("read %s: %w", q.From.Name, err)
		}
		out = append(out, nb)
	}
	if len(out) == 0 {
		empty, err := exec.BuildBatch(p.mem, schema, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, empty)
	}
	return out, nil
}

// readRelation returns every row of a view or system table. The caller
// releases the batches.
func (p *Planner) readRelation(ctx context.Context, rel *sql.Relation) ([]arrow.RecordBatch, error) {
	if t, ok := systemTables[rel.Name]; ok {
		rows, err := t.rows(ctx, p.eng)
		if err != nil {
			return nil, err
		}
		b, err := exec.BuildBatch(p.mem, t.schema, rows)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", rel.Name, err)
		}
		return []arrow.RecordBatch{b}, nil
	}
	bs, err := p.eng.ScanView(ctx, rel.Name)
	if err != nil {
		return nil, fmt.Errorf("scan materialized view %s: %w", rel.Name, err)
	}
	return bs, nil
}

// narrow returns b's columns named by schema, in schema's order, sharing
// their memory.
func narrow(b arrow.RecordBatch, schema *arrow.Schema) (arrow.RecordBatch, error) {
	cols := make([]arrow.Array, schema.NumFields())
	for i, f := range schema.Fields() {
		idx := b.Schema().FieldIndices(f.Name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("planner: column %q missing from the stored rows", f.Name)
		}
		col := b.Column(idx[0])
		if !arrow.TypeEqual(col.DataType(), f.Type) {
			return nil, fmt.Errorf("planner: column %q is stored as %s, want %s", f.Name, col.DataType(), f.Type)
		}
		cols[i] = col
	}
	return array.NewRecordBatch(schema, cols, b.NumRows()), nil
}

func releaseAll(bs []arrow.RecordBatch) {
	for _, b := range bs {
		b.Release()
	}
}
