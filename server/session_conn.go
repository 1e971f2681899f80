package server

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/sql"
)

// sessionStatement answers the statements the session handles itself
// (BEGIN/COMMIT/ROLLBACK, savepoints, SET/RESET, SHOW name, DEALLOCATE,
// DISCARD) and refuses everything but the end of a failed transaction
// block. handled is false for statements the planner runs.
func (c *conn) sessionStatement(stmt sql.Statement) (out *outcome, handled bool, err error) {
	if c.sess.txn == txnFailed && !endsFailedBlock(stmt) {
		return nil, true, sql.Errorf(codeInFailedTxn, "current transaction is aborted, commands ignored until end of transaction block")
	}
	before := c.sess.reportedValues()
	defer c.reportChanges(before)
	var tag string
	switch s := stmt.(type) {
	case *sql.Txn:
		tag = c.txnStatement(s)
	case *sql.Savepoint:
		tag, err = c.savepointStatement(s)
	case *sql.Set:
		tag, err = c.setStatement(s)
	case *sql.Deallocate:
		tag, err = c.deallocate(s)
	case *sql.Discard:
		tag, err = c.discard(s)
	case *sql.Show:
		if s.Kind != sql.ShowParam {
			return nil, false, nil
		}
		r, err := c.sess.show(s.Name)
		if err != nil {
			return nil, true, err
		}
		return &outcome{tag: "SHOW", src: &rowSource{schema: textSchema(r.cols), text: r}}, true, nil
	default:
		return nil, false, nil
	}
	if err != nil {
		return nil, true, err
	}
	return &outcome{tag: tag}, true, nil
}

// describeSession is the row description of a session statement for the
// extended protocol's Parse and Describe; handled is false for statements
// the planner prepares.
func (c *conn) describeSession(stmt sql.Statement) (schema *arrow.Schema, handled bool, err error) {
	switch s := stmt.(type) {
	case nil, *sql.Empty, *sql.Set, *sql.Txn, *sql.Savepoint, *sql.Deallocate, *sql.Discard:
		return nil, true, nil
	case *sql.Show:
		if s.Kind == sql.ShowParam {
			r, err := c.sess.show(s.Name)
			if err != nil {
				return nil, true, err
			}
			return textSchema(r.cols), true, nil
		}
	}
	return nil, false, nil
}

// endsFailedBlock reports whether stmt may run in a failed block: COMMIT,
// ROLLBACK and ROLLBACK TO SAVEPOINT.
func endsFailedBlock(stmt sql.Statement) bool {
	switch s := stmt.(type) {
	case *sql.Txn:
		return s.Kind != sql.TxnBegin
	case *sql.Savepoint:
		return s.Kind == sql.SavepointRollbackTo
	}
	return false
}

// reportChanges sends ParameterStatus for each reported parameter whose
// value differs from before, as PostgreSQL does after SET, RESET, the end
// of a block or set_config.
func (c *conn) reportChanges(before map[string]string) {
	for _, name := range reportedParams {
		if v := c.sess.get(name); v != before[name] {
			c.be.Send(&pgproto3.ParameterStatus{Name: name, Value: v})
		}
	}
}

// txnStatement applies BEGIN/COMMIT/ROLLBACK and returns the tag. Sluice
// has no transactional effects; the status is tracked for drivers, and
// parameters follow the block (session_txn.go).
func (c *conn) txnStatement(s *sql.Txn) string {
	idle := c.sess.txn == txnIdle
	switch s.Kind {
	case sql.TxnBegin:
		if !idle {
			c.notice(codeActiveTxn, "there is already a transaction in progress")
		} else {
			c.sess.begin()
		}
		if strings.HasPrefix(strings.ToLower(s.Text()), "start") {
			return "START TRANSACTION"
		}
		return "BEGIN"
	case sql.TxnCommit:
		failed := c.sess.txn == txnFailed
		if idle {
			c.notice(codeNoActiveTxn, "there is no transaction in progress")
		}
		c.sess.endBlock(!failed)
		if failed {
			return "ROLLBACK"
		}
		return "COMMIT"
	}
	if idle {
		c.notice(codeNoActiveTxn, "there is no transaction in progress")
	}
	c.sess.endBlock(false)
	return "ROLLBACK"
}

// savepointStatement applies SAVEPOINT, RELEASE and ROLLBACK TO.
func (c *conn) savepointStatement(s *sql.Savepoint) (string, error) {
	what := map[sql.SavepointKind]string{
		sql.SavepointDefine: "SAVEPOINT", sql.SavepointRelease: "RELEASE SAVEPOINT", sql.SavepointRollbackTo: "ROLLBACK TO SAVEPOINT",
	}[s.Kind]
	if c.sess.txn == txnIdle {
		return "", sql.Errorf(codeNoActiveTxn, "%s can only be used in transaction blocks", what)
	}
	if s.Kind == sql.SavepointDefine {
		c.sess.defineSavepoint(s.Name)
		return "SAVEPOINT", nil
	}
	i := c.sess.findSavepoint(s.Name)
	if i < 0 {
		return "", sql.Errorf(codeInvalidSavepoint, "savepoint %q does not exist", s.Name)
	}
	if s.Kind == sql.SavepointRelease {
		c.sess.blk.savepoints = c.sess.blk.savepoints[:i]
		return "RELEASE", nil
	}
	c.sess.rollbackTo(i)
	return "ROLLBACK", nil
}

// setStatement applies SET and RESET; SET LOCAL and SET TRANSACTION outside
// a block do nothing and warn, as in PostgreSQL.
func (c *conn) setStatement(s *sql.Set) (string, error) {
	if c.sess.txn == txnIdle {
		switch {
		case s.Local:
			c.notice(codeNoActiveTxn, "SET LOCAL can only be used in transaction blocks")
		case s.Name == "transaction" && !strings.HasPrefix(strings.ToUpper(s.Value), "CHARACTERISTICS"):
			c.notice(codeNoActiveTxn, "SET TRANSACTION can only be used in transaction blocks")
		}
	}
	if _, err := c.sess.set(s); err != nil {
		return "", err
	}
	if s.Reset {
		return "RESET", nil
	}
	return "SET", nil
}

// deallocate drops prepared statements: those of the extended protocol
// share PostgreSQL's namespace with PREPARE (psqlODBC deallocates its
// _PLAN statements by name). ALL keeps the unnamed statement, which is not
// in that namespace.
func (c *conn) deallocate(s *sql.Deallocate) (string, error) {
	if s.All {
		maps.DeleteFunc(c.stmts, func(name string, _ *prepStmt) bool { return name != "" })
		return "DEALLOCATE ALL", nil
	}
	if _, ok := c.stmts[s.Name]; !ok || s.Name == "" {
		return "", sql.Errorf(codeInvalidStatement, "prepared statement %q does not exist", s.Name)
	}
	delete(c.stmts, s.Name)
	return "DEALLOCATE", nil
}

// discard applies DISCARD: ALL closes every portal and cursor, drops the
// prepared statements and resets every parameter (connection poolers send
// it between clients); PLANS, SEQUENCES and TEMP have nothing to drop.
func (c *conn) discard(s *sql.Discard) (string, error) {
	tag := "DISCARD " + strings.ToUpper(s.What)
	if s.What != "all" {
		return tag, nil
	}
	if c.sess.txn != txnIdle {
		return "", sql.Errorf(codeActiveTxn, "DISCARD ALL cannot run inside a transaction block")
	}
	c.closeAll()
	maps.DeleteFunc(c.stmts, func(name string, _ *prepStmt) bool { return name != "" })
	c.sess.params = maps.Clone(c.sess.base)
	return tag, nil
}

// withSession attaches the session to ctx for the session functions the
// planner evaluates (current_setting, set_config, pg_backend_pid, …).
func (c *conn) withSession(ctx context.Context) context.Context {
	return planner.WithSession(ctx, sessionView{c})
}

// sessionView is the conn's session as the planner sees it. Its methods
// run on the executor goroutine, inside Execute (planner.Session).
type sessionView struct{ c *conn }

var _ planner.Session = sessionView{}

func (v sessionView) Setting(name string) (string, bool) { return v.c.sess.setting(name) }
func (v sessionView) User() string                       { return v.c.sess.user }
func (v sessionView) Database() string                   { return v.c.sess.database }
func (v sessionView) BackendPID() int32                  { return int32(v.c.pid) }

// SetSetting is set_config: SET, reporting a changed ParameterStatus.
// is_local outside a block lasts only for the statement in PostgreSQL; here
// it changes nothing, and the value is returned.
func (v sessionView) SetSetting(name, value string, local bool) (string, error) {
	before := v.c.sess.reportedValues()
	defer v.c.reportChanges(before)
	if _, err := v.c.sess.set(&sql.Set{Name: strings.ToLower(name), Value: value, Local: local}); err != nil {
		return "", err
	}
	if local && v.c.sess.txn == txnIdle {
		return value, nil
	}
	return v.c.sess.get(name), nil
}

// CancelBackend is pg_cancel_backend: it cancels the running query of the
// session with that process ID, as CancelRequest does (every Sluice user
// may, as a PostgreSQL superuser may).
func (v sessionView) CancelBackend(pid int32) bool {
	s := v.c.srv
	s.mu.Lock()
	target := s.mu.sessions[uint32(pid)]
	s.mu.Unlock()
	if target == nil {
		v.c.notice("01000", fmt.Sprintf("PID %d is not a PostgreSQL backend process", pid))
		return false
	}
	target.cancelQuery()
	return true
}
