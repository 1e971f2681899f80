package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// crashEvents is the deterministic input of the crash test: event i is a
// bid on auction i%37 at price (i*7919)%1000, one millisecond of event time
// after event i-1.
const crashEvents = 24_000

var crashBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

func crashEvent(i int) (auction, price int64, at time.Time) {
	return int64(i % 37), int64(i*7919) % 1000, crashBase.Add(time.Duration(i) * time.Millisecond)
}

const crashDDL = `
CREATE STREAM bids (auction BIGINT, price BIGINT, date_time TIMESTAMP,
  WATERMARK FOR date_time AS date_time - INTERVAL '2 seconds')
  WITH (topic = 'bids', format = 'json', partitions = 3);
CREATE MATERIALIZED VIEW counts AS
  SELECT window_start, auction, count(*) AS n, sum(price) AS total
  FROM bids GROUP BY TUMBLE(date_time, INTERVAL '1 second'), auction;
CREATE MATERIALIZED VIEW totals AS
  SELECT auction, count(*) AS n, max(price) AS top FROM bids GROUP BY auction;
CREATE STREAM big WITH (topic = 'big', format = 'json', partitions = 2) AS
  SELECT auction, price, date_time FROM bids WHERE price > 900;
`

// TestCrashRecoveryExactlyOnce kills the server with SIGKILL at random
// points while events stream in (during batches and checkpoints: batches
// run every 100 ms, checkpoints every 300 ms), restarts it on the same data
// dir against a broker that outlives it, and requires two views and a
// Kafka sink (read with read_committed) to hold exactly what the input
// implies: nothing lost, nothing doubled. A graceful stop then a restart
// must not reprocess anything.
func TestCrashRecoveryExactlyOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("SLUICE_CRASH_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Logf("seed %d (SLUICE_CRASH_SEED reproduces the kill points)", seed)
	rng := rand.New(rand.NewPCG(seed, 1))

	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := cluster.ListenAddrs()[0]
	dir := t.TempDir()
	start := func() *sluiceProc {
		return startSluice(t, dir, "--brokers", brokers, "--checkpoint-interval", "300ms")
	}
	p := start()
	conn := p.connect(t, ctx)
	for _, stmt := range strings.Split(crashDDL, ";") {
		if strings.TrimSpace(stmt) != "" {
			mustExec(t, ctx, conn, stmt)
		}
	}
	conn.Close(ctx)

	var wg sync.WaitGroup
	produced := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		produced <- produceCrashEvents(ctx, brokers)
	}()
	defer wg.Wait()
	for kill := 0; kill < 4; kill++ {
		time.Sleep(time.Duration(300+rng.IntN(900)) * time.Millisecond)
		if err := p.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		<-p.exited
		t.Logf("killed the server (%d)", kill+1)
		p = start()
	}
	if err := <-produced; err != nil {
		t.Fatalf("produce: %v", err)
	}
	conn = p.connect(t, ctx)
	wantCounts, wantTotals, wantBig := crashReference()
	waitForRows(t, ctx, conn, p, "SELECT window_start, auction, n, total FROM counts ORDER BY window_start, auction", wantCounts)
	waitForRows(t, ctx, conn, p, "SELECT auction, n, top FROM totals ORDER BY auction", wantTotals)
	checkSinkTopic(t, ctx, brokers, wantBig)

	// Graceful stop: a final checkpoint, after which a restart reads nothing again.
	conn.Close(ctx)
	p.stop(t)
	p = start()
	conn = p.connect(t, ctx)
	waitForRows(t, ctx, conn, p, "SELECT auction, n, top FROM totals ORDER BY auction", wantTotals)
	var reread int64
	q := `SELECT coalesce(sum(input_rows), 0) FROM sluice.batches`
	if err := conn.QueryRow(ctx, q, pgx.QueryExecModeSimpleProtocol).Scan(&reread); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if reread != 0 {
		t.Fatalf("after a graceful stop the restarted server read %d records again", reread)
	}
}

// produceCrashEvents writes every event in order, 200 per synchronous
// produce, so that a batch never sees an event without the ones two
// seconds of event time before it (the watermark delay): no row is late
// whatever the batch boundaries.
func produceCrashEvents(ctx context.Context, brokers string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.DefaultProduceTopic("bids"),
		kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		return err
	}
	defer cl.Close()
	for i := 0; i < crashEvents; i += 200 {
		recs := make([]*kgo.Record, 0, 200)
		for j := i; j < min(i+200, crashEvents); j++ {
			a, p, at := crashEvent(j)
			v := fmt.Sprintf(`{"auction":%d,"price":%d,"date_time":%q}`, a, p, at.Format("2006-01-02 15:04:05.000"))
			recs = append(recs, &kgo.Record{Value: []byte(v)})
		}
		if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
			return err
		}
		time.Sleep(15 * time.Millisecond)
	}
	return nil
}

// crashReference computes the views' and the sink's contents from the
// input directly, as text rows in the views' ORDER BY order.
func crashReference() (counts, totals [][]string, big []string) {
	type wk struct{ start, auction int64 }
	type agg struct{ n, sum int64 }
	win := map[wk]*agg{}
	tot := map[int64]*agg{} // sum holds max
	for i := range crashEvents {
		a, p, at := crashEvent(i)
		k := wk{at.Truncate(time.Second).UnixMicro(), a}
		if win[k] == nil {
			win[k] = &agg{}
		}
		win[k].n++
		win[k].sum += p
		if tot[a] == nil {
			tot[a] = &agg{sum: -1}
		}
		tot[a].n++
		tot[a].sum = max(tot[a].sum, p)
		if p > 900 {
			big = append(big, fmt.Sprintf("%d/%d/%s", a, p, at.Format("2006-01-02T15:04:05.000")))
		}
	}
	keys := make([]wk, 0, len(win))
	for k := range win {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(x, y wk) int {
		if x.start != y.start {
			return int(x.start - y.start)
		}
		return int(x.auction - y.auction)
	})
	for _, k := range keys {
		ts := time.UnixMicro(k.start).UTC().Format("2006-01-02 15:04:05")
		counts = append(counts, []string{ts, strconv.FormatInt(k.auction, 10),
			strconv.FormatInt(win[k].n, 10), strconv.FormatInt(win[k].sum, 10)})
	}
	for a := int64(0); a < 37; a++ {
		totals = append(totals, []string{strconv.FormatInt(a, 10), strconv.FormatInt(tot[a].n, 10), strconv.FormatInt(tot[a].sum, 10)})
	}
	slices.Sort(big)
	return counts, totals, big
}

// waitForRows polls a pull query until its text rows equal want (the views
// catch up on the backlog after the last restart), failing with the last
// difference after a minute.
func waitForRows(t *testing.T, ctx context.Context, conn *pgx.Conn, p *sluiceProc, query string, want [][]string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	var last string
	for time.Now().Before(deadline) {
		got, err := textRows(ctx, conn, query)
		if err != nil {
			t.Fatalf("%s: %v\n%s", query, err, p.log())
		}
		if slices.EqualFunc(got, want, slices.Equal[[]string]) {
			return
		}
		last = firstDiff(got, want)
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: %s", query, last)
}

func textRows(ctx context.Context, conn *pgx.Conn, query string) ([][]string, error) {
	rows, err := conn.Query(ctx, query, pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]string, len(raw))
		for i, v := range raw {
			row[i] = string(v)
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func firstDiff(got, want [][]string) string {
	for i := range min(len(got), len(want)) {
		if !slices.Equal(got[i], want[i]) {
			return fmt.Sprintf("row %d: got %v, want %v (%d rows, want %d)", i, got[i], want[i], len(got), len(want))
		}
	}
	return fmt.Sprintf("%d rows, want %d", len(got), len(want))
}

// checkSinkTopic reads the sink's topic with read_committed until it holds
// as many records as expected, then a little longer (a duplicate would
// show), and compares the records with want exactly.
func checkSinkTopic(t *testing.T, ctx context.Context, brokers string, want []string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers), kgo.ConsumeTopics("big"),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []string
	deadline := time.Now().Add(time.Minute)
	var extra time.Time
	for time.Now().Before(deadline) && (extra.IsZero() || time.Now().Before(extra)) {
		pctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
		fs := cl.PollFetches(pctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			var v struct {
				Auction  int64  `json:"auction"`
				Price    int64  `json:"price"`
				DateTime string `json:"date_time"`
			}
			if err := json.Unmarshal(r.Value, &v); err != nil {
				t.Fatalf("sink record %q: %v", r.Value, err)
			}
			at, err := time.Parse("2006-01-02T15:04:05.999999", strings.TrimSuffix(strings.Replace(v.DateTime, " ", "T", 1), "Z"))
			if err != nil {
				t.Fatalf("sink record %q: %v", r.Value, err)
			}
			got = append(got, fmt.Sprintf("%d/%d/%s", v.Auction, v.Price, at.Format("2006-01-02T15:04:05.000")))
		})
		if len(got) >= len(want) && extra.IsZero() {
			extra = time.Now().Add(time.Second)
		}
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		dups := 0
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] {
				dups++
			}
		}
		t.Fatalf("sink topic: %d records (%d duplicates), want %d", len(got), dups, len(want))
	}
}
