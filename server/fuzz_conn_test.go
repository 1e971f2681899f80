package server

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/planner"
)

// fuzzMaxInput bounds the bytes of one FuzzServeConn input, so that each
// execution stays fast.
const fuzzMaxInput = 4 << 10

// fuzzSessionTimeout is how long a session may take once its input is
// consumed before FuzzServeConn reports a hang.
const fuzzSessionTimeout = 10 * time.Second

// FuzzServeConn runs one whole session of the real connection code
// (serveConn: startup, reader, executor) with the fake executor, over an
// in-memory connection whose client sends the fuzzer's bytes, then shuts
// its write side (the server reads EOF) while everything the server writes
// is read and discarded. With withStartup false a valid StartupMessage is
// sent first; with true the bytes include the startup phase themselves.
//
// The session must end within fuzzSessionTimeout, nothing may panic (a
// recovered panic is logged and answered FATAL XX000; only the fake
// executor's deliberate "SELECT panic" is allowed), no goroutine of the
// connection may be left, and all Arrow memory must be released.
func FuzzServeConn(f *testing.F) {
	for _, s := range serveConnSeeds() {
		f.Add(s.data, s.withStartup)
	}
	f.Fuzz(func(t *testing.T, data []byte, withStartup bool) {
		if len(data) > fuzzMaxInput {
			return
		}
		input := data
		if !withStartup {
			input = append(fuzzStartup(), data...)
		}
		runFuzzSession(t, input)
	})
}

type serveConnSeed struct {
	data        []byte
	withStartup bool
}

func fuzzStartup() []byte {
	b, err := (&pgproto3.StartupMessage{ProtocolVersion: pgproto3.ProtocolVersion30,
		Parameters: map[string]string{"user": "fuzz", "application_name": "fuzz"}}).Encode(nil)
	if err != nil {
		panic(err)
	}
	return b
}

func encodeMessages(msgs ...pgproto3.FrontendMessage) []byte {
	var b []byte
	for _, m := range msgs {
		var err error
		if b, err = m.Encode(b); err != nil {
			panic(err)
		}
	}
	return b
}

func serveConnSeeds() []serveConnSeed {
	int8Param := []byte{0, 0, 0, 0, 0, 0, 0, 42}
	cancel := encodeMessages(&pgproto3.CancelRequest{ProcessID: 1234, SecretKey: []byte{1, 2, 3, 4}})
	simple := encodeMessages(
		&pgproto3.Query{String: "SELECT ints"},
		&pgproto3.Query{String: "SELECT types; SELECT stream limit"},
		&pgproto3.Query{String: "BEGIN; SET application_name = x; SELECT boom"},
		&pgproto3.Query{String: "ROLLBACK; SHOW application_name; SELEC 1"},
		&pgproto3.Query{String: "SELECT stream; SELECT panic"},
		&pgproto3.Terminate{},
	)
	extended := encodeMessages(
		&pgproto3.Parse{Name: "s", Query: "SELECT param", ParameterOIDs: []uint32{20}},
		&pgproto3.Bind{PreparedStatement: "s", ParameterFormatCodes: []int16{1},
			Parameters: [][]byte{int8Param}, ResultFormatCodes: []int16{1}},
		&pgproto3.Describe{ObjectType: 'S', Name: "s"},
		&pgproto3.Describe{ObjectType: 'P'},
		&pgproto3.Execute{},
		&pgproto3.Sync{},
		&pgproto3.Parse{Query: "SELECT stream"},
		&pgproto3.Bind{},
		&pgproto3.Execute{MaxRows: 1},
		&pgproto3.Flush{},
		&pgproto3.Execute{MaxRows: 1},
		&pgproto3.Close{ObjectType: 'P'},
		&pgproto3.Sync{},
		&pgproto3.Parse{Name: "t", Query: "SELECT tparam"},
		&pgproto3.Bind{PreparedStatement: "t", Parameters: [][]byte{[]byte("hi")}},
		&pgproto3.Execute{},
		&pgproto3.Close{ObjectType: 'S', Name: "t"},
		&pgproto3.Sync{},
		&pgproto3.Terminate{},
	)
	ssl := binary.BigEndian.AppendUint32([]byte{0, 0, 0, 8}, 80877103)
	return []serveConnSeed{
		{simple, false},
		{extended, false},
		{slices.Concat(fuzzStartup(), simple), true},
		{slices.Concat(ssl, fuzzStartup(), extended), true},
		{cancel, false}, // CancelRequest-shaped bytes inside a session
		{cancel, true},  // a real CancelRequest
		{encodeMessages(&pgproto3.Terminate{}), false},
		{encodeMessages(&pgproto3.Query{String: "SELECT ints"})[:9], false},                    // truncated
		{binary.BigEndian.AppendUint32([]byte{'Q'}, 9999), false},                              // truncated: length beyond the input
		{append(binary.BigEndian.AppendUint32([]byte{'Q'}, 0x7fffffff), "SELECT 1"...), false}, // oversized
		{binary.BigEndian.AppendUint32(nil, 0x7fffffff), true},                                 // oversized startup
		{[]byte("GET / HTTP/1.1\r\n\r\n"), true},
		{nil, false},
	}
}

// runFuzzSession serves one connection whose client sends input.
func runFuzzSession(t *testing.T, input []byte) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	logs := &panicLog{}
	opts := Options{Logger: slog.New(logs), MaxMessageSize: 1 << 16}
	opts.testing.executor = &fuzzExec{fakeExec: newFakeExec(mem)}
	opts.testing.newFrontend = func() sqlFrontend { return fakeFrontend{} }
	opts.testing.startupTimeout = fuzzSessionTimeout
	s, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	before := connGoroutines()
	nc := newFuzzConn(input)
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.serveConn(context.Background(), nc, 1)
	}()
	select {
	case <-done:
	case <-time.After(fuzzSessionTimeout):
		buf := make([]byte, 1<<20)
		t.Fatalf("session did not end after its input was consumed (read %d of %d bytes)\n%s",
			nc.consumed(), len(input), buf[:runtime.Stack(buf, true)])
	}
	if p := logs.panics(); len(p) > 0 {
		t.Fatalf("recovered panic:\n%s", strings.Join(p, "\n"))
	}
	if !nc.isClosed() {
		t.Error("the server did not close the connection")
	}
	// serveConn waits for its reader; give anything else a moment.
	for deadline := time.Now().Add(time.Second); connGoroutines() > before; {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("goroutines left after the session:\n%s", buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
	mem.AssertSize(t, 0)
}

// connGoroutines counts the goroutines running connection code.
func connGoroutines() int {
	buf := make([]byte, 1<<16)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for g := range bytes.SplitSeq(buf, []byte("\n\n")) {
		if bytes.Contains(g, []byte("sluice/server.(*conn)")) || bytes.Contains(g, []byte("sluice/server.(*fakeStream)")) {
			count++
		}
	}
	return count
}

// fuzzExec is the harness's fake executor, except that continuous queries
// get streams fed up front: "SELECT stream" and "SELECT stream limit" send
// their batches and end with io.EOF; "SELECT block" sends nothing and ends
// only when cancelled. No stream is announced on streamStarted, which
// nobody reads here.
type fuzzExec struct {
	*fakeExec
}

func (f *fuzzExec) Execute(ctx context.Context, p *planner.Prepared, params []any) (*planner.Result, error) {
	var s *fakeStream
	switch p.Stmt.Text() {
	case "SELECT stream":
		s = f.stream(3, f.streamBatch(1, 2), f.streamBatch(0, 0), f.streamBatch(3, 1), f.streamBatch(4, 3))
	case "SELECT stream limit":
		s = f.stream(2, f.streamBatch(1, 2), f.streamBatch(3, 2))
	case "SELECT block":
		s = f.stream(-1)
	default:
		return f.fakeExec.Execute(ctx, p, params)
	}
	return &planner.Result{Tag: "SELECT", Schema: streamSchema, Stream: s}, nil
}

func (f *fuzzExec) stream(limit int, batches ...arrow.RecordBatch) *fakeStream {
	s := &fakeStream{ch: make(chan arrow.RecordBatch, len(batches)), closed: make(chan struct{}), limit: limit}
	for _, b := range batches {
		s.ch <- b
	}
	return s
}

// fuzzConn is the server's side of a client that sends its input, then
// shuts down its write side (reads return io.EOF) and discards whatever
// the server writes. Deadlines are ignored: reads never block.
type fuzzConn struct {
	mu     sync.Mutex
	in     []byte
	off    int
	closed bool
}

func newFuzzConn(input []byte) *fuzzConn { return &fuzzConn{in: input} }

func (c *fuzzConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	if c.off == len(c.in) {
		return 0, io.EOF
	}
	n := copy(p, c.in[c.off:])
	c.off += n
	return n, nil
}

func (c *fuzzConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, net.ErrClosed
	}
	return len(p), nil
}

func (c *fuzzConn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	return nil
}

func (c *fuzzConn) consumed() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.off
}

func (c *fuzzConn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (*fuzzConn) LocalAddr() net.Addr              { return fuzzAddr{} }
func (*fuzzConn) RemoteAddr() net.Addr             { return fuzzAddr{} }
func (*fuzzConn) SetDeadline(time.Time) error      { return nil }
func (*fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (*fuzzConn) SetWriteDeadline(time.Time) error { return nil }

type fuzzAddr struct{}

func (fuzzAddr) Network() string { return "fuzz" }
func (fuzzAddr) String() string  { return "fuzz" }

// panicLog is a slog.Handler that keeps the server's "panic …" records
// (recovered panics), except the fake executor's deliberate one.
type panicLog struct {
	mu   sync.Mutex
	msgs []string
}

func (*panicLog) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelError }

func (h *panicLog) Handle(_ context.Context, r slog.Record) error {
	if !strings.HasPrefix(r.Message, "panic") {
		return nil
	}
	var b strings.Builder
	b.WriteString(r.Message)
	deliberate := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "panic" && a.Value.String() == "fake executor panic" {
			deliberate = true
		}
		b.WriteString("\n" + a.Key + ": " + a.Value.String())
		return true
	})
	if deliberate {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, b.String())
	return nil
}

func (h *panicLog) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *panicLog) WithGroup(string) slog.Handler      { return h }

func (h *panicLog) panics() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.msgs...)
}
