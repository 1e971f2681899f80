package sql

// CatalogSelect is a SELECT that reads PostgreSQL's catalogs (pg_catalog.*,
// information_schema.*): what psql's \d commands and drivers' metadata
// calls send. It is not bound against the engine's Catalog; the planner
// evaluates Query row by row over virtual catalog relations. The tree is
// immutable after Parse and may be evaluated concurrently.
type CatalogSelect struct {
	StmtBase
	Query *PGQuery
	// NumParams is the highest $n the statement uses.
	NumParams int
}

// PGQuery is a SELECT or a chain of UNIONs with the ORDER BY and LIMIT that
// apply to its result.
type PGQuery struct {
	// With holds the query's common table expressions, visible in its FROM
	// clauses (and its subqueries') under their names.
	With []PGCTE
	// Select is set for a plain SELECT; otherwise Arms holds the UNION's
	// operands, left-associative, and All[i] says whether the operator
	// before Arms[i] is UNION ALL (All[0] is unused).
	Select  *PGSelect
	Arms    []*PGQuery
	All     []bool
	OrderBy []PGOrder
	Limit   PGExpr // nil when absent
	Offset  PGExpr // nil when absent
}

// PGCTE is one WITH name [(Cols)] AS (Query).
type PGCTE struct {
	Name  string
	Cols  []string
	Query *PGQuery
	// Recursive is set for every query of a WITH RECURSIVE clause: it sees
	// all the clause's queries, itself included.
	Recursive bool
}

// PGOrder is one ORDER BY item. An integer constant is an output ordinal.
type PGOrder struct {
	Expr PGExpr
	Desc bool
	// NullsFirst overrides PostgreSQL's default (NULLS LAST ascending,
	// NULLS FIRST descending) when not nil.
	NullsFirst *bool
}

// PGSelect is one SELECT block.
type PGSelect struct {
	Distinct bool
	Items    []PGItem
	From     []PGFrom // the comma-separated FROM list; empty for no FROM
	Where    PGExpr
	GroupBy  []PGExpr
	Having   PGExpr
}

// PGItem is one select-list item: an expression with its output name, or
// a star (Star, optionally qualified by StarTable).
type PGItem struct {
	Expr      PGExpr
	Name      string
	Star      bool
	StarTable string
}

// PGFrom is one relation of a FROM list.
type PGFrom interface{ pgFrom() }

// PGTable is a named relation; Schema is "" when unqualified.
type PGTable struct{ Schema, Name, Alias string }

// PGSubFrom is a derived table (SELECT …) alias [(Cols)].
type PGSubFrom struct {
	Query *PGQuery
	Alias string
	Cols  []string // column aliases; nil keeps the query's names
}

// PGFuncFrom is a function in FROM, e.g. generate_series(1, 3) AS s(n).
type PGFuncFrom struct {
	Call  *PGFunc
	Alias string
	Cols  []string // column aliases; nil names the column after the alias
}

// PGJoinKind is the kind of a PGJoin.
type PGJoinKind int

// The join kinds. An inner join without ON is a cross join.
const (
	PGInnerJoin PGJoinKind = iota
	PGLeftJoin
	PGRightJoin
)

// PGJoin is Left [LEFT|RIGHT] JOIN Right ON On | USING (Using).
type PGJoin struct {
	Left, Right PGFrom
	Kind        PGJoinKind
	On          PGExpr
	Using       []string
}

func (*PGTable) pgFrom()       {}
func (*PGSubFrom) pgFrom()     {}
func (*PGFuncFrom) pgFrom()    {}
func (*PGJoin) pgFrom()        {}
func (*PGUnsupported) pgFrom() {}

// PGExpr is an untyped expression of a catalog query; the evaluator types
// values as it computes them, as PostgreSQL does with unknown literals.
type PGExpr interface{ pgExpr() }

// PGConst is a literal: nil, bool, int64, float64 or string.
type PGConst struct{ Value any }

// PGParam is $N (1-based).
type PGParam struct{ N int }

// PGColumn is [table.]name.
type PGColumn struct{ Table, Name string }

// PGFunc is a function or aggregate call; Name is lower case without its
// schema. Star is count(*). Order is an aggregate's ORDER BY: the order in
// which array_agg and string_agg see their rows.
type PGFunc struct {
	Name     string
	Args     []PGExpr
	Star     bool
	Distinct bool
	Order    []PGOrder
}

// PGOp is a binary operator (L op R) or, with L nil, a prefix one ("not",
// "-"). Ops: and or = <> < <= > >= + - * / % || & |.
type PGOp struct {
	Op   string
	L, R PGExpr
}

// PGIsNull is X IS [NOT] NULL.
type PGIsNull struct {
	X   PGExpr
	Not bool
}

// PGIsBool is X IS [NOT] TRUE|FALSE.
type PGIsBool struct {
	X          PGExpr
	Value, Not bool
}

// PGIn is X [NOT] IN (List) or X [NOT] IN (Sub).
type PGIn struct {
	X    PGExpr
	List []PGExpr
	Sub  *PGQuery
	Not  bool
}

// PGExists is [NOT] EXISTS (Sub).
type PGExists struct {
	Sub *PGQuery
	Not bool
}

// PGSubquery is a scalar subquery.
type PGSubquery struct{ Sub *PGQuery }

// PGArray is ARRAY[Elems] or ARRAY(Sub).
type PGArray struct {
	Elems []PGExpr
	Sub   *PGQuery
}

// PGAny is X op ANY|ALL (Arr) with Arr an array, or over a subquery (Sub).
type PGAny struct {
	Op  string
	X   PGExpr
	Arr PGExpr
	Sub *PGQuery
	All bool
}

// PGWhen is one WHEN … THEN … of a CASE.
type PGWhen struct{ Cond, Then PGExpr }

// PGCase is CASE [Value] WHEN … END.
type PGCase struct {
	Value PGExpr
	Whens []PGWhen
	Else  PGExpr
}

// PGCast is X::Type; Type is PostgreSQL's name ("bigint", "regclass",
// "text", "int2[]").
type PGCast struct {
	X    PGExpr
	Type string
}

// PGLike is X [NOT] LIKE|ILIKE Pattern [ESCAPE Escape].
type PGLike struct {
	X, Pattern      PGExpr
	Not, IgnoreCase bool
	Escape          byte
}

// PGRegex is X ~ Pattern and its variants !~, ~*, !~*.
type PGRegex struct {
	X, Pattern      PGExpr
	Not, IgnoreCase bool
}

// PGBetween is X [NOT] BETWEEN Lo AND Hi.
type PGBetween struct {
	X, Lo, Hi PGExpr
	Not       bool
}

// PGSubscript is X[Index] (1-based).
type PGSubscript struct{ X, Index PGExpr }

// PGField is (X).Name: a field of a composite value.
type PGField struct {
	X    PGExpr
	Name string
}

// PGWindow is a window function call: Name(Args) OVER (PARTITION BY
// Partition ORDER BY Order). The frame is the default, so ranking
// functions see the whole partition.
type PGWindow struct {
	Name      string
	Args      []PGExpr
	Partition []PGExpr
	Order     []PGOrder
}

// PGUnsupported stands for syntax the catalog evaluator does not run. It is
// an error only when evaluated, so a query whose unsupported part is never
// reached (a CASE branch, a subquery over an empty relation) still runs.
type PGUnsupported struct{ Feature string }

func (*PGConst) pgExpr()       {}
func (*PGParam) pgExpr()       {}
func (*PGColumn) pgExpr()      {}
func (*PGFunc) pgExpr()        {}
func (*PGOp) pgExpr()          {}
func (*PGIsNull) pgExpr()      {}
func (*PGIsBool) pgExpr()      {}
func (*PGIn) pgExpr()          {}
func (*PGExists) pgExpr()      {}
func (*PGSubquery) pgExpr()    {}
func (*PGArray) pgExpr()       {}
func (*PGAny) pgExpr()         {}
func (*PGCase) pgExpr()        {}
func (*PGCast) pgExpr()        {}
func (*PGLike) pgExpr()        {}
func (*PGRegex) pgExpr()       {}
func (*PGBetween) pgExpr()     {}
func (*PGSubscript) pgExpr()   {}
func (*PGField) pgExpr()       {}
func (*PGWindow) pgExpr()      {}
func (*PGUnsupported) pgExpr() {}
