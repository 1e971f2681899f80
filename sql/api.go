package sql

// The entry points below are the package's contract with planner and server.
// (Bodies are filled in by the implementation files.)

// Parser parses Sluice SQL: a dialect front rewrites PostgreSQL and streaming
// syntax into what the TiDB parser accepts and captures the streaming clauses.
// A Parser is not safe for concurrent use: keep one per session.
//
//	func NewParser() *Parser
//	func (p *Parser) Parse(query string) ([]Statement, error)
//
// Parse splits a query string into statements (an empty or comment-only
// string yields one *Empty). Errors are *Error with Code 42601 and Pos, the
// 1-based character position in query, as PostgreSQL reports it.
//
//	func Bind(cat Catalog, sel *Select, params []arrow.DataType) (*Query, error)
//
// Bind resolves a SELECT. params gives the client-declared types of $n
// (nil entries or a short slice mean "infer"). Errors are *Error: 42P01,
// 42703, 42804, 42883, 0A000, 22023.
//
//	func BindInsert(cat Catalog, ins *Insert) (rel *Relation, rows [][]*Literal, err error)
//
// BindInsert checks INSERT against the relation and converts every value to
// its column's type (rows are in the relation's column order, NULL for
// columns not listed).
//
//	func TypeFromName(name string, args ...int) (arrow.DataType, string, error)
//	func PGTypeName(t arrow.DataType) string
