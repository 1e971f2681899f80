package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kgo"
)

// BenchmarkPullQuery100k times a filtered pull query over the wire (pgx,
// simple protocol) on a materialized view holding 100 000 rows: one
// running-aggregate group per key (rows computed from the live state), or
// one closed one-second window per key (rows read back from Pebble).
func BenchmarkPullQuery100k(b *testing.B) {
	b.Run("running", func(b *testing.B) {
		benchPull(b, `CREATE MATERIALIZED VIEW per_key AS SELECT k, count(*) AS n, sum(v) AS total FROM ev GROUP BY k`)
	})
	b.Run("closed_windows", func(b *testing.B) {
		benchPull(b, `CREATE MATERIALIZED VIEW per_key AS SELECT window_start, k, count(*) AS n, sum(v) AS total
			FROM ev GROUP BY TUMBLE(ts, INTERVAL '1 second'), k`)
	})
}

func benchPull(b *testing.B, view string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	p := startSluice(b, b.TempDir(), "--checkpoint-interval", "200ms")
	conn := p.connect(b, ctx)
	mustExec(b, ctx, conn, `CREATE STREAM ev (k BIGINT, v BIGINT, ts TIMESTAMP) WITH (topic = 'ev', partitions = 2)`)
	mustExec(b, ctx, conn, view)
	const keys = 100_000
	// Event time runs over 50 s, so all but the last windows close; one
	// more record later moves the watermark past the rest.
	cl, err := kgo.NewClient(kgo.SeedBrokers(p.kafka), kgo.DefaultProduceTopic("ev"))
	if err != nil {
		b.Fatal(err)
	}
	recs := make([]*kgo.Record, keys)
	for i := range recs {
		recs[i] = &kgo.Record{Value: fmt.Appendf(nil, `{"k":%d,"v":%d,"ts":"2024-01-01 00:00:%02d"}`, i, i%1000, i*50/keys)}
	}
	recs = append(recs, &kgo.Record{Value: []byte(`{"k":-1,"v":0,"ts":"2024-01-01 00:10:00"}`)})
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		b.Fatal(err)
	}
	cl.Close()
	for {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM per_key", pgx.QueryExecModeSimpleProtocol).Scan(&n); err != nil {
			b.Fatal(err)
		}
		if n == keys+1 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	const q = "SELECT k, n, total FROM per_key WHERE total >= 990"
	for b.Loop() {
		rows, err := conn.Query(ctx, q, pgx.QueryExecModeSimpleProtocol)
		if err != nil {
			b.Fatal(err)
		}
		got := 0
		for rows.Next() {
			got++
		}
		if rows.Err() != nil || got != keys/100 {
			b.Fatalf("%d rows, %v", got, rows.Err())
		}
	}
}
