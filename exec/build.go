package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// buildOperator instantiates the operator for spec over input of schema in
// and returns it with its output schema. The caller owns the operator and
// must Close it; batches it emits are only valid during the emit call.
func buildOperator(mem memory.Allocator, spec OpSpec, in *arrow.Schema) (Operator, *arrow.Schema, error) {
	if mem == nil {
		return nil, nil, fmt.Errorf("build operator %T: nil allocator", spec)
	}
	switch s := spec.(type) {
	case *FilterSpec:
		op, err := newFilter(mem, s)
		if err != nil {
			return nil, nil, err
		}
		return op, in, nil
	case *ProjectSpec:
		op, err := newProject(mem, s)
		if err != nil {
			return nil, nil, err
		}
		return op, op.schema, nil
	case *SortSpec:
		op, err := newSort(mem, s)
		if err != nil {
			return nil, nil, err
		}
		return op, in, nil
	case *WindowAggSpec:
		op, out, err := newWindowAgg(mem, s, in)
		if err != nil {
			return nil, nil, err
		}
		return op, out, nil
	default:
		return nil, nil, fmt.Errorf("build operator: unknown spec %T", spec)
	}
}
