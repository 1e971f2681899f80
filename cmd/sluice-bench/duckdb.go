package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"
)

// duckQuery is q7-agg for DuckDB: the same 10-second tumbling windows
// (time_bucket's default origin, 2000-01-03, is a multiple of 10 s, so
// the buckets align to the epoch as Sluice's do), over the bids written as
// JSON lines, with the stream's column types declared as Sluice's CREATE
// STREAM declares them.
const duckQuery = `SELECT epoch_us(time_bucket(INTERVAL '10 seconds', date_time) + INTERVAL '10 seconds') AS window_end, ` +
	`max(price) AS top FROM read_json(?, format = 'newline_delimited', columns = {auction: 'BIGINT', ` +
	`bidder: 'BIGINT', price: 'BIGINT', channel: 'VARCHAR', url: 'VARCHAR', date_time: 'TIMESTAMP', extra: 'VARCHAR'}) ` +
	`GROUP BY 1 ORDER BY 1`

// duckScript runs duckQuery once on the file argv[2] and prints
// {"version", "ms", "rows"}; ms covers the query and reading its result,
// not node's start-up or the module load.
const duckScript = `const { DuckDBInstance, version } = require('@duckdb/node-api');
(async () => {
  const inst = await DuckDBInstance.create(':memory:');
  const conn = await inst.connect();
  const sql = process.argv[3];
  const t0 = process.hrtime.bigint();
  const reader = await conn.runAndReadAll(sql, [process.argv[2]]);
  const rows = reader.getRowsJson();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  process.stdout.write(JSON.stringify({ version: version(), ms, rows }) + '\n');
})().catch((e) => { console.error(e); process.exit(1); });
`

// duckResult is one DuckDB run of q7-agg.
type duckResult struct {
	version string
	wall    time.Duration
}

// runDuckDB times q7-agg in DuckDB over set, installing @duckdb/node-api
// with npm into cfg.duckdbDir if it is not there. skip is non-empty (and
// err nil) when node or npm is missing or the install fails: the suite then
// reports the reason instead of a ratio. A wrong DuckDB result is an
// error.
func runDuckDB(ctx context.Context, cfg config, set *bidSet, progress io.Writer) (res duckResult, skip string, err error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return res, "node not found on PATH", nil
	}
	if err := os.MkdirAll(cfg.duckdbDir, 0o755); err != nil {
		return res, "", err
	}
	if _, err := os.Stat(filepath.Join(cfg.duckdbDir, "node_modules", "@duckdb", "node-api")); err != nil {
		npm, err := exec.LookPath("npm")
		if err != nil {
			return res, "npm not found on PATH (needed to install @duckdb/node-api)", nil
		}
		fmt.Fprintf(progress, "installing @duckdb/node-api into %s...\n", cfg.duckdbDir)
		cmd := exec.CommandContext(ctx, npm, "install", "--no-audit", "--no-fund", "--prefix", cfg.duckdbDir, "@duckdb/node-api")
		if out, err := cmd.CombinedOutput(); err != nil {
			return res, fmt.Sprintf("npm install @duckdb/node-api failed: %v: %s", err, lastLine(out)), nil
		}
	}
	script := filepath.Join(cfg.duckdbDir, "q7agg.js")
	if err := os.WriteFile(script, []byte(duckScript), 0o644); err != nil {
		return res, "", err
	}
	dir, err := os.MkdirTemp("", "sluice-bench-duckdb-")
	if err != nil {
		return res, "", err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "bids.json")
	if err := writeJSONLines(data, set); err != nil {
		return res, "", err
	}
	cmd := exec.CommandContext(ctx, node, script, data, duckQuery)
	var stderr lineTail
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return res, "", fmt.Errorf("node %s: %w: %s", script, err, stderr.last)
	}
	var v struct {
		Version string
		MS      float64
		Rows    [][]json.RawMessage
	}
	if err := json.Unmarshal(out, &v); err != nil {
		return res, "", fmt.Errorf("duckdb output %q: %w", out, err)
	}
	got := map[winKey]int64{}
	for _, row := range v.Rows {
		if len(row) != 2 {
			return res, "", fmt.Errorf("duckdb row %s: want 2 columns", row)
		}
		end, err1 := jsonInt64(row[0])
		top, err2 := jsonInt64(row[1])
		if err := errors.Join(err1, err2); err != nil {
			return res, "", fmt.Errorf("duckdb row: %w", err)
		}
		got[winKey{end: end}] = top
	}
	if err := compareWindows(got, tumbleMax(set.bids, tumbleSize)); err != nil {
		return res, "", fmt.Errorf("duckdb q7-agg: %w", err)
	}
	return duckResult{version: v.Version, wall: time.Duration(v.MS * float64(time.Millisecond))}, "", nil
}

// jsonInt64 reads an integer that DuckDB's JSON output gives as a number
// or, for BIGINT, as a string.
func jsonInt64(raw json.RawMessage) (int64, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strconv.ParseInt(s, 10, 64)
	}
	return strconv.ParseInt(string(raw), 10, 64)
}

// writeJSONLines writes the bids' JSON, one record per line.
func writeJSONLines(path string, set *bidSet) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, js := range set.json {
		_, _ = w.Write(js)
		_ = w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// lineTail keeps the last non-empty line written to it.
type lineTail struct{ last string }

func (t *lineTail) Write(p []byte) (int, error) {
	if l := lastLine(p); l != "" {
		t.last = l
	}
	return len(p), nil
}

// lastLine is the last non-empty line of b.
func lastLine(b []byte) string {
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			return s[i+1:]
		}
	}
	return s
}
