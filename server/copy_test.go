package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/sql"
)

// The fake executor's COPY FROM targets: stream "ints" (n int8, s text)
// records what it receives; "kafkadown" has the same columns and fails
// every insert after the first, as a broker outage mid-COPY would.
var _ copier = (*fakeExec)(nil)

func (f *fakeExec) PrepareCopy(stream string, cols []string) (*planner.CopyPlan, error) {
	if stream != "ints" && stream != "kafkadown" {
		return nil, sql.Errorf(sql.CodeUndefinedTable, "relation %q does not exist", stream)
	}
	plan := &planner.CopyPlan{Stream: stream, Schema: intsSchema}
	if len(cols) == 0 {
		cols = []string{"n", "s"}
	}
	for _, c := range cols {
		idx := intsSchema.FieldIndices(c)
		if len(idx) == 0 {
			return nil, sql.Errorf(sql.CodeUndefinedColumn, "column %q of relation %q does not exist", c, stream)
		}
		plan.Targets = append(plan.Targets, idx[0])
	}
	return plan, nil
}

func (f *fakeExec) CopyInsert(ctx context.Context, plan *planner.CopyPlan, rows [][]any) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if plan.Stream == "kafkadown" && len(f.mu.copied) > 0 {
		return 0, errors.New("kafka: broker unavailable")
	}
	f.mu.copied = append(f.mu.copied, fmt.Sprintf("chunk of %d", len(rows)))
	for _, r := range rows {
		full := make([]string, plan.Schema.NumFields())
		for i := range full {
			full[i] = "NULL"
		}
		for j, v := range r {
			if v != nil {
				full[plan.Targets[j]] = fmt.Sprintf("%v", v)
			}
		}
		f.mu.copied = append(f.mu.copied, strings.Join(full, "|"))
	}
	return int64(len(rows)), nil
}

// copiedRows returns and forgets what CopyInsert received.
func (f *fakeExec) copiedRows() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := strings.Join(f.mu.copied, "\n")
	f.mu.copied = nil
	if out == "" {
		return "none"
	}
	return out
}

func connectPgconn(t *testing.T, ts *testServer) *pgconn.PgConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pc, err := pgconn.Connect(ctx, "postgres://test@"+ts.Addr().String()+"/test?sslmode=disable")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pc.Close(context.Background()) })
	return pc
}

// TestCopyPgconn drives COPY through pgconn's CopyTo and CopyFrom, which
// cut the input at 64 KiB boundaries regardless of rows.
func TestCopyPgconn(t *testing.T) {
	ts := startServer(t)
	pc := connectPgconn(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	var out bytes.Buffer
	tag, err := pc.CopyTo(ctx, &out, "COPY (SELECT ints) TO STDOUT WITH (FORMAT csv, HEADER)")
	if err != nil {
		t.Fatal(err)
	}
	want := "n,s\n1,row 1\n2,row 2\n3,row 3\n4,row 4\n5,row 5\n"
	if tag.String() != "COPY 5" || out.String() != want {
		t.Fatalf("CopyTo: %s %q", tag, out.String())
	}

	// 25,000 rows: three chunks through the engine, values cut across
	// CopyData messages.
	var in strings.Builder
	for i := range 25000 {
		fmt.Fprintf(&in, "%d,\"line %d, with \"\"quotes\"\"\nand a newline\"\n", i, i)
	}
	tag, err = pc.CopyFrom(ctx, strings.NewReader(in.String()), "COPY ints FROM STDIN CSV")
	if err != nil {
		t.Fatal(err)
	}
	got := ts.exec.copiedRows()
	if tag.String() != "COPY 25000" || strings.Count(got, "chunk of") != 3 ||
		!strings.Contains(got, "\n24999|line 24999, with \"quotes\"\nand a newline") {
		t.Fatalf("CopyFrom: %s, %d chunks", tag, strings.Count(got, "chunk of"))
	}

	// A bad value in the second chunk: the first chunk stays produced and
	// the error says so.
	in.Reset()
	for i := range 10005 {
		fmt.Fprintf(&in, "%d\tx\n", i)
	}
	in.WriteString("oops\tx\n")
	_, err = pc.CopyFrom(ctx, strings.NewReader(in.String()), "COPY ints FROM STDIN")
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok || pe.Code != sql.CodeInvalidText || pe.Where != `COPY ints, line 10006, column n: "oops"` ||
		!strings.Contains(pe.Detail, "10000 rows (input lines 1-10000) were already produced") {
		t.Fatalf("bad row: %#v", err)
	}
	if got := ts.exec.copiedRows(); strings.Count(got, "chunk of") != 1 {
		t.Fatalf("bad row produced %q", got[:40])
	}
	// The session goes on.
	if _, err := pc.Exec(ctx, "SELECT ints").ReadAll(); err != nil {
		t.Fatal(err)
	}
}

// TestCopyProduceFails: when producing the second chunk fails, the error
// says the first chunk stays produced.
func TestCopyProduceFails(t *testing.T) {
	ts := startServer(t)
	pc := connectPgconn(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	in := strings.Repeat("1\ta\n", copyChunkRows+1)
	_, err := pc.CopyFrom(ctx, strings.NewReader(in), "COPY kafkadown FROM STDIN")
	pe, ok := errors.AsType[*pgconn.PgError](err)
	if !ok || pe.Code != sql.CodeInternal || !strings.Contains(pe.Message, "broker unavailable") ||
		!strings.Contains(pe.Detail, "10000 rows (input lines 1-10000) were already produced") {
		t.Fatalf("got %#v", err)
	}
	if got := ts.exec.copiedRows(); strings.Count(got, "chunk of") != 1 {
		t.Fatalf("produced %d chunks", strings.Count(got, "chunk of"))
	}
}
