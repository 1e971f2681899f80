package exec

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// projectOp computes one output column per expression.
type projectOp struct {
	mem    memory.Allocator
	exprs  []Expr
	schema *arrow.Schema
}

var _ Operator = (*projectOp)(nil)

func newProject(mem memory.Allocator, spec *ProjectSpec) (*projectOp, error) {
	if len(spec.Names) != len(spec.Exprs) {
		return nil, fmt.Errorf("project: %d names for %d expressions", len(spec.Names), len(spec.Exprs))
	}
	fields := make([]arrow.Field, len(spec.Exprs))
	for i, e := range spec.Exprs {
		fields[i] = arrow.Field{Name: spec.Names[i], Type: e.DataType(), Nullable: true}
	}
	return &projectOp{mem: mem, exprs: spec.Exprs, schema: arrow.NewSchema(fields, nil)}, nil
}

func (p *projectOp) Push(ctx context.Context, in arrow.RecordBatch, emit EmitFunc) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cols := make([]arrow.Array, 0, len(p.exprs))
	defer func() {
		for _, c := range cols {
			c.Release()
		}
	}()
	for i, e := range p.exprs {
		c, err := e.Eval(ctx, p.mem, in)
		if err != nil {
			return fmt.Errorf("project %s: %w", p.schema.Field(i).Name, err)
		}
		cols = append(cols, c)
	}
	out := array.NewRecordBatch(p.schema, cols, in.NumRows())
	defer out.Release()
	return emit(ctx, out)
}

func (p *projectOp) Flush(context.Context, int64, EmitFunc) error { return nil }
func (p *projectOp) Stats() OpStats                               { return OpStats{} }
func (p *projectOp) Close()                                       {}
