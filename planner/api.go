package planner

// Contract with server (implemented in planner.go, plan_*.go, explain.go).
//
//	func New(eng *exec.Engine) *Planner
//
//	// Prepare binds and plans one statement. paramTypes are the client's
//	// declared parameter types (nil = infer). It does no I/O and starts
//	// nothing. Errors are *sql.Error or wrap exec sentinels.
//	func (p *Planner) Prepare(stmt sql.Statement, paramTypes []arrow.DataType) (*Prepared, error)
//
//	type Prepared struct {
//	    Stmt   sql.Statement
//	    Params []arrow.DataType // inferred types of $1…$n
//	    Schema *arrow.Schema    // result columns; nil for statements without rows
//	    Tag    string           // CommandComplete verb: "SELECT", "CREATE STREAM", "INSERT", "SHOW", …
//	    Continuous bool         // the result is an unending stream of micro-batches
//	}
//
//	// Execute runs a prepared statement. params hold one Go value per $n
//	// (nil, bool, int64, float64, string, []byte; int64 µs for timestamps),
//	// already converted to Params' types by server.
//	func (p *Planner) Execute(ctx context.Context, prep *Prepared, params []any) (*Result, error)
//
//	type Result struct {
//	    Tag    string               // full CommandComplete tag for commands ("CREATE STREAM", "INSERT 0 3");
//	                                // for row results the server appends the row count ("SELECT 5", "SHOW")
//	    Schema *arrow.Schema        // nil when no rows
//	    Rows   []arrow.RecordBatch  // a finite result; the caller releases each
//	    Stream Stream               // a continuous result; the caller must Close it
//	}
//
//	// Stream is a continuous result (*exec.Query implements it).
//	type Stream interface {
//	    Schema() *arrow.Schema
//	    // Next blocks for the next micro-batch's rows (caller releases);
//	    // io.EOF when the query ended by LIMIT.
//	    Next(ctx context.Context) (arrow.RecordBatch, error)
//	    Close() error
//	}
//
// Statements the server answers itself (session state): *sql.Set,
// *sql.Show{Kind: ShowParam}, *sql.Txn, *sql.Empty. Everything else goes
// through Prepare/Execute.
