package main

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgtype"
)

// testGrafanaPgx replays, through pgx v5 (the driver of Grafana's
// PostgreSQL data source), the statements Grafana sends: "Save & test",
// the query editor's schema, table and column lists, and time series
// panels with the $__timeFilter, $__timeGroupAlias, $__timeEpoch and
// $__unixEpochFilter macros expanded as Grafana expands them. The texts
// are those of ../shared/pgclients/captured.sql with this test's tables.
func testGrafanaPgx(t *testing.T, ctx context.Context, p *sluiceProc) {
	tap := startWireTap(t, p.pgAddr)
	cfg, err := pgx.ParseConfig("postgres://sluice@" + tap.addr() + "/sluice?sslmode=disable&connect_timeout=10")
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())

	simple := pgx.QueryExecModeSimpleProtocol
	// query runs one statement and returns "oid:oid…" and its rows as
	// "v|v…", numbers as numbers, timestamps as PostgreSQL prints them.
	query := func(sql string, args ...any) (string, []string) {
		t.Helper()
		rows, err := conn.Query(ctx, sql, args...)
		if err != nil {
			t.Errorf("%s: %v", sql, err)
			return "", nil
		}
		defer rows.Close()
		var oids []string
		for _, fd := range rows.FieldDescriptions() {
			oids = append(oids, strconv.Itoa(int(fd.DataTypeOID)))
		}
		var out []string
		for rows.Next() {
			vals, err := rows.Values()
			if err != nil {
				t.Errorf("%s: %v", sql, err)
				return "", nil
			}
			var f []string
			for _, v := range vals {
				f = append(f, grafanaValue(v))
			}
			out = append(out, strings.Join(f, "|"))
		}
		if err := rows.Err(); err != nil {
			t.Errorf("%s: %v", sql, err)
		}
		return strings.Join(oids, ":"), out
	}
	expect := func(what string, got, want []string) {
		t.Helper()
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s:\n got: %q\nwant: %q", what, got, want)
		}
	}

	// "Save & test": pgx's Ping sends `-- ping`, lib/pq's sends `;`; both
	// are empty queries.
	if err := conn.Ping(ctx); err != nil {
		t.Errorf("ping (-- ping): %v", err)
	}
	if _, err := conn.PgConn().Exec(ctx, ";").ReadAll(); err != nil {
		t.Errorf("ping (;): %v", err)
	}
	if _, rows := query(`SELECT current_setting('server_version_num')::int/100 as version`, simple); len(rows) != 1 {
		t.Errorf("server_version_num/100: got %q, want one row", rows)
	} else if v, err := strconv.Atoi(rows[0]); err != nil || v < 1500 || v > 1599 {
		t.Errorf("server_version_num/100 = %q, want 15xx (PostgreSQL 15)", rows[0])
	}
	_, rows := query(`SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'`, simple)
	expect("timescaledb extension", rows, nil)

	// Query editor: schemas, tables, columns.
	_, rows = query(`SELECT schema_name AS "name" FROM information_schema.schemata WHERE schema_name NOT IN ('information_schema', 'pg_catalog', 'pg_toast', '_timescaledb_cache', '_timescaledb_catalog', '_timescaledb_internal', '_timescaledb_config', 'timescaledb_information', 'timescaledb_experimental') ORDER BY schema_name`, simple)
	expect("schema list", rows, []string{"public", "sluice"})

	// The table list qualifies a table unless its schema is on the search
	// path ("$user" stands for the user, sluice).
	searchPath := ""
	if err := conn.QueryRow(ctx, `SELECT current_setting('search_path')`, simple).Scan(&searchPath); err != nil {
		t.Errorf("current_setting('search_path'): %v", err)
	}
	onPath := map[string]bool{}
	for _, s := range strings.Split(searchPath, ",") {
		s = strings.TrimSpace(s)
		if s == `"$user"` {
			s = "sluice"
		}
		onPath[s] = true
	}
	var wantTables []string // PostgreSQL's information_schema.tables lists no materialized view
	for _, st := range [][2]string{{"public", "bids"}, {"sluice", "batches"}, {"sluice", "partitions"}, {"sluice", "queries"}} {
		if onPath[st[0]] {
			wantTables = append(wantTables, "0"+st[1])
		} else {
			wantTables = append(wantTables, "1"+st[0]+"."+st[1])
		}
	}
	sort.Strings(wantTables)
	for i := range wantTables {
		wantTables[i] = wantTables[i][1:]
	}
	_, rows = query(`SELECT CASE WHEN quote_ident(table_schema) IN ( SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END FROM generate_series( array_lower(string_to_array(current_setting('search_path'),','),1), array_upper(string_to_array(current_setting('search_path'),','),1) ) as i, string_to_array(current_setting('search_path'),',') s ) THEN quote_ident(table_name) ELSE quote_ident(table_schema) || '.' || quote_ident(table_name) END AS "table" FROM information_schema.tables WHERE quote_ident(table_schema) NOT IN ('information_schema', 'pg_catalog', '_timescaledb_cache', '_timescaledb_catalog', '_timescaledb_internal', '_timescaledb_config', 'timescaledb_information', 'timescaledb_experimental') ORDER BY CASE WHEN quote_ident(table_schema) IN ( SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END FROM generate_series( array_lower(string_to_array(current_setting('search_path'),','),1), array_upper(string_to_array(current_setting('search_path'),','),1) ) as i, string_to_array(current_setting('search_path'),',') s ) THEN 0 ELSE 1 END, 1`, simple)
	expect(fmt.Sprintf("table list (search_path %q)", searchPath), rows, wantTables)

	_, rows = query(`SELECT quote_ident(column_name) AS "column", data_type AS "type" FROM information_schema.columns WHERE CASE WHEN array_length(parse_ident('bids'),1) = 2 THEN quote_ident(table_schema) = (parse_ident('bids'))[1] AND quote_ident(table_name) = (parse_ident('bids'))[2] ELSE quote_ident(table_name) = 'bids' AND quote_ident(table_schema) IN ( SELECT CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END FROM generate_series( array_lower(string_to_array(current_setting('search_path'),','),1), array_upper(string_to_array(current_setting('search_path'),','),1) ) as i, string_to_array(current_setting('search_path'),',') s ) END`, simple)
	sort.Strings(rows) // Grafana's query has no ORDER BY
	expect("column list", rows, []string{"auction|bigint", "channel|character varying",
		"date_time|timestamp without time zone", "price|bigint"})

	// The SQL builder's queries go through pgx's statement cache.
	_, rows = query(`SELECT schema_name FROM information_schema.schemata WHERE schema_name NOT LIKE 'pg_%' AND schema_name != 'information_schema' ORDER BY schema_name`)
	expect("builder schema list", rows, []string{"public", "sluice"})
	_, rows = query(`SELECT table_name FROM information_schema.tables WHERE table_schema = $1 AND table_type IN ('BASE TABLE', 'VIEW') ORDER BY table_name`, "public")
	expect("builder table list", rows, []string{"bids"})
	_, rows = query(`SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`, "public", "bids")
	expect("builder column list", rows, []string{"auction|bigint|int8|64|0", "price|bigint|int8|64|0",
		"channel|character varying|varchar|NULL|NULL", "date_time|timestamp without time zone|timestamp|NULL|NULL"})

	// Time series panels.
	// $__time(window_start), $__timeFilter(window_start) with Grafana's
	// millisecond time range.
	types, rows := query(`SELECT window_start AS "time", auction::text AS metric, bids AS value FROM auction_counts WHERE window_start BETWEEN '2023-12-31T23:59:59.5Z' AND '2024-01-01T00:00:10.25Z' ORDER BY 1, 2`, simple)
	expect("$__timeFilter series types (time timestamp, metric text, value bigint)", []string{types}, []string{"1114:25:20"})
	expect("$__timeFilter series", rows, []string{
		"2024-01-01 00:00:00|1|3", "2024-01-01 00:00:00|2|2", "2024-01-01 00:00:00|3|1",
		"2024-01-01 00:00:10|1|1", "2024-01-01 00:00:10|2|2", "2024-01-01 00:00:10|3|1"})

	_, rows = query(`SELECT window_start AS "time", top FROM auction_counts WHERE window_start >= '2024-01-01T00:00:10Z' AND window_start < '2024-01-01T00:00:30Z' AND auction = 1 ORDER BY 1`, simple)
	expect("$__timeFrom() and $__timeTo()", rows, []string{"2024-01-01 00:00:10|160", "2024-01-01 00:00:20|170"})

	_, rows = query(`SELECT floor(extract(epoch from window_start)/20)*20 AS "time", sum(bids) AS "bids" FROM auction_counts WHERE window_start BETWEEN '2024-01-01T00:00:00Z' AND '2024-01-01T00:01:00Z' GROUP BY 1 ORDER BY 1`, simple)
	expect("$__timeGroupAlias(window_start, '20s')", rows, []string{"1704067200|10", "1704067220|2"})

	_, rows = query(`SELECT extract(epoch from window_start) AS "time", bids FROM auction_counts WHERE extract(epoch from window_start) >= 1704067200 AND extract(epoch from window_start) <= 1704067210 AND auction = 1 ORDER BY 1`, simple)
	expect("$__timeEpoch with $__unixEpochFilter", rows, []string{"1704067200|3", "1704067210|1"})

	_, rows = query(`SELECT auction, top FROM auction_counts LIMIT 50`, simple)
	if len(rows) != len(auctionCountsRows) {
		t.Errorf("table panel: got %d rows, want %d", len(rows), len(auctionCountsRows))
	}

	if errs := tap.errors(); len(errs) > 0 {
		t.Errorf("server errors:\n%s", strings.Join(errs, "\n"))
	}
}

// testPgxContinuous reads a continuous query with a binary int8 parameter
// through pgx, stops it after 4 rows by cancelling the context (pgx sends
// a CancelRequest), and goes on using the session.
func testPgxContinuous(t *testing.T, ctx context.Context, p *sluiceProc) {
	tap := startWireTap(t, p.pgAddr)
	cfg, err := pgx.ParseConfig("postgres://sluice@" + tap.addr() + "/sluice?sslmode=disable&connect_timeout=10")
	if err != nil {
		t.Fatal(err)
	}
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, CancelRequestDelay: 0, DeadlineDelay: 5 * time.Second}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(context.Background())
	qctx, cancel := context.WithCancel(ctx)
	rows, err := conn.Query(qctx, "SELECT auction, price FROM bids WHERE price > $1", int64(90))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var got []string
	for len(got) < 4 && rows.Next() {
		var a, price int64
		if err := rows.Scan(&a, &price); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%d|%d", a, price))
	}
	cancel()
	rows.Close()
	if want := []string{"1|100", "1|150", "1|120", "1|160"}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("continuous query rows: got %q, want %q", got, want)
	}
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM auction_counts").Scan(&n); err != nil || n != int64(len(auctionCountsRows)) {
		t.Errorf("after the cancel: count = %d, %v; want %d", n, err, len(auctionCountsRows))
	}
	for _, e := range tap.errors() {
		if !strings.HasPrefix(e, "  57014 ") {
			t.Errorf("server error: %s", e)
		}
	}
}

// grafanaValue prints a value as Grafana would read it: numbers as
// numbers whatever their type (numeric, float8, int8), timestamps in
// PostgreSQL's text form.
func grafanaValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	case pgtype.Numeric:
		f, err := x.Float64Value()
		if err != nil || !f.Valid {
			return fmt.Sprintf("numeric(%v)", x)
		}
		return strconv.FormatFloat(f.Float64, 'f', -1, 64)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case float32:
		return strconv.FormatFloat(float64(x), 'f', -1, 32)
	default:
		return fmt.Sprint(x)
	}
}
