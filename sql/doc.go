// Package sql is the SQL front of Sluice: it turns query text into typed,
// resolved statements for the planner and the server.
//
// # Layers
//
// Dialect front (lexer.go, parser.go, ddl.go, session_stmt.go, insert.go).
// A small lexer applies PostgreSQL's lexical rules: single-quoted strings
// with ” escapes, E'…' strings, "quoted identifiers" (case kept), unquoted
// identifiers folded to lower case, -- and nested /* */ comments, $n
// parameters and operators such as ::, ||, <> and !=. Parse splits the token
// stream into statements at top-level semicolons. Statements the TiDB parser
// cannot read — CREATE/DROP STREAM, CREATE/DROP MATERIALIZED VIEW, SHOW,
// DESCRIBE, SET/RESET, transaction control, EXPLAIN and INSERT … VALUES — are
// parsed by hand.
//
// TiDB wrapping (rewrite.go, select_internals.go). A SELECT is rewritten
// token by token into MySQL text that github.com/pingcap/tidb/pkg/parser
// accepts, remembering for every rewritten token the original one so that
// syntax errors and binder errors point into the user's text:
//
//	x::t, CAST(x AS t), TIMESTAMP '…'  →  sluice_cast(x, i), casts[i] = t
//	INTERVAL '10 seconds' / '10' SECOND →  sluice_interval(<microseconds>)
//	INTERVAL '1 month 2 hours'          →  sluice_interval(<microseconds>, <months>)
//	TRUE, FALSE                         →  sluice_bool(1), sluice_bool(0)
//	EXTRACT(f FROM x)                   →  sluice_extract('f', x)
//	TUMBLE/HOP/SESSION(                 →  sluice_tumble/sluice_hop/sluice_session(
//	$n                                  →  ?  (n remembered by offset)
//	"Ident"                             →  `Ident`
//	EMIT ON WINDOW CLOSE | EMIT CHANGES →  removed, captured
//	ORDER BY … NULLS FIRST|LAST         →  removed, captured
//
// The TiDB parser runs with PIPES_AS_CONCAT (|| is concatenation) and
// NO_BACKSLASH_ESCAPES. Its AST is kept in the unexported Select internals
// and never leaves the package.
//
// Catalog queries (pg_rewrite.go, pg_parse.go, pg_convert.go, pg_query.go).
// A SELECT that names a pg_catalog or information_schema relation is
// rewritten with extra PostgreSQL rewrites (OPERATOR(pg_catalog.~), ~ and
// its variants, COLLATE, casts to any type name, ARRAY(…), ARRAY[…], x[i],
// = ANY(array), functions in FROM), parsed by TiDB, and converted to a
// CatalogSelect: a small exported tree (PGQuery) that the planner's catalog
// evaluator runs. It is not bound against the Catalog.
//
// Binding (bind*.go). Bind resolves a SELECT against a Catalog into a Query:
// names resolved, every expression typed with PostgreSQL's promotion rules,
// implicit casts explicit, constants folded to the types they are compared
// with, aggregates and group keys separated into the scopes documented on
// Query. A relation that is not a stream (a materialized view or a sluice.*
// system table, read by a finite pull query) has no pseudo-columns and no
// windows in GROUP BY. BindInsert does the same for INSERT … VALUES.
//
// Types (types.go, convert.go). TypeFromName and PGTypeName map between SQL
// type names and Arrow types; ColumnField builds the Arrow field of a stream
// column with its SQL type in the field metadata.
//
// Errors (errors.go, syntax_error.go). Every user error is an *Error with a
// SQLSTATE and, where known, the 1-based character position in the query.
//
// # Concurrency
//
// The package starts no goroutines. A Parser wraps a TiDB parser, which is
// not safe for concurrent use and reuses its buffers: keep one Parser per
// session. Bind, BindInsert and the type functions keep no shared state and
// may run concurrently on different statements (Bind walks the Select's
// TiDB AST with visitors, so one *Select must not be bound from two
// goroutines at once); the bound Query is not modified after Bind returns.
package sql
