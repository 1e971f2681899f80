package exec

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Expr is a vectorised scalar expression over one Arrow record batch. Build
// expressions with Col, Lit, Call, Cast and CaseWhen.
type Expr interface {
	// DataType is the type of the values Eval returns.
	DataType() arrow.DataType
	// String renders the expression for EXPLAIN.
	String() string
	// Eval computes the expression for every row of b. The result has
	// b.NumRows() rows and the caller must Release it.
	Eval(ctx context.Context, mem memory.Allocator, b arrow.RecordBatch) (arrow.Array, error)
}
