package planner

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// insertPlan is a bound INSERT: the target and its rows as column values.
type insertPlan struct {
	stream string
	schema *arrow.Schema
	rows   [][]any
}

func (p *Planner) prepareInsert(prep *Prepared, s *sql.Insert) error {
	prep.Tag = "INSERT"
	rel, rows, err := sql.BindInsert(p.catalog(), s)
	if err != nil {
		return err
	}
	plan := &insertPlan{stream: rel.Name, schema: rel.Schema, rows: make([][]any, len(rows))}
	for i, r := range rows {
		plan.rows[i] = make([]any, len(r))
		for j, lit := range r {
			if lit != nil {
				plan.rows[i][j] = lit.Value
			}
		}
	}
	prep.insert = plan
	return nil
}

// executeInsert produces one JSON record per row to the stream's topic.
func (p *Planner) executeInsert(ctx context.Context, prep *Prepared) (*Result, error) {
	plan := prep.insert
	b, err := exec.BuildBatch(p.mem, plan.schema, plan.rows)
	if err != nil {
		return nil, err
	}
	defer b.Release()
	n, err := p.eng.Insert(ctx, plan.stream, b)
	if err != nil {
		return nil, fmt.Errorf("insert into %s: %w", plan.stream, err)
	}
	return &Result{Tag: fmt.Sprintf("INSERT 0 %d", n)}, nil
}
