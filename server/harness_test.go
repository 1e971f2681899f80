package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/sql"
)

// fakeFrontend is a small stand-in for sql.Parser: it splits on ';' and
// recognises the session statements; everything else is a *sql.Select
// whose text the fake executor dispatches on. "SELEC…" is a syntax error.
type fakeFrontend struct{}

func (fakeFrontend) Parse(query string) ([]sql.Statement, error) {
	var out []sql.Statement
	pos := 0
	for part := range strings.SplitSeq(query, ";") {
		start := pos
		pos += len(part) + 1
		text := stripComments(part)
		if text == "" {
			continue
		}
		start += strings.Index(part, text)
		words := strings.Fields(text)
		kw := strings.ToUpper(words[0])
		base := sql.StmtBase{SQL: text}
		switch {
		case kw == "SELEC":
			return nil, &sql.Error{Code: sql.CodeSyntax, Message: `syntax error at or near "SELEC"`, Pos: start + 1}
		case kw == "BEGIN":
			out = append(out, &sql.Txn{StmtBase: base, Kind: sql.TxnBegin})
		case kw == "COMMIT":
			out = append(out, &sql.Txn{StmtBase: base, Kind: sql.TxnCommit})
		case kw == "ROLLBACK":
			out = append(out, &sql.Txn{StmtBase: base, Kind: sql.TxnRollback})
		case kw == "SET" && len(words) >= 3:
			val := strings.Trim(strings.Join(words[3:], " "), "'")
			if len(words) == 3 { // SET a=b
				name, v, _ := strings.Cut(words[1]+words[2], "=")
				words = []string{"SET", name, "=", v}
				val = strings.Trim(v, "'")
			}
			out = append(out, &sql.Set{StmtBase: base, Name: strings.ToLower(words[1]), Value: val})
		case kw == "SHOW" && len(words) >= 2:
			name := strings.ToLower(strings.Join(words[1:], " "))
			if name == "streams" {
				out = append(out, &sql.Show{StmtBase: base, Kind: sql.ShowStreams})
				continue
			}
			out = append(out, &sql.Show{StmtBase: base, Kind: sql.ShowParam, Name: name})
		default:
			out = append(out, &sql.Select{StmtBase: base})
		}
	}
	if len(out) == 0 {
		return []sql.Statement{&sql.Empty{}}, nil
	}
	return out, nil
}

func stripComments(s string) string {
	var b strings.Builder
	for line := range strings.SplitSeq(s, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return strings.TrimSpace(b.String())
}

// fakeExec is a stand-in for *planner.Planner with canned statements:
//
//	SELECT ints          finite: n int8, s text; 5 rows in two batches
//	SELECT types         one row of every type (see typesBatch)
//	SELECT param         $1 (declared or int8), echoed back as column v
//	SELECT tparam        $1 inferred as text, echoed back
//	SELECT stream        continuous: n int8; batches fed by the test
//	SELECT stream limit  continuous: two fed batches, then io.EOF
//	SELECT block         blocks until cancelled
//	SELECT boom          fails with an internal error
//	SELECT overflow      fails with exec.ErrNumericOverflow
//	SELECT nocol         Prepare fails with 42703 at position 8
//	SELECT panic         panics in Execute
//	CREATE STREAM …      a command
type fakeExec struct {
	mem memory.Allocator

	mu struct {
		sync.Mutex
		streams []*fakeStream
		copied  []string // rows received by CopyInsert (copy_test.go)
	}
	// streamStarted receives each new stream.
	streamStarted chan *fakeStream
}

var _ executor = (*fakeExec)(nil)

func newFakeExec(mem memory.Allocator) *fakeExec {
	return &fakeExec{mem: mem, streamStarted: make(chan *fakeStream, 16)}
}

var (
	intsSchema = arrow.NewSchema([]arrow.Field{
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	streamSchema = arrow.NewSchema([]arrow.Field{{Name: "n", Type: arrow.PrimitiveTypes.Int64}}, nil)
)

func (f *fakeExec) Prepare(stmt sql.Statement, params []arrow.DataType) (*planner.Prepared, error) {
	text := stmt.Text()
	p := &planner.Prepared{Stmt: stmt, Tag: "SELECT"}
	switch {
	case text == "SELECT ints":
		p.Schema = intsSchema
	case text == "SELECT types":
		p.Schema = typesSchema
	case text == "SELECT param":
		t := arrow.DataType(arrow.PrimitiveTypes.Int64)
		if len(params) > 0 && params[0] != nil {
			t = params[0]
		}
		p.Params = []arrow.DataType{t}
		p.Schema = arrow.NewSchema([]arrow.Field{{Name: "v", Type: t, Nullable: true}}, nil)
	case text == "SELECT tparam":
		p.Params = []arrow.DataType{arrow.BinaryTypes.String}
		p.Schema = arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	case strings.HasPrefix(text, "SELECT stream"), text == "SELECT block":
		p.Schema, p.Continuous = streamSchema, true
	case text == "SELECT boom", text == "SELECT overflow", text == "SELECT panic":
		p.Schema = streamSchema
	case text == "SELECT nocol":
		return nil, &sql.Error{Code: sql.CodeUndefinedColumn, Message: `column "nocol" does not exist`, Pos: 8}
	case strings.HasPrefix(text, "CREATE STREAM"):
		p.Tag = "CREATE STREAM"
	default:
		return nil, sql.Errorf(sql.CodeFeatureNotSupported, "fake executor: %q", text)
	}
	return p, nil
}

func (f *fakeExec) Execute(ctx context.Context, p *planner.Prepared, params []any) (*planner.Result, error) {
	text := p.Stmt.Text()
	switch text {
	case "SELECT ints":
		return &planner.Result{Tag: "SELECT", Schema: intsSchema, Rows: []arrow.RecordBatch{
			f.ints(1, 3), f.ints(4, 2),
		}}, nil
	case "SELECT types":
		return &planner.Result{Tag: "SELECT", Schema: typesSchema, Rows: []arrow.RecordBatch{typesBatch(f.mem)}}, nil
	case "SELECT param", "SELECT tparam":
		b := array.NewRecordBuilder(f.mem, p.Schema)
		defer b.Release()
		if err := appendValue(b.Field(0), params[0]); err != nil {
			return nil, err
		}
		return &planner.Result{Tag: "SELECT", Schema: p.Schema, Rows: []arrow.RecordBatch{b.NewRecordBatch()}}, nil
	case "SELECT stream", "SELECT stream limit", "SELECT block":
		s := &fakeStream{ch: make(chan arrow.RecordBatch, 16), closed: make(chan struct{}), limit: -1}
		if text == "SELECT stream limit" {
			s.limit = 2
		}
		f.mu.Lock()
		f.mu.streams = append(f.mu.streams, s)
		f.mu.Unlock()
		f.streamStarted <- s
		return &planner.Result{Tag: "SELECT", Schema: streamSchema, Stream: s}, nil
	case "SELECT boom":
		return nil, errors.New("boom")
	case "SELECT overflow":
		return nil, fmt.Errorf("sum: %w", exec.ErrNumericOverflow)
	case "SELECT panic":
		panic("fake executor panic")
	}
	if p.Tag == "CREATE STREAM" {
		return &planner.Result{Tag: "CREATE STREAM"}, nil
	}
	return nil, fmt.Errorf("fake executor cannot execute %q", text)
}

// ints returns a batch of n rows numbered from first: (i, "row i").
func (f *fakeExec) ints(first, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(f.mem, intsSchema)
	defer b.Release()
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(fmt.Sprintf("row %d", i))
	}
	return b.NewRecordBatch()
}

// streamBatch returns a stream batch with values first…first+n-1.
func (f *fakeExec) streamBatch(first, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(f.mem, streamSchema)
	defer b.Release()
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
	}
	return b.NewRecordBatch()
}

// lastStream waits for the most recently started stream.
func (f *fakeExec) lastStream(t testing.TB) *fakeStream {
	t.Helper()
	select {
	case s := <-f.streamStarted:
		return s
	case <-time.After(10 * time.Second):
		t.Fatal("no stream started")
	}
	return nil
}

func appendValue(b array.Builder, v any) error {
	if v == nil {
		b.AppendNull()
		return nil
	}
	switch b := b.(type) {
	case *array.Int64Builder:
		b.Append(v.(int64))
	case *array.Int32Builder:
		b.Append(int32(v.(int64)))
	case *array.Float64Builder:
		b.Append(v.(float64))
	case *array.BooleanBuilder:
		b.Append(v.(bool))
	case *array.StringBuilder:
		b.Append(v.(string))
	case *array.BinaryBuilder:
		b.Append(v.([]byte))
	case *array.TimestampBuilder:
		b.Append(arrow.Timestamp(v.(int64)))
	case *array.Date32Builder:
		b.Append(arrow.Date32(v.(int64)))
	default:
		return fmt.Errorf("fake executor: no builder for %T", b)
	}
	return nil
}

// fakeStream is a continuous result fed by the test through ch.
type fakeStream struct {
	ch     chan arrow.RecordBatch
	closed chan struct{}
	once   sync.Once
	// limit ends the stream with io.EOF after this many non-empty batches
	// (-1: never).
	limit int
	n     int
}

func (s *fakeStream) Schema() *arrow.Schema { return streamSchema }

func (s *fakeStream) Next(ctx context.Context) (arrow.RecordBatch, error) {
	if s.limit >= 0 && s.n >= s.limit {
		return nil, io.EOF
	}
	select {
	case b := <-s.ch:
		if b.NumRows() > 0 {
			s.n++
		}
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *fakeStream) Close() error {
	s.once.Do(func() {
		close(s.closed)
		for {
			select {
			case b := <-s.ch:
				b.Release()
			default:
				return
			}
		}
	})
	return nil
}

// waitClosed waits until the server closed the stream.
func (s *fakeStream) waitClosed(t testing.TB) {
	t.Helper()
	select {
	case <-s.closed:
	case <-time.After(10 * time.Second):
		t.Fatal("stream was not closed")
	}
}

// testServer is an in-process server on 127.0.0.1:0 with the fakes.
type testServer struct {
	*Server
	exec *fakeExec
	mem  *memory.CheckedAllocator
	logs *syncBuffer
	stop func()
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer starts a server and stops it (checking for leaked Arrow
// memory) when the test ends.
func startServer(t testing.TB, configure ...func(*Options)) *testServer {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	fx := newFakeExec(mem)
	logs := &syncBuffer{}
	opts := Options{
		Listen: "127.0.0.1:0",
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	opts.testing.executor = fx
	opts.testing.newFrontend = func() sqlFrontend { return fakeFrontend{} }
	for _, c := range configure {
		c(&opts)
	}
	s, err := NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	select {
	case <-s.Ready():
	case err := <-done:
		t.Fatal(err)
	}
	ts := &testServer{Server: s, exec: fx, mem: mem, logs: logs}
	ts.stop = sync.OnceFunc(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	t.Cleanup(func() {
		ts.stop()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
		mem.AssertSize(t, 0)
	})
	return ts
}

// stopForTest stops the server now: Serve returns after every connection
// has ended.
func (ts *testServer) stopForTest(t testing.TB) {
	t.Helper()
	ts.stop()
}
