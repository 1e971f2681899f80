package sql

import (
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// Statement is one parsed SQL statement. The concrete types below are the
// whole set; callers type-switch on them.
type Statement interface {
	// Text returns the statement's source text (without the trailing ';').
	Text() string
	stmt()
}

// StmtBase carries the source text shared by every statement.
type StmtBase struct{ SQL string }

// Text implements Statement.
func (b StmtBase) Text() string { return b.SQL }
func (StmtBase) stmt()          {}

// ColumnDef is one column of CREATE STREAM.
type ColumnDef struct {
	Name string
	// Type is the Arrow type the column decodes to (see TypeFromName).
	Type arrow.DataType
	// TypeName is the SQL spelling normalised to PostgreSQL's name, e.g.
	// "bigint", "character varying", "timestamp without time zone".
	TypeName string
}

// Watermark is the WATERMARK FOR clause: watermark = max(Column) - Delay.
type Watermark struct {
	Column string
	Delay  time.Duration
}

// CreateStream is CREATE STREAM [IF NOT EXISTS] name (cols…, WATERMARK…) WITH (…) [AS SELECT …].
type CreateStream struct {
	StmtBase
	Name        string
	IfNotExists bool
	Columns     []ColumnDef
	Watermark   *Watermark // nil when absent
	// With holds the WITH options, keys lower-cased, values unquoted strings
	// (numbers as their literal text).
	With map[string]string
	// As is the query of CREATE STREAM … AS SELECT (a Kafka sink); nil otherwise.
	As *Select
}

// DropStream is DROP STREAM [IF EXISTS] name.
type DropStream struct {
	StmtBase
	Name     string
	IfExists bool
}

// CreateView is CREATE MATERIALIZED VIEW [IF NOT EXISTS] name AS SELECT ….
type CreateView struct {
	StmtBase
	Name        string
	IfNotExists bool
	As          *Select
}

// DropView is DROP MATERIALIZED VIEW [IF EXISTS] name.
type DropView struct {
	StmtBase
	Name     string
	IfExists bool
}

// ShowKind says what a SHOW statement lists.
type ShowKind int

// The SHOW forms.
const (
	ShowStreams ShowKind = iota + 1
	ShowViews
	ShowQueries
	ShowParam // SHOW <name>, SHOW ALL (Name "all")
)

// Show is SHOW STREAMS | MATERIALIZED VIEWS | QUERIES | <parameter> | ALL.
type Show struct {
	StmtBase
	Kind ShowKind
	Name string // lower-cased parameter name for ShowParam
}

// Describe is DESCRIBE name (also DESC name).
type Describe struct {
	StmtBase
	Name string
}

// Set is SET [SESSION|LOCAL] name {TO|=} value[, …] and SET TIME ZONE value.
type Set struct {
	StmtBase
	Name  string // lower-cased
	Value string // the value as text, unquoted; "DEFAULT" for DEFAULT
	Local bool
	// Reset is set for RESET name (Value "DEFAULT") and RESET ALL (Name
	// "all"), whose command tag is RESET.
	Reset bool
}

// TxnKind is the kind of a transaction-control statement.
type TxnKind int

// The transaction-control statements. Sluice has no transactions over
// streams; these are accepted so that drivers which wrap work in them work.
const (
	TxnBegin TxnKind = iota + 1
	TxnCommit
	TxnRollback
)

// Txn is BEGIN/START TRANSACTION, COMMIT/END, ROLLBACK/ABORT.
type Txn struct {
	StmtBase
	Kind TxnKind
}

// Insert is INSERT INTO stream [(cols)] VALUES (…), (…).
type Insert struct {
	StmtBase
	Stream  string
	Columns []string // empty means all columns in order
	// Rows are the VALUES rows as unbound expressions; Bind turns them into
	// constants of the target columns' types.
	Rows [][]Expr
}

// Explain is EXPLAIN <select>.
type Explain struct {
	StmtBase
	Query *Select
}

// Empty is an empty or comment-only statement (answered with EmptyQueryResponse).
type Empty struct{ StmtBase }

// EmitMode is the EMIT clause of a continuous query.
type EmitMode int

// Emit modes. EmitDefault means "not written": on window close for windowed
// aggregates, changes for running aggregates, every row for filters.
const (
	EmitDefault EmitMode = iota
	EmitOnWindowClose
	EmitChanges
)

// WindowKind is the window function named in GROUP BY.
type WindowKind int

// Window kinds.
const (
	WindowNone WindowKind = iota
	WindowTumble
	WindowHop
	WindowSession
)

// Select is a parsed, not yet bound SELECT. Bind resolves it against a
// Catalog. Its fields are private to the sql package: the TiDB AST does not
// leave it.
type Select struct {
	StmtBase
	sel selectInternals
}
