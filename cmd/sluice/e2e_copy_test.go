package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestPsqlCopyAndCursors drives COPY and cursors with the real psql:
// \copy FROM a CSV file, COPY … TO STDOUT on a pull query and on a
// continuous query with LIMIT, and \set FETCH_COUNT (DECLARE/FETCH) on a
// continuous query that must wait for its last row.
func TestPsqlCopyAndCursors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	p := startSluice(t, t.TempDir())
	conn := p.connect(t, ctx)
	mustExec(t, ctx, conn, `CREATE STREAM words (word VARCHAR, ts TIMESTAMP,
  WATERMARK FOR ts AS ts - INTERVAL '1 second') WITH (topic = 'words', format = 'json', partitions = 1, start = 'earliest')`)

	file := filepath.Join(t.TempDir(), "words.csv")
	csv := "word,ts\nhello,2024-01-01 00:00:01\n\"a,b \"\"quoted\"\"\",2024-01-01 00:00:02\nhello,2024-01-01 00:00:03\n,2024-01-01 00:00:30\n"
	if err := os.WriteFile(file, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if out := runPsql(t, ctx, p, `\copy words FROM '`+file+`' CSV HEADER`); out != "COPY 4\n" {
		t.Fatalf("\\copy: %q", out)
	}

	// A bad row fails with its line and column; nothing of its chunk is produced.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("x,2024-01-01 00:00:04\ny,not a time\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := p.psqlCmd(ctx, "-c", `\copy words FROM '`+bad+`' CSV`).CombinedOutput()
	if err == nil || !strings.Contains(string(out), `invalid input syntax for type timestamp`) ||
		!strings.Contains(string(out), `COPY words, line 2, column ts: "not a time"`) {
		t.Fatalf("bad \\copy (%v): %s", err, out)
	}

	mustExec(t, ctx, conn, `CREATE MATERIALIZED VIEW wc AS SELECT window_start, word, count(*) AS n
  FROM words GROUP BY TUMBLE(ts, INTERVAL '10 seconds'), word`)
	waitForViewRows(t, ctx, conn, "SELECT * FROM wc", 2)
	got := runPsql(t, ctx, p, `COPY (SELECT window_start, word, n FROM wc WHERE word IS NOT NULL ORDER BY word) TO STDOUT WITH CSV`)
	want := "2024-01-01 00:00:00,\"a,b \"\"quoted\"\"\",1\n2024-01-01 00:00:00,hello,2\n"
	if got != want {
		t.Fatalf("COPY of a pull query:\n%s\nwant\n%s", got, want)
	}

	got = runPsql(t, ctx, p, `COPY (SELECT word FROM words LIMIT 3) TO STDOUT WITH CSV`)
	if want := "hello\n\"a,b \"\"quoted\"\"\"\nhello\n"; got != want {
		t.Fatalf("COPY of a continuous query:\n%s\nwant\n%s", got, want)
	}

	testFetchCount(t, ctx, p, conn)
}

// testFetchCount: psql fetches 2 rows at a time through a cursor; the
// fifth row does not exist yet, so the last FETCH waits for it.
func testFetchCount(t *testing.T, ctx context.Context, p *sluiceProc, conn *pgx.Conn) {
	psql := p.psqlCmd(ctx, "-A", "-v", "ON_ERROR_STOP=1", "-v", "FETCH_COUNT=2", "-c", "SELECT word FROM words LIMIT 5")
	var out strings.Builder
	psql.Stdout, psql.Stderr = &out, &out
	if err := psql.Start(); err != nil {
		t.Fatal(err)
	}
	waitForQueries(t, ctx, conn, 2) // the view wc and the cursor's query
	p.produce(t, ctx, "words", `{"word": "late", "ts": "2024-01-01 00:00:40"}`)
	if err := psql.Wait(); err != nil {
		t.Fatalf("psql: %v\n%s", err, out.String())
	}
	want := "word\nhello\na,b \"quoted\"\nhello\n\nlate\n(5 rows)\n"
	if out.String() != want {
		t.Fatalf("FETCH_COUNT:\n%s\nwant\n%s", out.String(), want)
	}
}

func runPsql(t *testing.T, ctx context.Context, p *sluiceProc, command string) string {
	t.Helper()
	out, err := p.psqlCmd(ctx, "-v", "ON_ERROR_STOP=1", "-c", command).CombinedOutput()
	if err != nil {
		t.Fatalf("psql -c %q: %v\n%s", command, err, out)
	}
	return string(out)
}

// waitForViewRows polls query until it returns at least n rows.
func waitForViewRows(t *testing.T, ctx context.Context, conn *pgx.Conn, query string, n int) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		rows, err := conn.Query(ctx, query, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for rows.Next() {
			got++
		}
		rows.Close()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			all, _ := conn.Query(ctx, query, pgx.QueryExecModeSimpleProtocol)
			vals, _ := pgx.CollectRows(all, func(r pgx.CollectableRow) ([]any, error) { return r.Values() })
			t.Fatalf("%s: want %d rows, have %d: %v", query, n, got, vals)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
