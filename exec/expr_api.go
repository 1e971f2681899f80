package exec

// Expressions (contract; implemented in expr*.go).
//
// Expr is a vectorised scalar expression over one Arrow record batch.
//
//	type Expr interface {
//	    DataType() arrow.DataType
//	    String() string
//	    // unexported evaluation methods
//	}
//
// Constructors (the planner builds expressions only through these):
//
//	func Col(index int, t arrow.DataType) Expr
//	func Lit(v any, t arrow.DataType) Expr   // v as sql.Literal.Value: nil, bool, int64, float64, string, []byte, int64 µs/days
//	func Call(fn string, t arrow.DataType, args ...Expr) (Expr, error)  // fn names as sql.Call.Func
//	func Cast(e Expr, t arrow.DataType) (Expr, error)
//	func CaseWhen(conds, vals []Expr, els Expr, t arrow.DataType) Expr // els may be nil (NULL)
//
// Arguments of binary arithmetic and comparison have identical types (the
// binder inserts casts). Integer arithmetic that overflows fails with
// *Error{Code: "22003"}; division by zero with "22012".
