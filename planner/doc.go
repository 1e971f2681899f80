// Package planner turns parsed SQL statements into actions on the engine.
//
// # Layers
//
// A statement arrives from server already parsed (sql.Parse). Prepare binds
// it against the engine's catalog (sql.Bind, through catalogAdapter) and
// works out what the client will see: parameter types, the result schema,
// whether the result is an unending stream. Execute then either performs a
// catalog action (CREATE/DROP STREAM, INSERT), builds a finite result
// (SHOW, DESCRIBE, EXPLAIN), or turns the bound query into an
// exec.QuerySpec — the physical micro-batch plan — and starts it.
//
// The physical plan of a SELECT is a source (the stream's partitions, the
// columns the query reads — the decoder decodes nothing else — and the
// event-time column that drives the watermark) followed by operators:
//
//	Filter(WHERE) → WindowAgg(window, keys, aggregates) → Filter(HAVING) → Sort(ORDER BY) → Project(select list)
//
// or, without aggregation, Filter(WHERE) → Sort → Project. Expressions in the
// aggregated scope (window_start, window_end, group keys, aggregates) are
// rewritten to column references into the WindowAgg output, whose layout is
// fixed by exec (window_start, window_end, key0…, agg0…).
//
// # Concurrency
//
// A Planner is safe for concurrent use by many sessions: it holds no
// per-statement state and starts no goroutines; the queries it starts are
// owned by the caller through the returned Stream.
package planner
