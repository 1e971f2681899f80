package sql

// selectInternals is the sql package's private representation of a parsed
// SELECT (the TiDB AST plus the captured streaming clauses). PLACEHOLDER:
// the implementation replaces this file.
type selectInternals struct{}
