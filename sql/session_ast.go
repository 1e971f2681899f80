package sql

// SavepointKind is the kind of a savepoint statement.
type SavepointKind int

// The savepoint statements. Like BEGIN and COMMIT they change only the
// session's transaction status: Sluice has no transactions over streams.
const (
	SavepointDefine     SavepointKind = iota + 1 // SAVEPOINT name
	SavepointRelease                             // RELEASE [SAVEPOINT] name
	SavepointRollbackTo                          // ROLLBACK [WORK|TRANSACTION] TO [SAVEPOINT] name
)

// Savepoint is SAVEPOINT, RELEASE SAVEPOINT or ROLLBACK TO SAVEPOINT.
type Savepoint struct {
	StmtBase
	Kind SavepointKind
	Name string // lower-cased unless quoted
}

// Deallocate is DEALLOCATE [PREPARE] {name | ALL}: it drops a prepared
// statement of the session (psqlODBC drops its _PLAN statements this way).
type Deallocate struct {
	StmtBase
	Name string // as written: quoted names keep their case; "" with All
	All  bool
}

// Discard is DISCARD {ALL | PLANS | SEQUENCES | TEMP | TEMPORARY}. What is
// the lower-cased keyword ("temporary" is folded to "temp").
type Discard struct {
	StmtBase
	What string
}
