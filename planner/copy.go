package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// CopyPlan is the target of COPY stream [(cols)] FROM STDIN.
type CopyPlan struct {
	Stream string
	// Schema is the stream's columns.
	Schema *arrow.Schema
	// Targets maps each input field to its column in Schema.
	Targets []int
}

// Fields are the types of the input fields, in input order.
func (c *CopyPlan) Fields() []arrow.Field {
	out := make([]arrow.Field, len(c.Targets))
	for i, t := range c.Targets {
		out[i] = c.Schema.Field(t)
	}
	return out
}

// PrepareCopy resolves the target of COPY … FROM STDIN. Errors are
// *sql.Error (42P01, 42703, 42701, 0A000).
func (p *Planner) PrepareCopy(stream string, cols []string) (*CopyPlan, error) {
	rel, targets, err := sql.BindCopy(p.catalog(), stream, cols)
	if err != nil {
		return nil, err
	}
	return &CopyPlan{Stream: rel.Name, Schema: rel.Schema, Targets: targets}, nil
}

// CopyInsert produces rows (values in input order, already converted to
// Fields' types) to the stream through the same path as INSERT: one
// batch, one Produce. Columns not listed are NULL. On an error some of
// rows may have been produced (Kafka has no rollback).
func (p *Planner) CopyInsert(ctx context.Context, plan *CopyPlan, rows [][]any) (int64, error) {
	full := make([][]any, len(rows))
	for i, r := range rows {
		full[i] = make([]any, plan.Schema.NumFields())
		for j, v := range r {
			full[i][plan.Targets[j]] = v
		}
	}
	b, err := exec.BuildBatch(p.mem, plan.Schema, full)
	if err != nil {
		return 0, err
	}
	defer b.Release()
	n, err := p.eng.Insert(ctx, plan.Stream, b)
	if err != nil {
		return 0, fmt.Errorf("copy into %s: %w", plan.Stream, err)
	}
	return n, nil
}
