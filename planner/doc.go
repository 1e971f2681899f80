// Package planner turns parsed SQL statements into actions on the engine.
//
// # Layers
//
// A statement arrives from server already parsed (sql.Parse). Prepare binds
// it against the engine's catalog (sql.Bind, through catalogAdapter) and
// works out what the client will see: parameter types, the result schema,
// whether the result is an unending stream. Execute then either performs a
// catalog action (CREATE/DROP STREAM, CREATE/DROP MATERIALIZED VIEW,
// INSERT), builds a finite result (SHOW, DESCRIBE, EXPLAIN, pull queries),
// or turns the bound query into an exec.QuerySpec — the physical
// micro-batch plan — and starts it.
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
// # Persistent and pull queries
//
// CREATE MATERIALIZED VIEW and CREATE STREAM … AS SELECT (a Kafka sink)
// plan their SELECT like a continuous query, as a QuerySpec of kind "view"
// or "sink" with the stable id "view:<name>" / "sink:<name>", and hand it
// to the engine, which runs and checkpoints it. Windowed views always emit
// on window close; ORDER BY is dropped and LIMIT refused. The engine stores
// the CREATE text and re-plans it after a restart through PlanPersistent.
//
// A SELECT over a relation that is not a stream — a materialized view or a
// sluice.* system table (systables.go) — is a pull query: it reads the
// relation's current rows once, narrows them to the columns it uses and
// runs the same operators over them as one batch (exec.RunFinite), so the
// aggregate has no window and the sort is global. Its result is finite.
//
// # Catalog queries
//
// A sql.CatalogSelect (psql's \d, drivers' metadata calls) is evaluated row
// at a time by pgcat*.go over virtual pg_catalog and information_schema
// relations, computed per query from the engine's streams, views and
// system tables (pgSnapshot). Joins are nested loops with WHERE conditions
// pushed to the earliest join that covers them; the result is one finite
// batch. Prepare runs the query once with NULL parameters to learn the
// result columns' types, which depend on computed values.
//
// # Concurrency
//
// A Planner is safe for concurrent use by many sessions: it holds no
// per-statement state and starts no goroutines; the queries it starts are
// owned by the caller through the returned Stream.
package planner
