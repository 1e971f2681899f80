package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestObserveViewRun runs a view over a stream with one late row and
// checks that sluice.queries, sluice.partitions and /metrics report the
// run: rows read, the late row, lag down to 0 and checkpoints taken.
func TestObserveViewRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startSluice(t, t.TempDir(), "--checkpoint-interval", "200ms")
	conn := p.connect(t, ctx)
	mustExec(t, ctx, conn, `CREATE STREAM clicks (page TEXT, ts TIMESTAMP,
		WATERMARK FOR ts AS ts - INTERVAL '0 seconds') WITH (topic = 'clicks', partitions = 2)`)
	mustExec(t, ctx, conn, `CREATE MATERIALIZED VIEW per_page AS
		SELECT window_start, page, count(*) AS n FROM clicks GROUP BY TUMBLE(ts, INTERVAL '1 second'), page`)
	p.produce(t, ctx, "clicks",
		`{"page":"a","ts":"2024-01-01 00:00:00.5"}`, `{"page":"b","ts":"2024-01-01 00:00:05"}`)
	waitForRows(t, ctx, conn, p, "SELECT page, n FROM per_page ORDER BY page",
		[][]string{{"a", "1"}, {"b", "1"}})
	// The watermark is now 00:00:05, so the first second's window is closed.
	p.produce(t, ctx, "clicks", `{"page":"late","ts":"2024-01-01 00:00:00.7"}`)
	q := `SELECT input_rows, late_rows, lag_rows, checkpoints > 0 FROM sluice.queries WHERE id = 'view:per_page'`
	waitForRows(t, ctx, conn, p, q, [][]string{{"3", "1", "0", "t"}})
	waitForRows(t, ctx, conn, p, `SELECT stream, sum(lag), sum(next_offset) FROM sluice.partitions
		WHERE query_id = 'view:per_page' GROUP BY stream`, [][]string{{"clicks", "0", "3"}})

	metrics := scrape(t, p)
	for _, want := range []string{
		`sluice_query_input_rows_total{kind="view",query_id="view:per_page"} 3`,
		`sluice_query_late_rows_total{kind="view",query_id="view:per_page"} 1`,
		`sluice_query_lag_rows{kind="view",query_id="view:per_page"} 0`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	re := regexp.MustCompile(`sluice_query_checkpoints_total\{kind="view",query_id="view:per_page"\} [1-9]`)
	if !re.MatchString(metrics) {
		t.Errorf("/metrics has no checkpoint count for the view:\n%s", grepLines(metrics, "per_page"))
	}
	if !strings.Contains(metrics, `sluice_partition_lag_rows{partition="0",query_id="view:per_page",stream="clicks"} 0`) {
		t.Errorf("/metrics lacks the partition lag:\n%s", grepLines(metrics, "partition"))
	}
	var late int64
	if err := conn.QueryRow(ctx, `SELECT sum(late_rows) FROM sluice.batches WHERE query_id = 'view:per_page'`,
		pgx.QueryExecModeSimpleProtocol).Scan(&late); err != nil || late != 1 {
		t.Errorf("late rows over sluice.batches: %d, %v", late, err)
	}
}

func scrape(t *testing.T, p *sluiceProc) string {
	t.Helper()
	resp, err := http.Get("http://" + p.metrics + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
