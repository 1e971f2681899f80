package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestPsqlDescribe runs psql's catalog commands against Sluice with the
// real psql binary and compares what it prints with what psql prints for
// the same catalog on PostgreSQL: streams are tables, materialized views
// are materialized views, their columns carry PostgreSQL type names.
func TestPsqlDescribe(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	p := startSluice(t, t.TempDir())
	conn := p.connect(t, ctx)
	mustExec(t, ctx, conn, `CREATE STREAM bids (auction BIGINT, price BIGINT, channel VARCHAR,
		date_time TIMESTAMP, WATERMARK FOR date_time AS date_time - INTERVAL '1 second')
		WITH (topic = 'bids', format = 'json')`)
	mustExec(t, ctx, conn, `CREATE MATERIALIZED VIEW counts AS SELECT window_start, auction, count(*) AS n
		FROM bids GROUP BY TUMBLE(date_time, INTERVAL '10 seconds'), auction`)

	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{`\dt`, []string{"List of relations", "Schema|Name|Type|Owner", "public|bids|table|sluice", "(1 row)"}},
		{`\dm`, []string{"List of relations", "Schema|Name|Type|Owner", "public|counts|materialized view|sluice", "(1 row)"}},
		{`\d`, []string{"List of relations", "Schema|Name|Type|Owner", "public|bids|table|sluice",
			"public|counts|materialized view|sluice", "(2 rows)"}},
		{`\dv`, []string{"Did not find any relations."}},
		{`\d bids`, []string{`Table "public.bids"`, "Column|Type|Collation|Nullable|Default",
			"auction|bigint|||", "price|bigint|||", "channel|character varying|||",
			"date_time|timestamp without time zone|||"}},
		{`\d counts`, []string{`Materialized view "public.counts"`, "Column|Type|Collation|Nullable|Default",
			"window_start|timestamp without time zone|||", "auction|bigint|||", "n|bigint|||"}},
		{`\l`, []string{"List of databases",
			"Name|Owner|Encoding|Collate|Ctype|ICU Locale|Locale Provider|Access privileges",
			"sluice|sluice|UTF8|C|C||libc|", "(1 row)"}},
		{`\dn`, []string{"List of schemas", "Name|Owner", "public|sluice", "sluice|sluice", "(2 rows)"}},
		{`\dv sluice.*`, []string{"List of relations", "Schema|Name|Type|Owner", "sluice|batches|view|sluice",
			"sluice|partitions|view|sluice", "sluice|queries|view|sluice", "(3 rows)"}},
	} {
		out, err := p.psqlCmd(ctx, "-A", "-v", "ON_ERROR_STOP=1", "-c", tc.cmd).CombinedOutput()
		if err != nil {
			t.Errorf("psql -c %s: %v\n%s", tc.cmd, err, out)
			continue
		}
		got := nonEmptyLines(string(out))
		if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
			t.Errorf("psql -c %s: got\n%s\nwant\n%s", tc.cmd, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
		}
	}
}

func nonEmptyLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
