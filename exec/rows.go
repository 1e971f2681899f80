package exec

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// BuildBatch builds one record batch of schema from rows of Go values, one
// per column, each converted the way Lit converts its value (nil is NULL).
// The planner builds finite results (SHOW, DESCRIBE, INSERT rows) with it.
// The caller must Release the batch.
func BuildBatch(mem memory.Allocator, schema *arrow.Schema, rows [][]any) (arrow.RecordBatch, error) {
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for _, row := range rows {
		if len(row) != schema.NumFields() {
			return nil, fmt.Errorf("exec: row of %d values for %d columns", len(row), schema.NumFields())
		}
		for i, v := range row {
			f := schema.Field(i)
			cv, err := canonicalLit(v, f.Type)
			if err == nil {
				err = appendCanonical(b.Field(i), cv)
			}
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", f.Name, err)
			}
		}
	}
	return b.NewRecordBatch(), nil
}
