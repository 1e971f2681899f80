package planner

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// Session is the client session a statement executes in, as the session
// functions see it (current_setting, set_config, current_user,
// pg_backend_pid, pg_cancel_backend, …). The server attaches it to the
// context given to Execute (WithSession): it is request-scoped, and the
// context already reaches every Execute call, so no call site changes.
// Execute calls its methods only on the calling goroutine and before it
// returns: every session function is evaluated once, when the statement's
// plan is built, and becomes a constant (a continuous query sees the values
// of the moment it started).
type Session interface {
	// Setting returns a run-time parameter's current value; ok is false
	// when the parameter is unknown.
	Setting(name string) (value string, ok bool)
	// SetSetting sets a parameter as SET (or SET LOCAL) does and returns
	// its new value. value "DEFAULT" resets it.
	SetSetting(name, value string, local bool) (string, error)
	// User is the session's user name.
	User() string
	// Database is the database named at connection startup.
	Database() string
	// BackendPID is the process ID of the session's BackendKeyData.
	BackendPID() int32
	// CancelBackend cancels the running query of the session with that
	// process ID, as a CancelRequest would; false when there is none.
	CancelBackend(pid int32) bool
}

type sessionKey struct{}

// WithSession returns ctx carrying s for the session functions of the
// statements executed with it.
func WithSession(ctx context.Context, s Session) context.Context {
	return context.WithValue(ctx, sessionKey{}, s)
}

// sessionOf is the session in ctx, or the defaults of a session that
// set nothing (tests and embedded use).
func sessionOf(ctx context.Context) Session {
	if s, ok := ctx.Value(sessionKey{}).(Session); ok && s != nil {
		return s
	}
	return defaultSession{}
}

// defaultSession answers as a fresh session of user "sluice" would;
// set_config changes nothing.
type defaultSession struct{}

var defaultSettings = map[string]string{
	"search_path": `"$user", public`, "server_version": "15.0 (Sluice 0.1)", "server_version_num": "150000",
	"timezone": "UTC", "datestyle": "ISO, MDY", "client_encoding": "UTF8", "server_encoding": "UTF8",
	"standard_conforming_strings": "on", "transaction_isolation": "read committed",
}

func (defaultSession) Setting(name string) (string, bool) {
	v, ok := defaultSettings[strings.ToLower(name)]
	return v, ok
}
func (defaultSession) SetSetting(_, value string, _ bool) (string, error) { return value, nil }
func (defaultSession) User() string                                       { return "sluice" }
func (defaultSession) Database() string                                   { return "sluice" }
func (defaultSession) BackendPID() int32                                  { return 0 }
func (defaultSession) CancelBackend(int32) bool                           { return false }

// stmtEnv is what the session functions of one execution read: the session
// and the statement's time (now(), fixed for the statement as PostgreSQL
// fixes it for the transaction). A nil *stmtEnv (persistent queries)
// refuses them.
type stmtEnv struct {
	sess Session
	now  time.Time
}

func (p *Planner) stmtEnv(ctx context.Context) *stmtEnv {
	return &stmtEnv{sess: sessionOf(ctx), now: p.eng.Now()}
}

// VersionString is version()'s answer. Clients parse "PostgreSQL 15.0"
// from it (SQLAlchemy fails without it).
func VersionString() string {
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64", "386": "i686"}[runtime.GOARCH]
	if arch == "" {
		arch = runtime.GOARCH
	}
	return fmt.Sprintf("PostgreSQL 15.0 (Sluice 0.1) on %s-pc-%s-gnu, compiled by Go %s, 64-bit",
		arch, runtime.GOOS, strings.TrimPrefix(runtime.Version(), "go"))
}

// sessionCall folds a session function to a constant.
func (c *converter) sessionCall(e *sql.Call) exec.Expr {
	if c.env == nil {
		c.fail(sql.Errorf(sql.CodeFeatureNotSupported,
			"not supported: %s() in a materialized view or sink (its value would be fixed when the query starts)", e.Func))
		return exec.Lit(nil, e.T)
	}
	args := make([]any, len(e.Args))
	for i, a := range e.Args {
		v, ok := c.constant(a)
		if !ok {
			c.fail(sql.Errorf(sql.CodeFeatureNotSupported, "not supported: %s() with an argument that is not a constant", e.Func))
			return exec.Lit(nil, e.T)
		}
		args[i] = v
	}
	v, err := c.env.eval(e.Func, args)
	c.fail(err)
	if ts, ok := v.(time.Time); ok && e.T.ID() == arrow.TIMESTAMP {
		v = ts.UnixMicro()
	}
	return exec.Lit(v, e.T)
}

// constant is the value of a constant argument: a literal, a parameter, or
// a session function over constants.
func (c *converter) constant(e sql.Expr) (any, bool) {
	switch e := e.(type) {
	case *sql.Literal:
		return e.Value, true
	case *sql.Param:
		if e.Index < len(c.params) {
			return c.params[e.Index], true
		}
	case *sql.Call:
		if sql.IsSessionFunc(e.Func) && c.env != nil {
			args := make([]any, len(e.Args))
			for i, a := range e.Args {
				v, ok := c.constant(a)
				if !ok {
					return nil, false
				}
				args[i] = v
			}
			v, err := c.env.eval(e.Func, args)
			c.fail(err)
			return v, err == nil
		}
	}
	return nil, false
}
