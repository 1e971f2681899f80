package server

import (
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/jackc/pgx/v5/pgproto3"
)

// TestPGTest runs the pgtest-style files in testdata/pgtest (after
// cockroach's pkg/testutils/pgtest): `send` writes frontend messages given
// as `Type {json}` lines, `until` reads backend messages up to each listed
// type and prints them as JSON lines. Other commands:
//
//	dial               open a connection without startup
//	connect            dial + StartupMessage, read up to ReadyForQuery (prints nothing)
//	read-byte          read one raw byte (the SSLRequest answer)
//	send-raw           write the hex bytes of the input
//	until-eof          read messages until the server closes the connection
//	cancel             send CancelRequest with this session's BackendKeyData
//	feed rows=N first=K  push a batch into the running continuous query
//	disconnect         close the client side
//	wait-closed        wait until the server closed the continuous query's stream
//	copied             print the rows COPY FROM produced so far (and forget them)
func TestPGTest(t *testing.T) {
	datadriven.Walk(t, "testdata/pgtest", func(t *testing.T, path string) {
		ts := startServer(t)
		h := &pgtestConn{t: t, ts: ts}
		defer h.close()
		datadriven.RunTest(t, path, h.run)
	})
}

type pgtestConn struct {
	t      *testing.T
	ts     *testServer
	nc     net.Conn
	fe     *pgproto3.Frontend
	key    *pgproto3.BackendKeyData
	stream *fakeStream
	first  int
}

func (h *pgtestConn) close() {
	if h.nc != nil {
		_ = h.nc.Close()
	}
}

func (h *pgtestConn) dial() {
	h.close()
	nc, err := net.Dial("tcp", h.ts.Addr().String())
	if err != nil {
		h.t.Fatal(err)
	}
	_ = nc.SetDeadline(time.Now().Add(20 * time.Second))
	h.nc, h.fe = nc, pgproto3.NewFrontend(nc, nc)
}

func (h *pgtestConn) run(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "dial":
		h.dial()
		return "ok"
	case "connect":
		h.dial()
		h.send(&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
			Parameters: map[string]string{"user": "test", "application_name": "pgtest"}})
		h.until([]string{"ReadyForQuery"})
		return ""
	case "send":
		for line := range strings.SplitSeq(strings.TrimSpace(d.Input), "\n") {
			h.send(decodeFrontend(t, line))
		}
		return ""
	case "send-raw":
		b, err := hex.DecodeString(strings.Join(strings.Fields(d.Input), ""))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := h.nc.Write(b); err != nil {
			t.Fatal(err)
		}
		return ""
	case "read-byte":
		var b [1]byte
		if _, err := io.ReadFull(h.nc, b[:]); err != nil {
			t.Fatal(err)
		}
		return string(b[:])
	case "until":
		return h.until(strings.Fields(d.Input))
	case "until-eof":
		return h.untilEOF()
	case "cancel":
		nc, err := net.Dial("tcp", h.ts.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = nc.Close() }()
		fe := pgproto3.NewFrontend(nc, nc)
		fe.Send(&pgproto3.CancelRequest{ProcessID: h.key.ProcessID, SecretKey: h.key.SecretKey})
		if err := fe.Flush(); err != nil {
			t.Fatal(err)
		}
		// The server closes a cancel connection without answering.
		if _, err := nc.Read(make([]byte, 1)); err != io.EOF {
			t.Fatalf("cancel connection: want EOF, got %v", err)
		}
		return "ok"
	case "feed":
		rows, first := 1, h.first
		for _, arg := range d.CmdArgs {
			switch arg.Key {
			case "rows":
				d.ScanArgs(t, "rows", &rows)
			case "first":
				d.ScanArgs(t, "first", &first)
			}
		}
		if h.stream == nil {
			h.stream = h.ts.exec.lastStream(t)
		}
		h.stream.ch <- h.ts.exec.streamBatch(first, rows)
		h.first = first + rows
		return "ok"
	case "disconnect":
		h.close()
		h.nc = nil
		return "ok"
	case "copied":
		return h.ts.exec.copiedRows()
	case "wait-closed":
		if h.stream == nil {
			h.stream = h.ts.exec.lastStream(t)
		}
		h.stream.waitClosed(t)
		h.stream = nil
		return "closed"
	}
	t.Fatalf("unknown command %s", d.Cmd)
	return ""
}

func (h *pgtestConn) send(msg pgproto3.FrontendMessage) {
	h.fe.Send(msg)
	if err := h.fe.Flush(); err != nil {
		h.t.Fatal(err)
	}
}

// until reads backend messages until each of types has been seen in order.
func (h *pgtestConn) until(types []string) string {
	var out strings.Builder
	for _, want := range types {
		for {
			msg, err := h.fe.Receive()
			if err != nil {
				h.t.Fatalf("waiting for %s: %v\nso far:\n%s", want, err, out.String())
			}
			out.WriteString(h.render(msg))
			out.WriteByte('\n')
			if messageType(msg) == want {
				break
			}
		}
	}
	return out.String()
}

func (h *pgtestConn) untilEOF() string {
	var out strings.Builder
	for {
		msg, err := h.fe.Receive()
		if err != nil {
			out.WriteString("EOF\n")
			return out.String()
		}
		out.WriteString(h.render(msg))
		out.WriteByte('\n')
	}
}

func messageType(msg pgproto3.BackendMessage) string {
	return reflect.TypeOf(msg).Elem().Name()
}

// render prints msg as JSON, with the random BackendKeyData redacted.
func (h *pgtestConn) render(msg pgproto3.BackendMessage) string {
	if k, ok := msg.(*pgproto3.BackendKeyData); ok {
		h.key = &pgproto3.BackendKeyData{ProcessID: k.ProcessID, SecretKey: append([]byte(nil), k.SecretKey...)}
		return `{"Type":"BackendKeyData","ProcessID":"redacted","SecretKey":"redacted"}`
	}
	if e, ok := msg.(*pgproto3.ErrorResponse); ok {
		// Only the fields a client relies on; the rest are empty.
		b, _ := json.Marshal(struct {
			Type, Severity, Code, Message string
			Position                      int32  `json:",omitempty"`
			Where                         string `json:",omitempty"`
		}{"ErrorResponse", e.Severity, e.Code, e.Message, e.Position, e.Where})
		return string(b)
	}
	if d, ok := msg.(*pgproto3.CopyData); ok {
		// COPY output is text: show it as text, not pgproto3's hex.
		b, _ := json.Marshal(struct{ Type, Text string }{"CopyData", string(d.Data)})
		return string(b)
	}
	b, err := json.Marshal(msg)
	if err != nil {
		h.t.Fatal(err)
	}
	return string(b)
}

// decodeFrontend parses a `Type {json}` line.
func decodeFrontend(t *testing.T, line string) pgproto3.FrontendMessage {
	name, body, _ := strings.Cut(strings.TrimSpace(line), " ")
	var msg pgproto3.FrontendMessage
	switch name {
	case "Query":
		msg = &pgproto3.Query{}
	case "Parse":
		msg = &pgproto3.Parse{}
	case "Bind":
		msg = &pgproto3.Bind{}
	case "Describe":
		msg = &pgproto3.Describe{}
	case "Execute":
		msg = &pgproto3.Execute{}
	case "Sync":
		msg = &pgproto3.Sync{}
	case "Flush":
		msg = &pgproto3.Flush{}
	case "Close":
		msg = &pgproto3.Close{}
	case "Terminate":
		msg = &pgproto3.Terminate{}
	case "CopyData":
		var text struct{ Text string }
		if err := json.Unmarshal([]byte(body), &text); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		return &pgproto3.CopyData{Data: []byte(text.Text)}
	case "CopyDone":
		msg = &pgproto3.CopyDone{}
	case "CopyFail":
		msg = &pgproto3.CopyFail{}
	case "SSLRequest":
		msg = &pgproto3.SSLRequest{}
	case "GSSEncRequest":
		msg = &pgproto3.GSSEncRequest{}
	case "StartupMessage":
		msg = &pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30}
	default:
		t.Fatalf("unknown frontend message %q", name)
	}
	if body != "" {
		if err := json.Unmarshal([]byte(body), msg); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
	}
	return msg
}
