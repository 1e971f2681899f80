package exec

import (
	"context"
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/state"
)

// pipeline is a query's operators in plan order. The driver goroutine owns
// it: Push and Flush chain the operators by plain calls (the output of op i
// is pushed into op i+1) and the last operator's output is collected, then
// handed out by take as one batch per micro-batch.
type pipeline struct {
	mem memory.Allocator
	ops []Operator
	// emits[i] receives op i's output.
	emits []EmitFunc
	// out is the schema of taken batches: the plan's Output (for its
	// column names) when given, else the last operator's.
	out *arrow.Schema
	// collected holds retained output batches of the current micro-batch.
	collected []arrow.RecordBatch
	// chunkLimit overrides snapshotChunkLimit (tests; 0 = default).
	chunkLimit int
	// snapBuf is the chunk buffer of the last snapshot, reused by the next.
	snapBuf []byte
}

// operatorBuilder is the signature of buildOperator.
type operatorBuilder func(mem memory.Allocator, spec OpSpec, in *arrow.Schema) (Operator, *arrow.Schema, error)

// newPipeline builds specs over input schema in with build and checks that
// the result has the types of want (nil: accept any). The caller must close
// it.
func newPipeline(mem memory.Allocator, build operatorBuilder, specs []OpSpec, in, want *arrow.Schema) (*pipeline, error) {
	p := &pipeline{mem: mem}
	schema := in
	for i, spec := range specs {
		op, out, err := build(mem, spec, schema)
		if err != nil {
			p.close()
			return nil, fmt.Errorf("operator %d: %w", i, err)
		}
		p.ops = append(p.ops, op)
		schema = out
	}
	if err := checkOutput(schema, want); err != nil {
		p.close()
		return nil, err
	}
	p.out = schema
	if want != nil {
		p.out = want
	}
	p.emits = make([]EmitFunc, len(p.ops))
	for i := range p.ops {
		if i+1 < len(p.ops) {
			next, nextEmit := p.ops[i+1], i+1
			p.emits[i] = func(ctx context.Context, b arrow.RecordBatch) error {
				return next.Push(ctx, b, p.emits[nextEmit])
			}
		} else {
			p.emits[i] = p.collect
		}
	}
	return p, nil
}

// checkOutput reports a plan whose result types differ from the declared
// Output schema.
func checkOutput(got, want *arrow.Schema) error {
	if want == nil {
		return nil
	}
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("plan yields %d columns, Output declares %d", got.NumFields(), want.NumFields())
	}
	for i := range want.NumFields() {
		if g, w := got.Field(i).Type, want.Field(i).Type; !arrow.TypeEqual(g, w) {
			return fmt.Errorf("plan column %d is %s, Output declares %s", i, g, w)
		}
	}
	return nil
}

// collect keeps a non-empty output batch for take.
func (p *pipeline) collect(_ context.Context, b arrow.RecordBatch) error {
	if b.NumRows() == 0 {
		return nil
	}
	b.Retain()
	p.collected = append(p.collected, b)
	return nil
}

// push runs one input batch through the operators.
func (p *pipeline) push(ctx context.Context, b arrow.RecordBatch) error {
	if len(p.ops) == 0 {
		return p.collect(ctx, b)
	}
	return p.ops[0].Push(ctx, b, p.emits[0])
}

// flush ends a micro-batch at watermark wm: op i's flushed output is pushed
// into op i+1 before op i+1 is flushed.
func (p *pipeline) flush(ctx context.Context, wm int64) error {
	for i, op := range p.ops {
		if err := op.Flush(ctx, wm, p.emits[i]); err != nil {
			return fmt.Errorf("operator %d flush: %w", i, err)
		}
	}
	return nil
}

// take returns the rows collected since the last take as one batch of
// schema out, or nil when there are none. The caller owns the batch.
func (p *pipeline) take() (arrow.RecordBatch, error) {
	parts := p.collected
	p.collected = nil
	return p.concat(parts)
}

// concat releases parts and returns their rows as one batch of schema
// out, or nil when there are none. The caller owns the batch.
func (p *pipeline) concat(parts []arrow.RecordBatch) (arrow.RecordBatch, error) {
	defer func() {
		for _, b := range parts {
			b.Release()
		}
	}()
	if len(parts) == 0 {
		return nil, nil
	}
	var rows int64
	for _, b := range parts {
		rows += b.NumRows()
	}
	cols := make([]arrow.Array, p.out.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		if len(parts) == 1 { // one part: share its columns, no copy
			cols[i] = parts[0].Column(i)
			cols[i].Retain()
			continue
		}
		chunks := make([]arrow.Array, len(parts))
		for j, b := range parts {
			chunks[j] = b.Column(i)
		}
		c, err := array.Concatenate(chunks, p.mem)
		if err != nil {
			return nil, fmt.Errorf("concatenate output column %d: %w", i, err)
		}
		cols[i] = c
	}
	return array.NewRecordBatch(p.out, cols, rows), nil
}

// current returns the current value of every open (window, group) of
// the pipeline's aggregate, run through the operators after it (HAVING,
// sort, project), as one batch of schema out, without changing any
// state; nil when there are none or when the pipeline has no aggregate.
// The caller owns the batch.
func (p *pipeline) current(ctx context.Context) (arrow.RecordBatch, error) {
	at := slices.IndexFunc(p.ops, func(op Operator) bool { _, ok := op.(*windowAgg); return ok })
	if at < 0 {
		return nil, nil
	}
	var parts []arrow.RecordBatch
	emit := func(_ context.Context, b arrow.RecordBatch) error {
		if b.NumRows() > 0 {
			b.Retain()
			parts = append(parts, b)
		}
		return nil
	}
	// A private chain into a private collector: the operators after the
	// aggregate are stateless, so pushing through them changes nothing.
	for i := len(p.ops) - 1; i > at; i-- {
		op, next := p.ops[i], emit
		if _, ok := op.(stateful); ok {
			return nil, fmt.Errorf("current: operator %d after the aggregate holds state", i)
		}
		emit = func(ctx context.Context, b arrow.RecordBatch) error { return op.Push(ctx, b, next) }
	}
	if err := p.ops[at].(*windowAgg).emitCurrent(ctx, emit); err != nil {
		_, _ = p.concat(parts) // releases them
		return nil, fmt.Errorf("current: %w", err)
	}
	return p.concat(parts)
}

// enableSpill lets every window aggregate keep the state beyond budget
// bytes in store's spill family under spill id id (unique to this
// instance of the query), each under its operator's index. A nil store or
// a negative budget keeps everything in memory.
func (p *pipeline) enableSpill(store *state.Store, id string, budget int64) {
	for i, op := range p.ops {
		if w, ok := op.(*windowAgg); ok {
			w.enableSpill(store, id, uint32(i), budget)
		}
	}
}

// stats sums the operators' counters.
func (p *pipeline) stats() OpStats {
	var s OpStats
	for _, op := range p.ops {
		o := op.Stats()
		s.LateRows += o.LateRows
		s.NullTimeRows += o.NullTimeRows
		s.StateBytes += o.StateBytes
		s.OpenGroups += o.OpenGroups
		s.SpilledSlots += o.SpilledSlots
	}
	return s
}

// close releases collected batches and closes the operators.
func (p *pipeline) close() {
	for _, b := range p.collected {
		b.Release()
	}
	p.collected = nil
	for _, op := range p.ops {
		op.Close()
	}
	p.ops = nil
}
