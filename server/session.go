package server

import (
	"maps"
	"slices"
	"strings"

	"github.com/sluicedb/sluice/sql"
)

// Transaction status bytes of ReadyForQuery.
const (
	txnIdle    = 'I'
	txnInBlock = 'T'
	txnFailed  = 'E'
)

// paramDefault is a session parameter's default value and description.
type paramDefault struct {
	value, desc string
	// readOnly parameters cannot be SET.
	readOnly bool
}

// paramDefaults are the parameters SHOW knows. The first group is reported
// in ParameterStatus at startup (and again when SET changes them).
var paramDefaults = map[string]paramDefault{
	"server_version":                {"15.0 (Sluice 0.1)", "Shows the server version.", true},
	"server_encoding":               {"UTF8", "Shows the server (database) character set encoding.", true},
	"client_encoding":               {"UTF8", "Sets the client's character set encoding.", false},
	"datestyle":                     {"ISO, MDY", "Sets the display format for date and time values.", false},
	"integer_datetimes":             {"on", "Shows whether datetimes are integer based.", true},
	"standard_conforming_strings":   {"on", "Causes '...' strings to treat backslashes literally.", false},
	"timezone":                      {"UTC", "Sets the time zone for displaying and interpreting time stamps.", false},
	"intervalstyle":                 {"postgres", "Sets the display format for interval values.", false},
	"is_superuser":                  {"on", "Shows whether the current user is a superuser.", true},
	"session_authorization":         {"", "Sets the session user name.", true},
	"application_name":              {"", "Sets the application name to be reported in statistics and logs.", false},
	"server_version_num":            {"150000", "Shows the server version as an integer.", true},
	"transaction_isolation":         {"read committed", "Sets the current transaction's isolation level.", false},
	"default_transaction_isolation": {"read committed", "Sets the transaction isolation level of each new transaction.", false},
	"transaction_read_only":         {"off", "Sets the current transaction's read-only status.", false},
	"default_transaction_read_only": {"off", "Sets the default read-only status of new transactions.", false},
	"extra_float_digits":            {"1", "Sets the number of digits displayed for floating-point values.", false},
	"search_path":                   {`"$user", public`, "Sets the schema search order for names that are not schema-qualified.", false},
	"max_identifier_length":         {"63", "Shows the maximum identifier length.", true},
	"statement_timeout":             {"0", "Sets the maximum allowed duration of any statement.", false},
	"lc_collate":                    {"C", "Shows the collation order locale.", true},
	"lc_ctype":                      {"C", "Shows the character classification and case conversion locale.", true},
	"bytea_output":                  {"hex", "Sets the output format for bytea.", false},
}

// reportedParams are sent as ParameterStatus, under PostgreSQL's spelling.
var reportedParams = []string{
	"application_name", "client_encoding", "DateStyle", "integer_datetimes", "IntervalStyle",
	"is_superuser", "server_encoding", "server_version", "session_authorization",
	"standard_conforming_strings", "TimeZone",
}

// paramAliases maps SHOW/SET spellings to parameter names.
var paramAliases = map[string]string{
	"transaction isolation level": "transaction_isolation",
	"time zone":                   "timezone",
	"session authorization":       "session_authorization",
}

// session is the per-connection state of the SQL session: parameters and
// the transaction status. Owned by the executor goroutine.
type session struct {
	user, database string
	// base holds the values given at startup: what RESET restores.
	base   map[string]string
	params map[string]string // lower-cased names; only values that differ from the defaults
	txn    byte
	// blk is the open transaction block's undo state (session_txn.go);
	// nil outside a block.
	blk *txnBlock
}

func newSession(user string, startup map[string]string) session {
	s := session{user: user, database: user, base: map[string]string{"session_authorization": user}, txn: txnIdle}
	for k, v := range startup {
		k = strings.ToLower(k)
		if d, ok := paramDefaults[k]; ok && !d.readOnly {
			s.base[k] = v
		}
	}
	if db := startup["database"]; db != "" {
		s.database = db
	}
	s.params = maps.Clone(s.base)
	return s
}

func canonicalParam(name string) string {
	name = strings.ToLower(strings.TrimSpace(name))
	if a, ok := paramAliases[name]; ok {
		return a
	}
	return name
}

// get returns a parameter's value ("" when unknown). Outside an explicit
// SET TRANSACTION, a transaction's characteristics are the session's
// defaults, as in PostgreSQL.
func (s *session) get(name string) string {
	v, _ := s.setting(name)
	return v
}

// setting returns a parameter's value and whether it exists (known, or
// set by the session).
func (s *session) setting(name string) (string, bool) {
	name = canonicalParam(name)
	if v, ok := s.params[name]; ok {
		return v, true
	}
	if dflt, ok := txnDefaults[name]; ok {
		return s.get(dflt), true
	}
	d, ok := paramDefaults[name]
	return d.value, ok
}

// txnDefaults maps a transaction characteristic to the session default it
// starts from.
var txnDefaults = map[string]string{
	"transaction_isolation": "default_transaction_isolation",
	"transaction_read_only": "default_transaction_read_only",
}

// set applies SET and RESET. It returns the ParameterStatus name to report
// when a single reported parameter changed, or "" (callers that need every
// change compare reportedValues before and after).
func (s *session) set(st *sql.Set) (string, error) {
	name := canonicalParam(st.Name)
	switch {
	case name == "transaction":
		return "", s.setTransaction(st.Value)
	case name == "all" && st.Reset:
		s.undoable()
		s.params = maps.Clone(s.base)
		return "", nil
	}
	if d, known := paramDefaults[name]; known && d.readOnly {
		return "", sql.Errorf(codeCantChangeRuntimeParam, "parameter %q cannot be changed", name)
	}
	value, err := paramValue(name, st.Value)
	if err != nil {
		return "", err
	}
	if err := s.assign(name, value, st.Local); err != nil {
		return "", err
	}
	for _, r := range reportedParams {
		if strings.EqualFold(r, name) {
			return r, nil
		}
	}
	return "", nil
}

// paramValue checks a value for SET; DEFAULT stays "DEFAULT".
func paramValue(name, value string) (string, error) {
	if name != "client_encoding" || strings.EqualFold(value, "DEFAULT") {
		return value, nil
	}
	switch strings.ToUpper(strings.ReplaceAll(value, "-", "")) {
	case "UTF8", "UNICODE":
		return "UTF8", nil
	}
	return "", sql.Errorf(sql.CodeFeatureNotSupported, "client_encoding %q is not supported; Sluice speaks UTF8", value)
}

// assign sets one parameter (value "DEFAULT" restores the startup value).
// Unknown parameters are stored too: drivers set many of them, and SHOW
// reads them back. SET LOCAL outside a transaction block does nothing, as
// in PostgreSQL (which warns).
func (s *session) assign(name, value string, local bool) error {
	if local && s.txn == txnIdle {
		return nil
	}
	s.undoable()
	s.noteLocal(name, local)
	if strings.EqualFold(value, "DEFAULT") {
		if v, ok := s.base[name]; ok {
			s.params[name] = v
		} else {
			delete(s.params, name)
		}
		return nil
	}
	s.params[name] = value
	return nil
}

// reportedValues are the current values of the ParameterStatus parameters.
func (s *session) reportedValues() map[string]string {
	out := make(map[string]string, len(reportedParams))
	for _, r := range reportedParams {
		out[r] = s.get(r)
	}
	return out
}

// show returns the rows of SHOW name: one column named after the parameter,
// or for SHOW ALL the columns name, setting and description.
func (s *session) show(name string) (*textResult, error) {
	name = canonicalParam(name)
	if name == "all" {
		names := make([]string, 0, len(paramDefaults)+len(s.params))
		for n := range paramDefaults {
			names = append(names, n)
		}
		for n := range s.params {
			if _, ok := paramDefaults[n]; !ok {
				names = append(names, n)
			}
		}
		slices.Sort(names)
		r := &textResult{cols: []string{"name", "setting", "description"}}
		for _, n := range names {
			r.rows = append(r.rows, []string{n, s.get(n), paramDefaults[n].desc})
		}
		return r, nil
	}
	_, known := paramDefaults[name]
	if _, set := s.params[name]; !known && !set {
		return nil, sql.Errorf(sql.CodeUndefinedObject, "unrecognized configuration parameter %q", name)
	}
	return &textResult{cols: []string{name}, rows: [][]string{{s.get(name)}}}, nil
}

// textResult is a small result made by the server itself (SHOW): every
// column is text.
type textResult struct {
	cols []string
	rows [][]string
}
