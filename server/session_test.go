package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/sql"
)

// TestSession runs testdata/session: session statements and functions as
// one connection sees them. Each `exec` line is one statement: it runs as
// the executor runs it (conn.sessionStatement, else the real planner with
// the session in the context) and prints the messages the client gets —
// ParameterStatus, notices, rows, the tag or the error — then the
// transaction status. `prepare name` adds an extended-protocol statement.
func TestSession(t *testing.T) {
	h := newGoldenHarness(t, goldenConfigs[0])
	defer h.close()
	sc := newSessionConn(t)
	datadriven.RunTest(t, "testdata/session", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "exec":
			var out strings.Builder
			for line := range strings.SplitSeq(strings.TrimSpace(d.Input), "\n") {
				out.WriteString(sc.exec(h, line))
			}
			return out.String()
		case "prepare":
			var name string
			d.ScanArgs(t, "name", &name)
			sc.c.stmts[name] = &prepStmt{}
			return "ok\n"
		case "describe":
			var out strings.Builder
			for line := range strings.SplitSeq(strings.TrimSpace(d.Input), "\n") {
				out.WriteString(sc.describe(line))
			}
			return out.String()
		case "statements":
			return fmt.Sprintf("%d\n", len(sc.c.stmts))
		}
		t.Fatalf("unknown command %q", d.Cmd)
		return ""
	})
}

type sessionConn struct {
	t   *testing.T
	c   *conn
	out *bytes.Buffer
}

func newSessionConn(t *testing.T) *sessionConn {
	srv := &Server{}
	srv.mu.sessions = map[uint32]*conn{}
	out := &bytes.Buffer{}
	c := &conn{srv: srv, pid: 4242, stmts: map[string]*prepStmt{}, portals: map[string]*portal{}}
	c.be = pgproto3.NewBackend(&bytes.Buffer{}, out)
	c.sess = newSession("alice", map[string]string{"database": "db1", "application_name": "psql", "user": "alice"})
	srv.mu.sessions[c.pid] = c
	return &sessionConn{t: t, c: c, out: out}
}

// exec runs one statement and prints what the client would receive.
func (sc *sessionConn) exec(h *goldenHarness, text string) string {
	stmts, err := sql.NewParser().Parse(text)
	var result string
	if err == nil {
		result, err = sc.run(h, stmts[0])
	}
	if err != nil {
		result = errorLine(err)
		if sc.c.sess.txn == txnInBlock {
			sc.c.sess.txn = txnFailed
		}
	}
	return sc.messages() + result + fmt.Sprintf("[%c]\n", sc.c.sess.txn)
}

func (sc *sessionConn) run(h *goldenHarness, stmt sql.Statement) (string, error) {
	out, ok, err := sc.c.sessionStatement(stmt)
	switch {
	case err != nil:
		return "", err
	case ok && out.src != nil:
		return renderRows(out.src.schema, out.src.text.rows, true), nil
	case ok:
		return out.tag + "\n", nil
	}
	prep, err := h.plan.Prepare(stmt, nil)
	if err != nil {
		return "", err
	}
	res, err := h.plan.Execute(sc.c.withSession(h.ctx), prep, nil)
	if err != nil {
		return "", err
	}
	defer func() {
		for _, b := range res.Rows {
			b.Release()
		}
	}()
	if res.Schema == nil {
		return res.Tag + "\n", nil
	}
	return renderRows(res.Schema, batchRows(res.Rows), true), nil
}

// messages decodes what the session sent besides results.
func (sc *sessionConn) messages() string {
	if err := sc.c.be.Flush(); err != nil {
		sc.t.Fatal(err)
	}
	// A fresh frontend per call: one reads ahead, and what it buffered
	// would print with the next statement.
	fe := pgproto3.NewFrontend(bytes.NewReader(sc.out.Bytes()), nil)
	sc.out.Reset()
	var b strings.Builder
	for {
		m, err := fe.Receive()
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return b.String()
		}
		if err != nil {
			sc.t.Fatal(err)
		}
		switch m := m.(type) {
		case *pgproto3.ParameterStatus:
			fmt.Fprintf(&b, "ParameterStatus %s=%s\n", m.Name, m.Value)
		case *pgproto3.NoticeResponse:
			fmt.Fprintf(&b, "%s (%s): %s\n", m.Severity, m.Code, m.Message)
		default:
			fmt.Fprintf(&b, "%T\n", m)
		}
	}
}

// describe prints the row description Parse gives a session statement:
// its columns, "no rows", or "planner" for statements the planner prepares.
func (sc *sessionConn) describe(text string) string {
	stmts, err := sql.NewParser().Parse(text)
	if err != nil {
		return errorLine(err)
	}
	schema, ok, err := sc.c.describeSession(stmts[0])
	switch {
	case err != nil:
		return errorLine(err)
	case !ok:
		return "planner\n"
	case schema == nil:
		return "no rows\n"
	}
	return renderRows(schema, nil, true)
}
