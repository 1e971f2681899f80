package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// Catalog queries (sql.CatalogSelect) read PostgreSQL's system catalogs:
// pg_catalog.* and information_schema.*, as psql's \d commands and the
// drivers' metadata calls do. The relations are virtual (pgcat_tables.go,
// pgcat_views.go), computed from the engine's streams, views and system
// tables when the query runs; the query is evaluated row at a time by the
// small evaluator in pgcat_eval.go and friends, and its result is one
// finite batch.

// prepareCatalog works out the result columns by evaluating the query with
// NULL parameters: the result types of a catalog query depend on the
// values it computes (as for PostgreSQL's unknown literals), and the
// catalogs are small enough that running it twice costs little.
func (p *Planner) prepareCatalog(ctx context.Context, prep *Prepared, s *sql.CatalogSelect, paramTypes []arrow.DataType) error {
	prep.Tag = "SELECT"
	prep.Params = make([]arrow.DataType, s.NumParams)
	for i := range prep.Params {
		prep.Params[i] = typeText
		if i < len(paramTypes) && paramTypes[i] != nil {
			prep.Params[i] = paramTypes[i]
		}
	}
	res, err := p.evalCatalog(ctx, s, make([]any, s.NumParams))
	if err != nil {
		return err
	}
	prep.Schema = catalogSchema(res)
	return nil
}

func (p *Planner) executeCatalog(ctx context.Context, prep *Prepared, s *sql.CatalogSelect, params []any) (*Result, error) {
	res, err := p.evalCatalog(ctx, s, params)
	if err != nil {
		return nil, err
	}
	if len(res.names) != prep.Schema.NumFields() {
		return nil, fmt.Errorf("planner: catalog query changed shape between prepare and execute")
	}
	rows := make([][]any, len(res.rows))
	for i, r := range res.rows {
		if rows[i], err = coerceRow(r, prep.Schema); err != nil {
			return nil, err
		}
	}
	b, err := exec.BuildBatch(p.mem, prep.Schema, rows)
	if err != nil {
		return nil, err
	}
	return &Result{Tag: "SELECT", Schema: prep.Schema, Rows: []arrow.RecordBatch{b}}, nil
}

func (p *Planner) evalCatalog(ctx context.Context, s *sql.CatalogSelect, params []any) (*pgResult, error) {
	ev := &pgEval{ctx: ctx, snap: newPGSnapshot(p.eng), params: params,
		tables: map[string]*pgRowSet{}, budget: pgRowBudget}
	return ev.query(s.Query, nil)
}

// catalogSchema types each column by its static type, else by its first
// non-NULL value, else as text.
func catalogSchema(res *pgResult) *arrow.Schema {
	fields := make([]arrow.Field, len(res.names))
	for i, name := range res.names {
		oid := res.types[i]
		for _, r := range res.rows {
			if oid != 0 {
				break
			}
			oid = valueType(r[i])
		}
		fields[i] = arrow.Field{Name: name, Type: arrowOfType(oid), Nullable: true}
	}
	return arrow.NewSchema(fields, nil)
}

func valueType(v any) int64 {
	switch v.(type) {
	case bool:
		return oidBool
	case int64:
		return oidInt8
	case float64:
		return oidFloat8
	case nil:
		return 0
	}
	return oidText
}

// coerceRow converts computed values to their column's type.
func coerceRow(r []any, schema *arrow.Schema) ([]any, error) {
	out := make([]any, len(r))
	for i, v := range r {
		if v == nil {
			continue
		}
		var err error
		switch schema.Field(i).Type.ID() {
		case arrow.BOOL:
			out[i], err = toBool(v)
		case arrow.INT16, arrow.INT32, arrow.INT64, arrow.TIMESTAMP:
			out[i], err = toInt(v)
		case arrow.FLOAT32, arrow.FLOAT64:
			out[i], err = toFloat(v)
		default:
			out[i] = textOf(v)
		}
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", schema.Field(i).Name, err)
		}
	}
	return out, nil
}
