package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// fetchAll runs Fetch and renders what fn saw as "p:offset=value" lines.
func fetchAll(t testing.TB, c *Client, topic string, ranges ...Range) (string, error) {
	t.Helper()
	var b strings.Builder
	err := c.Fetch(context.Background(), topic, ranges, func(r *Record) error {
		fmt.Fprintf(&b, "%d:%d=%s ", r.Partition, r.Offset, r.Value)
		return nil
	})
	return strings.TrimSpace(b.String()), err
}

func TestFetchExactRanges(t *testing.T) {
	_, c := newTestClient(t, 3, "t")
	produceN(t, c, "t", 3, 10)
	for _, tc := range []struct {
		name   string
		ranges []Range
		want   string
	}{
		{"middle", []Range{{0, 3, 6}}, "0:3=p0-3 0:4=p0-4 0:5=p0-5"},
		{"empty", []Range{{1, 4, 4}}, ""},
		{"no ranges", nil, ""},
		{"first", []Range{{2, 0, 1}}, "2:0=p2-0"},
		{"at end", []Range{{1, 8, 10}}, "1:8=p1-8 1:9=p1-9"},
		{"multi", []Range{{0, 9, 10}, {1, 2, 2}, {2, 5, 7}},
			"0:9=p0-9 2:5=p2-5 2:6=p2-6"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fetchAll(t, c, "t", tc.ranges...)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFetchWholeLogInOrder(t *testing.T) {
	_, c := newTestClient(t, 2, "t")
	// Several produce calls make several record batches per partition.
	for range 5 {
		var recs []*Record
		for i := range 100 {
			recs = append(recs, &Record{Partition: int32(i % 2), Value: []byte("v")})
		}
		if err := c.Produce(context.Background(), "t", recs); err != nil {
			t.Fatal(err)
		}
	}
	next := map[int32]int64{}
	err := c.Fetch(context.Background(), "t", []Range{{0, 0, 250}, {1, 10, 240}}, func(r *Record) error {
		if _, ok := next[r.Partition]; !ok {
			next[r.Partition] = map[int32]int64{0: 0, 1: 10}[r.Partition]
		}
		if r.Offset != next[r.Partition] {
			return fmt.Errorf("partition %d: offset %d, want %d", r.Partition, r.Offset, next[r.Partition])
		}
		next[r.Partition]++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if next[0] != 250 || next[1] != 240 {
		t.Fatalf("stopped at %v", next)
	}
}

func TestFetchErrors(t *testing.T) {
	_, c := newTestClient(t, 1, "t")
	produceN(t, c, "t", 1, 3)
	if _, err := fetchAll(t, c, "missing", Range{0, 0, 1}); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("unknown topic: %v", err)
	}
	if _, err := fetchAll(t, c, "t", Range{0, 2, 1}); err == nil {
		t.Fatal("inverted range accepted")
	}
	if _, err := fetchAll(t, c, "t", Range{5, 0, 1}); err == nil {
		t.Fatal("partition 5 of 1 accepted")
	}
	stop := errors.New("stop")
	err := c.Fetch(context.Background(), "t", []Range{{0, 0, 3}}, func(*Record) error { return stop })
	if !errors.Is(err, stop) {
		t.Fatalf("callback error: %v", err)
	}
}

// TestFetchWaitsAndCancels checks that a range past the end waits for the
// records and that ctx ends the wait.
func TestFetchWaitsAndCancels(t *testing.T) {
	_, c := newTestClient(t, 1, "t")
	produceN(t, c, "t", 1, 2)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	n := 0
	start := time.Now()
	err := c.Fetch(ctx, "t", []Range{{0, 0, 5}}, func(*Record) error { n++; return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Fetch past the end: %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("cancel took %v", d)
	}
	if n != 2 {
		t.Fatalf("delivered %d records before cancel, want 2", n)
	}

	done := make(chan error, 1)
	var got []string
	go func() {
		done <- c.Fetch(context.Background(), "t", []Range{{0, 2, 4}}, func(r *Record) error {
			got = append(got, string(r.Value))
			return nil
		})
	}()
	time.Sleep(20 * time.Millisecond)
	var recs []*Record
	for _, v := range []string{"a", "b", "c"} {
		recs = append(recs, &Record{Partition: 0, Value: []byte(v)})
	}
	if err := c.Produce(context.Background(), "t", recs); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[a b]" {
		t.Fatalf("waited fetch got %v", got)
	}
}

// TestFetchSkipsTransactionGaps produces an aborted and a committed
// transaction: the log then holds aborted records and control markers, so
// offsets have gaps, and Fetch must still finish at the end offset.
func TestFetchSkipsTransactionGaps(t *testing.T) {
	cluster, c := newTestClient(t, 1, "t")
	ctx := context.Background()
	produceAbortedThenCommitted(t, cluster)
	ends, err := c.EndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if ends[0] != 6 {
		t.Fatalf("end offset %d, want 6 (2 aborted, marker, 2 committed, marker)", ends[0])
	}
	got, err := fetchAll(t, c, "t", Range{0, 0, ends[0]})
	if err != nil {
		t.Fatal(err)
	}
	if want := "0:3=xtrue 0:4=ytrue"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
	// A range that ends on the commit marker is complete as well.
	if got, err := fetchAll(t, c, "t", Range{0, 4, 6}); err != nil || got != "0:4=ytrue" {
		t.Fatalf("range over the marker: %q, %v", got, err)
	}
}

// produceAbortedThenCommitted writes to partition 0 of topic t an aborted
// transaction of two records, then a committed one of the same two ("x"
// and "y" followed by false or true): 2 records, a marker, 2, a marker.
func produceAbortedThenCommitted(t *testing.T, cluster *kfake.Cluster) {
	t.Helper()
	ctx := context.Background()
	tx, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.TransactionalID("tx"),
		kgo.DefaultProduceTopic("t"), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	for _, commit := range []kgo.TransactionEndTry{kgo.TryAbort, kgo.TryCommit} {
		if err := tx.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{"x", "y"} {
			if err := tx.ProduceSync(ctx, &kgo.Record{Value: []byte(fmt.Sprint(v, commit))}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.EndTransaction(ctx, commit); err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkFetchSmallRange measures the per-call overhead of Fetch: a
// 10-record range of a local broker.
func BenchmarkFetchSmallRange(b *testing.B) {
	_, c := newTestClient(b, 1, "t")
	produceN(b, c, "t", 1, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	i := int64(0)
	for b.Loop() {
		start := (i * 10) % 990
		i++
		if err := c.Fetch(ctx, "t", []Range{{0, start, start + 10}}, func(*Record) error { return nil }); err != nil {
			b.Fatal(err)
		}
	}
}
