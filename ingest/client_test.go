package ingest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// newTestClient starts an in-process kfake cluster seeded with topic (n
// partitions) and a Client connected to it; both are closed at test end.
func newTestClient(t testing.TB, n int32, topics ...string) (*kfake.Cluster, *Client) {
	t.Helper()
	opts := []kfake.Opt{kfake.NumBrokers(1)}
	if len(topics) > 0 {
		opts = append(opts, kfake.SeedTopics(n, topics...))
	}
	cluster, err := kfake.NewCluster(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := NewClient(ctx, Options{Brokers: cluster.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return cluster, c
}

// produceN writes n records "p<partition>-<i>" to each partition.
func produceN(t testing.TB, c *Client, topic string, partitions int32, n int) {
	t.Helper()
	var recs []*Record
	for p := range partitions {
		for i := range n {
			recs = append(recs, &Record{Partition: p, Value: fmt.Appendf(nil, "p%d-%d", p, i)})
		}
	}
	if err := c.Produce(context.Background(), topic, recs); err != nil {
		t.Fatal(err)
	}
	for i, r := range recs {
		if want := int64(i % n); r.Offset != want {
			t.Fatalf("record %d: offset %d, want %d", i, r.Offset, want)
		}
	}
}

func TestEnsureTopicIdempotent(t *testing.T) {
	ctx := context.Background()
	_, c := newTestClient(t, 0)
	if _, err := c.Partitions(ctx, "t"); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("Partitions of missing topic: %v, want ErrUnknownTopic", err)
	}
	if _, err := c.EndOffsets(ctx, "t"); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("EndOffsets of missing topic: %v, want ErrUnknownTopic", err)
	}
	for i, ask := range []int32{3, 3, 5} {
		n, err := c.EnsureTopic(ctx, "t", ask)
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Fatalf("call %d: EnsureTopic = %d partitions, want 3", i, n)
		}
	}
	ends, err := c.EndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ends) != "[0 0 0]" {
		t.Fatalf("EndOffsets = %v", ends)
	}
}

func TestProduceOffsetsAndPartitioning(t *testing.T) {
	ctx := context.Background()
	_, c := newTestClient(t, 3, "t")
	produceN(t, c, "t", 3, 4)
	recs := []*Record{
		{Partition: -1, Key: []byte("k"), Value: []byte("a")},
		{Partition: -1, Key: []byte("k"), Value: []byte("b")},
		{Partition: -1, Value: []byte("c")},
		{Partition: -1, Value: []byte("d")},
		{Partition: -1, Value: []byte("e")},
	}
	if err := c.Produce(ctx, "t", recs); err != nil {
		t.Fatal(err)
	}
	if recs[0].Partition != recs[1].Partition || recs[1].Offset != recs[0].Offset+1 {
		t.Fatalf("keyed records not on one partition in order: %+v %+v", recs[0], recs[1])
	}
	seen := map[int32]bool{}
	for _, r := range recs[2:] {
		seen[r.Partition] = true
	}
	if len(seen) != 3 {
		t.Fatalf("round robin used partitions %v, want all 3", seen)
	}
	err := c.Produce(ctx, "t", []*Record{{Partition: 7, Value: []byte("x")}})
	if err == nil {
		t.Fatal("produce to partition 7 of 3 succeeded")
	}
	starts, err := c.StartOffsets(ctx, "t")
	if err != nil || fmt.Sprint(starts) != "[0 0 0]" {
		t.Fatalf("StartOffsets = %v, %v", starts, err)
	}
	ends, err := c.EndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	total := ends[0] + ends[1] + ends[2]
	if total != 12+5 {
		t.Fatalf("EndOffsets = %v, want 17 records in total", ends)
	}
}
