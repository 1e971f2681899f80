package server

import (
	"maps"
	"strings"
)

// txnBlock is what ending a transaction block undoes. Sluice has no
// transactions over streams, but parameters behave as in PostgreSQL: a SET
// inside a block is rolled back with it, and SET LOCAL lasts until the
// block ends either way.
type txnBlock struct {
	begin map[string]string // parameters at BEGIN, restored by ROLLBACK
	// outer holds, for each parameter whose current value was set with SET
	// LOCAL, its session-level value (nil: unset), restored by COMMIT.
	outer      map[string]*string
	savepoints []savepoint
}

// savepoint is the parameter state at SAVEPOINT name.
type savepoint struct {
	name   string
	params map[string]string
	outer  map[string]*string
}

// undoable records the undo state before a change inside a block. It is
// made on first use, so a block begun elsewhere still gets one; outside a
// block there is nothing to undo.
func (s *session) undoable() {
	if s.txn == txnIdle {
		s.blk = nil
		return
	}
	if s.blk == nil {
		s.blk = &txnBlock{begin: maps.Clone(s.params), outer: map[string]*string{}}
	}
}

// noteLocal keeps the session-level value of name before SET LOCAL (or
// forgets it before a session-level SET, which replaces it).
func (s *session) noteLocal(name string, local bool) {
	if s.blk == nil {
		return
	}
	if !local {
		delete(s.blk.outer, name)
		return
	}
	if _, ok := s.blk.outer[name]; ok {
		return
	}
	var prev *string
	if v, ok := s.params[name]; ok {
		prev = &v
	}
	s.blk.outer[name] = prev
}

func (s *session) begin() {
	s.txn = txnInBlock
	s.blk = &txnBlock{begin: maps.Clone(s.params), outer: map[string]*string{}}
}

// endBlock ends the block: COMMIT keeps session-level SETs and drops SET
// LOCAL ones; ROLLBACK restores the parameters of BEGIN.
func (s *session) endBlock(commit bool) {
	switch b := s.blk; {
	case b != nil && !commit:
		s.params = b.begin
	case b != nil:
		for name, v := range b.outer {
			if v == nil {
				delete(s.params, name)
			} else {
				s.params[name] = *v
			}
		}
	}
	s.txn, s.blk = txnIdle, nil
}

// findSavepoint returns the index of the latest savepoint named name, or -1.
func (s *session) findSavepoint(name string) int {
	s.undoable()
	for i := len(s.blk.savepoints) - 1; i >= 0; i-- {
		if s.blk.savepoints[i].name == name {
			return i
		}
	}
	return -1
}

func (s *session) defineSavepoint(name string) {
	s.undoable()
	s.blk.savepoints = append(s.blk.savepoints, savepoint{name: name, params: maps.Clone(s.params), outer: maps.Clone(s.blk.outer)})
}

// rollbackTo restores savepoint i, which stays defined; later ones go.
func (s *session) rollbackTo(i int) {
	sp := s.blk.savepoints[i]
	s.params, s.blk.outer = maps.Clone(sp.params), maps.Clone(sp.outer)
	s.blk.savepoints = s.blk.savepoints[:i+1]
	s.txn = txnInBlock
}

// setTransaction applies SET TRANSACTION … (this transaction only) and SET
// SESSION CHARACTERISTICS AS TRANSACTION … (the session's defaults). Sluice
// runs every level as read committed (as PostgreSQL runs read
// uncommitted); SHOW reports what was set.
func (s *session) setTransaction(spec string) error {
	u := strings.ToUpper(strings.Join(strings.Fields(spec), " "))
	prefix, local := "", true
	if strings.HasPrefix(u, "CHARACTERISTICS") {
		prefix, local = "default_", false
	}
	if _, rest, ok := strings.Cut(u, "ISOLATION LEVEL "); ok {
		for _, level := range []string{"SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED", "READ UNCOMMITTED"} {
			if strings.HasPrefix(rest, level) {
				if err := s.assign(prefix+"transaction_isolation", strings.ToLower(level), local); err != nil {
					return err
				}
			}
		}
	}
	switch {
	case strings.Contains(u, "READ ONLY"):
		return s.assign(prefix+"transaction_read_only", "on", local)
	case strings.Contains(u, "READ WRITE"):
		return s.assign(prefix+"transaction_read_only", "off", local)
	}
	return nil
}
