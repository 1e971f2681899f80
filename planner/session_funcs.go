package planner

import (
	"strings"

	"github.com/sluicedb/sluice/sql"
)

// eval computes a session function over constant arguments. Like their
// PostgreSQL counterparts they are strict (a NULL argument gives NULL),
// except set_config, whose NULL value resets the parameter.
func (env *stmtEnv) eval(fn string, args []any) (any, error) {
	s := env.sess
	if fn != "set_config" && fn != "current_setting" {
		for _, a := range args {
			if a == nil {
				return nil, nil
			}
		}
	}
	switch fn {
	case "version":
		return VersionString(), nil
	case "current_database":
		return s.Database(), nil
	case "current_user", "session_user":
		return s.User(), nil
	case "pg_backend_pid":
		return int64(s.BackendPID()), nil
	case "now":
		return env.now, nil
	case "current_schema":
		if schemas := sessionSchemas(s, false); len(schemas) > 0 {
			return schemas[0], nil
		}
		return nil, nil
	case "current_schemas":
		implicit, _ := args[0].(bool)
		return "{" + strings.Join(sessionSchemas(s, implicit), ",") + "}", nil
	case "pg_cancel_backend":
		pid, _ := args[0].(int64)
		return s.CancelBackend(int32(pid)), nil
	case "current_setting":
		return sessionSetting(s, args)
	case "set_config":
		return setConfig(s, args)
	}
	return nil, sql.Errorf(sql.CodeInternal, "planner: unknown session function %s", fn)
}

// sessionSetting is current_setting(name [, missing_ok]): an unknown name
// is 42704 unless missing_ok, then NULL.
func sessionSetting(s Session, args []any) (any, error) {
	if args[0] == nil || (len(args) > 1 && args[1] == nil) {
		return nil, nil
	}
	name := args[0].(string)
	v, ok := s.Setting(name)
	if ok {
		return v, nil
	}
	if missingOK, _ := args[len(args)-1].(bool); len(args) > 1 && missingOK {
		return nil, nil
	}
	return nil, sql.Errorf(sql.CodeUndefinedObject, "unrecognized configuration parameter %q", name)
}

// setConfig is set_config(name, value, is_local): SET, returning the new
// value.
func setConfig(s Session, args []any) (any, error) {
	name, ok := args[0].(string)
	if !ok {
		return nil, sql.Errorf(sql.CodeInvalidParameter, "SET requires parameter name")
	}
	value, ok := args[1].(string)
	if !ok {
		value = "DEFAULT"
	}
	local, _ := args[2].(bool)
	return s.SetSetting(name, value, local)
}

// sluiceSchemas are the schemas that exist; search_path entries naming
// others are skipped, as PostgreSQL skips schemas that do not exist.
var sluiceSchemas = map[string]bool{"public": true, "pg_catalog": true, "information_schema": true, "sluice": true}

// sessionSchemas is the existing schemas of search_path, in order; with
// implicit, pg_catalog first when the path does not name it
// (current_schemas(true)).
func sessionSchemas(s Session, implicit bool) []string {
	path, _ := s.Setting("search_path")
	var out []string
	if implicit && !strings.Contains(path, "pg_catalog") {
		out = append(out, "pg_catalog")
	}
	for part := range strings.SplitSeq(path, ",") {
		name := strings.TrimSpace(part)
		if unq, ok := strings.CutPrefix(name, `"`); ok {
			name = strings.TrimSuffix(unq, `"`)
		} else {
			name = strings.ToLower(name)
		}
		if sluiceSchemas[name] {
			out = append(out, name)
		}
	}
	return out
}
