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

// BenchmarkViewVsPush measures what persistence costs: the same TUMBLE
// aggregate over 1 M preloaded records (100 k auctions, so many open
// groups) as a push query and as a materialized view that checkpoints
// every second (ten times the default), each timed from its start until
// sluice.queries shows every record read. Compare the two ns/op.
func BenchmarkViewVsPush(b *testing.B) {
	const events = 1_000_000
	const agg = `SELECT window_start, auction, count(*) AS bids, max(price) AS top
		FROM bids GROUP BY TUMBLE(date_time, INTERVAL '10 seconds'), auction`
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	p := startSluice(b, b.TempDir(), "--checkpoint-interval", "1s", "--batch-interval", "1s")
	conn := p.connect(b, ctx)
	mustExec(b, ctx, conn, `CREATE STREAM bids (auction BIGINT, price BIGINT, date_time TIMESTAMP,
		WATERMARK FOR date_time AS date_time - INTERVAL '4 seconds') WITH (topic = 'bids', partitions = 2)`)
	preloadBids(b, ctx, p.kafka, events)
	run := 0
	waitRead := func(id string) {
		q := fmt.Sprintf("SELECT input_rows FROM sluice.queries WHERE id = '%s'", id)
		for {
			var n int64
			if err := conn.QueryRow(ctx, q, pgx.QueryExecModeSimpleProtocol).Scan(&n); err == nil && n >= events {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	b.Run("push", func(b *testing.B) {
		for b.Loop() {
			push := p.connect(b, ctx)
			qctx, stop := context.WithCancel(ctx)
			rows, err := push.Query(qctx, agg, pgx.QueryExecModeSimpleProtocol)
			if err != nil {
				b.Fatal(err)
			}
			go func() {
				for rows.Next() {
				}
			}()
			var id string
			for id == "" {
				_ = conn.QueryRow(ctx, "SELECT id FROM sluice.queries WHERE kind = 'push' AND state = 'running'",
					pgx.QueryExecModeSimpleProtocol).Scan(&id)
			}
			waitRead(id)
			stop()
			push.Close(ctx)
		}
	})
	b.Run("view", func(b *testing.B) {
		for b.Loop() {
			run++
			name := fmt.Sprintf("v%d", run)
			mustExec(b, ctx, conn, "CREATE MATERIALIZED VIEW "+name+" AS "+agg)
			waitRead("view:" + name)
			b.StopTimer()
			mustExec(b, ctx, conn, "DROP MATERIALIZED VIEW "+name)
			b.StartTimer()
		}
	})
}

// preloadBids produces n bids on 100 k auctions, a millisecond of event
// time apart.
func preloadBids(b *testing.B, ctx context.Context, kafka string, n int) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(kafka), kgo.DefaultProduceTopic("bids"), kgo.ProducerBatchMaxBytes(4<<20))
	if err != nil {
		b.Fatal(err)
	}
	defer cl.Close()
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	const chunk = 50_000
	for lo := 0; lo < n; lo += chunk {
		recs := make([]*kgo.Record, 0, chunk)
		for i := lo; i < min(lo+chunk, n); i++ {
			at := base.Add(time.Duration(i) * time.Millisecond).Format("2006-01-02 15:04:05.000")
			recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil,
				`{"auction":%d,"price":%d,"date_time":"%s"}`, (i*7919)%100_000, i%997, at)})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			b.Fatal(err)
		}
	}
}
