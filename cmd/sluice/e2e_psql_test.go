package main

import (
	"context"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

const wordsDDL = `CREATE STREAM words (word VARCHAR, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '1 second') WITH (topic = 'words', format = 'json', partitions = 3)`

// TestPsqlContinuousTumble checks what the real psql prints for a
// continuous TUMBLE query while records arrive: each window's result set
// appears when the window closes, before later records exist.
func TestPsqlContinuousTumble(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startSluice(t, t.TempDir())
	conn := p.connect(t, ctx)
	mustExec(t, ctx, conn, wordsDDL)

	psql := p.psqlCmd(ctx, "-A", "-v", "ON_ERROR_STOP=1", "-c",
		"SELECT window_start, word, count(*) AS n FROM words GROUP BY TUMBLE(ts, INTERVAL '10 seconds'), word LIMIT 3")
	stdout, err := psql.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	psql.Stderr = &stderr
	if err := psql.Start(); err != nil {
		t.Fatal(err)
	}
	lines := lineChan(stdout)

	p.produce(t, ctx, "words",
		`{"word": "hello", "ts": "2024-01-01 00:00:01"}`,
		`{"word": "world", "ts": "2024-01-01 00:00:02"}`,
		`{"word": "hello", "ts": "2024-01-01 00:00:03"}`,
		`{"word": "late-ish", "ts": "2024-01-01 00:00:12"}`) // watermark 00:00:11 closes [00:00, 00:10)
	first := readLinesUntil(t, lines, "(2 rows)", 20*time.Second)
	wantFirst := []string{
		"window_start|word|n",
		"2024-01-01 00:00:00|hello|2",
		"2024-01-01 00:00:00|world|1",
		"(2 rows)",
	}
	if !sameLines(first, wantFirst) {
		t.Fatalf("first window: got\n%s\nwant\n%s\nstderr: %s", strings.Join(first, "\n"), strings.Join(wantFirst, "\n"), stderr.String())
	}

	// The second window closes only now; its row is the third and last (LIMIT 3).
	p.produce(t, ctx, "words", `{"word": "x", "ts": "2024-01-01 00:00:30"}`)
	second := readLinesUntil(t, lines, "(1 row)", 20*time.Second)
	wantSecond := []string{"", "window_start|word|n", "2024-01-01 00:00:10|late-ish|1", "(1 row)"}
	if !sameLines(second, wantSecond) {
		t.Fatalf("second window: got %q want %q", second, wantSecond)
	}
	if err := psql.Wait(); err != nil {
		t.Fatalf("psql: %v\n%s", err, stderr.String())
	}
}

// sameLines compares ignoring blank separator lines psql prints between result sets.
func sameLines(got, want []string) bool {
	strip := func(ls []string) []string {
		var out []string
		for _, l := range ls {
			if l != "" {
				out = append(out, l)
			}
		}
		return out
	}
	g, w := strip(got), strip(want)
	if len(g) != len(w) {
		return false
	}
	for i := range g {
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

// TestPsqlCancel: Ctrl-C in psql sends a CancelRequest; the query ends
// with 57014 and the server goes on serving.
func TestPsqlCancel(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startSluice(t, t.TempDir())
	conn := p.connect(t, ctx)
	mustExec(t, ctx, conn, wordsDDL)

	psql := p.psqlCmd(ctx, "-c", "SELECT word FROM words")
	var out strings.Builder
	psql.Stdout, psql.Stderr = &out, &out
	if err := psql.Start(); err != nil {
		t.Fatal(err)
	}
	waitForQueries(t, ctx, conn, 1)
	if err := psql.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := psql.Wait()
	if !strings.Contains(out.String(), "canceling statement due to user request") {
		t.Fatalf("psql after Ctrl-C (%v):\n%s", err, out.String())
	}
	waitForQueries(t, ctx, conn, 0)
}

// waitForQueries polls SHOW QUERIES until n queries run.
func waitForQueries(t *testing.T, ctx context.Context, conn *pgx.Conn, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		rows, err := conn.Query(ctx, "SHOW QUERIES", pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for rows.Next() {
			vals, _ := rows.Values()
			if vals[2] == "running" {
				running++
			}
		}
		rows.Close()
		if running == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("want %d running queries, have %d", n, running)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestPgxCancelKeepsSession: a CancelRequest ends the running query with
// 57014 and the same connection runs the next statement.
func TestPgxCancelKeepsSession(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startSluice(t, t.TempDir())
	conn := p.connect(t, ctx)
	mustExec(t, ctx, conn, wordsDDL)

	qctx, qcancel := context.WithCancel(ctx)
	go func() {
		time.Sleep(500 * time.Millisecond)
		qcancel() // the handler sends a CancelRequest
	}()
	rows, err := conn.Query(qctx, "SELECT word FROM words", pgx.QueryExecModeSimpleProtocol)
	if err == nil {
		for rows.Next() {
		}
		rows.Close()
		err = rows.Err()
	}
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Fatalf("want 57014, got %v", err)
	}
	var n int64
	if err := conn.QueryRow(ctx, "SHOW STREAMS", pgx.QueryExecModeSimpleProtocol).Scan(new(string), new(string), &n, new(string), new(string)); err != nil {
		t.Fatalf("session unusable after cancel: %v", err)
	}
	if n != 3 {
		t.Fatalf("partitions = %d", n)
	}
}
