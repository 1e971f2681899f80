package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// RunFinite evaluates ops over a finite input (a pull query over a
// materialized view or a system table) and returns the result rows. The
// input batches share one schema, the one ops were planned against; the
// caller keeps ownership of them. The result holds at most one batch, at
// most limit rows (limit < 0: no limit); the caller must Release it.
//
// The whole input is one micro-batch: it is concatenated first so that a
// SortSpec orders all rows, not each input batch. An aggregate must be a
// NoWindow WindowAggSpec with EmitChanges: flushed once, it emits every
// group. Like PostgreSQL, an aggregate without keys over no rows still
// yields one row (count 0, every other aggregate NULL).
func RunFinite(ctx context.Context, mem memory.Allocator, in []arrow.RecordBatch, ops []OpSpec, limit int64) ([]arrow.RecordBatch, error) {
	if len(in) == 0 {
		return nil, fmt.Errorf("exec: finite query without an input schema")
	}
	cur, err := concatFinite(mem, in)
	if err != nil {
		return nil, err
	}
	for len(ops) > 0 {
		seg, agg := finiteSegment(ops)
		next, err := runSegment(ctx, mem, cur, ops[:seg], agg)
		cur.Release()
		if err != nil {
			return nil, err
		}
		cur, ops = next, ops[seg:]
	}
	if limit >= 0 && cur.NumRows() > limit {
		sliced := cur.NewSlice(0, limit)
		cur.Release()
		cur = sliced
	}
	return []arrow.RecordBatch{cur}, nil
}

// finiteSegment returns how many leading ops run as one pipeline: up to and
// including the first aggregate, whose output is gathered into one batch
// before the operators after it (a global sort) run. agg is that aggregate.
func finiteSegment(ops []OpSpec) (n int, agg *WindowAggSpec) {
	for i, op := range ops {
		if a, ok := op.(*WindowAggSpec); ok {
			return i + 1, a
		}
	}
	return len(ops), nil
}

// runSegment pushes in through specs as one micro-batch and returns the
// output as one batch (empty, not nil, when no rows came out).
func runSegment(ctx context.Context, mem memory.Allocator, in arrow.RecordBatch, specs []OpSpec, agg *WindowAggSpec) (arrow.RecordBatch, error) {
	if agg != nil && (agg.Window.Kind != NoWindow || agg.Emit != EmitChanges) {
		return nil, fmt.Errorf("exec: finite query: aggregate must be a running aggregate emitting changes")
	}
	p, err := newPipeline(mem, buildOperator, specs, in.Schema(), nil)
	if err != nil {
		return nil, fmt.Errorf("finite query: %w", err)
	}
	defer p.close()
	if err := p.push(ctx, in); err != nil {
		return nil, fmt.Errorf("finite query: %w", err)
	}
	if err := p.flush(ctx, noWatermark); err != nil {
		return nil, fmt.Errorf("finite query: %w", err)
	}
	out, err := p.take()
	if err != nil || out != nil {
		return out, err
	}
	if agg != nil && len(agg.Keys) == 0 {
		return emptyAggregateRow(mem, p.out, agg)
	}
	return emptyBatch(mem, p.out), nil
}

// emptyAggregateRow is the one row an ungrouped aggregate yields over no
// rows: counts are 0, every other aggregate NULL.
func emptyAggregateRow(mem memory.Allocator, schema *arrow.Schema, agg *WindowAggSpec) (arrow.RecordBatch, error) {
	row := make([]any, len(agg.Aggs))
	for i, a := range agg.Aggs {
		switch a.Func {
		case "count_star", "count", "approx_count_distinct":
			row[i] = int64(0)
		}
	}
	b, err := BuildBatch(mem, schema, [][]any{row})
	if err != nil {
		return nil, fmt.Errorf("finite query: empty aggregate row: %w", err)
	}
	return b, nil
}

// emptyBatch is a batch of schema with no rows.
func emptyBatch(mem memory.Allocator, schema *arrow.Schema) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	return b.NewRecordBatch()
}

// concatFinite returns the rows of in as one batch the caller releases.
func concatFinite(mem memory.Allocator, in []arrow.RecordBatch) (arrow.RecordBatch, error) {
	schema := in[0].Schema()
	for _, b := range in[1:] {
		if !b.Schema().Equal(schema) {
			return nil, fmt.Errorf("exec: finite query: input batches of different schemas")
		}
	}
	b, err := concatBatches(mem, schema, in)
	if err != nil {
		return nil, fmt.Errorf("finite query: %w", err)
	}
	return b, nil
}
