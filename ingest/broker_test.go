package ingest

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestBrokerRestartKeepsData writes to a broker with a data directory,
// restarts it on the same directory and reads the same records and
// offsets back.
func TestBrokerRestartKeepsData(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	start := func() (*Broker, *Client) {
		b, err := StartBroker(ctx, "127.0.0.1:0", dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		c, err := NewClient(ctx, Options{Brokers: b.Addrs()})
		if err != nil {
			b.Close()
			t.Fatal(err)
		}
		return b, c
	}
	b, c := start()
	if n, err := c.EnsureTopic(ctx, "t", 2); err != nil || n != 2 {
		t.Fatalf("EnsureTopic = %d, %v", n, err)
	}
	produceN(t, c, "t", 2, 5)
	before, err := fetchAll(t, c, "t", Range{0, 0, 5}, Range{1, 2, 5})
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	b.Close()
	b.Close() // idempotent

	b, c = start()
	defer b.Close()
	defer c.Close()
	ends, err := c.EndOffsets(ctx, "t")
	if err != nil || fmt.Sprint(ends) != "[5 5]" {
		t.Fatalf("EndOffsets after restart = %v, %v", ends, err)
	}
	after, err := fetchAll(t, c, "t", Range{0, 0, 5}, Range{1, 2, 5})
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("after restart:\n%s\nbefore:\n%s", after, before)
	}
	// New records continue the offsets.
	recs := []*Record{{Partition: 1, Value: []byte("new")}}
	if err := c.Produce(ctx, "t", recs); err != nil || recs[0].Offset != 5 {
		t.Fatalf("produce after restart: offset %d, %v", recs[0].Offset, err)
	}
	if n, err := c.EnsureTopic(ctx, "t", 4); err != nil || n != 2 {
		t.Fatalf("EnsureTopic after restart = %d, %v", n, err)
	}
}

func TestBrokerNoAutoCreate(t *testing.T) {
	ctx := context.Background()
	b, err := StartBroker(ctx, "127.0.0.1:0", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	c, err := NewClient(ctx, Options{Brokers: b.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	pctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if err := c.Produce(pctx, "nope", []*Record{{Partition: -1, Value: []byte("x")}}); err == nil {
		t.Fatal("produce to a missing topic succeeded: auto creation is on")
	}
	if _, err := StartBroker(ctx, "not-an-addr", "", nil); err == nil {
		t.Fatal("bad address accepted")
	}
}
