package ingest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// newTestTxnProducer opens a TxnProducer on cluster's brokers. It is not
// closed at test end: tests that abandon a producer close it themselves.
func newTestTxnProducer(t testing.TB, addrs []string, txnID string) *TxnProducer {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := NewTxnProducer(ctx, Options{Brokers: addrs}, txnID)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func vals(vs ...string) []*Record {
	recs := make([]*Record, len(vs))
	for i, v := range vs {
		recs[i] = &Record{Partition: 0, Value: []byte(v)}
	}
	return recs
}

// readCommitted returns the values of topic/partition 0 up to its end
// offset (the last stable offset), joined by spaces, and that end offset.
func readCommitted(t testing.TB, c *Client, topic string) (string, int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ends, err := c.EndOffsets(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = c.Fetch(ctx, topic, []Range{{Partition: 0, Start: 0, End: ends[0]}}, func(r *Record) error {
		got = append(got, string(r.Value))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, " "), ends[0]
}

func TestTxnProducerCommitAbort(t *testing.T) {
	ctx := context.Background()
	cluster, c := newTestClient(t, 1, "a", "b")
	p := newTestTxnProducer(t, cluster.ListenAddrs(), "t1")
	defer p.Close()
	if err := p.Commit(ctx); err != nil { // no transaction: no-op
		t.Fatal(err)
	}
	if err := p.Produce(ctx, "a", vals("a1", "a2")); err != nil {
		t.Fatal(err)
	}
	if err := p.Produce(ctx, "b", vals("b1")); err != nil {
		t.Fatal(err)
	}
	if got, end := readCommitted(t, c, "a"); got != "" || end != 0 {
		t.Fatalf("before commit: %q end %d, want nothing visible", got, end)
	}
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := readCommitted(t, c, "a"); got != "a1 a2" {
		t.Fatalf("a after commit: %q", got)
	}
	if got, _ := readCommitted(t, c, "b"); got != "b1" {
		t.Fatalf("b after commit: %q", got)
	}
	if err := p.Produce(ctx, "a", vals("a3")); err != nil {
		t.Fatal(err)
	}
	if err := p.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	if err := p.Produce(ctx, "a", vals("a4")); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := readCommitted(t, c, "a"); got != "a1 a2 a4" {
		t.Fatalf("a after abort and commit: %q", got)
	}
}

// TestTxnProducerFencesAbandoned simulates kill -9 of a producer in the
// middle of a transaction: the producer is neither committed nor closed.
// Creating its successor must abort that transaction before returning.
func TestTxnProducerFencesAbandoned(t *testing.T) {
	ctx := context.Background()
	cluster, c := newTestClient(t, 1, "out")
	old := newTestTxnProducer(t, cluster.ListenAddrs(), "sink")
	if err := old.Produce(ctx, "out", vals("c1")); err != nil {
		t.Fatal(err)
	}
	if err := old.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if err := old.Produce(ctx, "out", vals("u1", "u2")); err != nil {
		t.Fatal(err)
	}
	// The open transaction holds the last stable offset at its start
	// (c1 is offset 0, its commit marker 1).
	if got, end := readCommitted(t, c, "out"); got != "c1" || end != 2 {
		t.Fatalf("with open txn: %q end %d, want c1 end 2", got, end)
	}

	succ := newTestTxnProducer(t, cluster.ListenAddrs(), "sink")
	defer succ.Close()
	// No wait: the abort happened inside NewTxnProducer. The LSO moved
	// past u1, u2 and the abort marker.
	if got, end := readCommitted(t, c, "out"); got != "c1" || end != 5 {
		t.Fatalf("after fencing: %q end %d, want c1 end 5", got, end)
	}
	if err := succ.Produce(ctx, "out", vals("n1")); err != nil {
		t.Fatal(err)
	}
	if err := succ.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got, _ := readCommitted(t, c, "out"); got != "c1 n1" {
		t.Fatalf("after successor commit: %q", got)
	}
	// The abandoned producer is fenced: its commit fails.
	if err := old.Commit(ctx); err == nil {
		t.Fatal("commit of the fenced producer succeeded")
	}
	old.Close()
	if got, _ := readCommitted(t, c, "out"); got != "c1 n1" {
		t.Fatalf("after fenced close: %q", got)
	}
}

// TestTxnProducerCloseAborts: Close with an open transaction aborts it, so
// read_committed readers are not held back until the timeout.
func TestTxnProducerCloseAborts(t *testing.T) {
	ctx := context.Background()
	cluster, c := newTestClient(t, 1, "out")
	p := newTestTxnProducer(t, cluster.ListenAddrs(), "x")
	if err := p.Produce(ctx, "out", vals("u1")); err != nil {
		t.Fatal(err)
	}
	p.Close()
	if got, end := readCommitted(t, c, "out"); got != "" || end != 2 {
		t.Fatalf("after close: %q end %d, want nothing, end 2", got, end)
	}
}

func TestNewTxnProducerErrors(t *testing.T) {
	ctx := context.Background()
	if _, err := NewTxnProducer(ctx, Options{}, "x"); err == nil {
		t.Fatal("no brokers: want error")
	}
	if _, err := NewTxnProducer(ctx, Options{Brokers: []string{"127.0.0.1:1"}}, ""); err == nil {
		t.Fatal("empty txn id: want error")
	}
	cctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := NewTxnProducer(cctx, Options{Brokers: []string{"127.0.0.1:1"}}, "x"); err == nil {
		t.Fatal("unreachable broker: want error")
	}
}

func TestLastRecord(t *testing.T) {
	ctx := context.Background()
	cluster, c := newTestClient(t, 2, "m")
	last := func(want string, wantOK bool) {
		t.Helper()
		v, ok, err := c.LastRecord(ctx, "m", 0)
		if err != nil || ok != wantOK || string(v) != want {
			t.Fatalf("LastRecord = %q, %v, %v; want %q, %v", v, ok, err, want, wantOK)
		}
	}
	last("", false) // empty partition
	p := newTestTxnProducer(t, cluster.ListenAddrs(), "m")
	defer p.Close()
	if err := p.Produce(ctx, "m", vals("x1")); err != nil {
		t.Fatal(err)
	}
	if err := p.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	last("", false) // only aborted records and a marker
	if err := p.Produce(ctx, "m", vals("v1", "v2")); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	last("v2", true) // the commit marker follows v2
	// Many aborted transactions in a row: far more offsets than the
	// first window.
	for i := range 150 {
		if err := p.Produce(ctx, "m", vals(fmt.Sprint("a", i), "b", "c")); err != nil {
			t.Fatal(err)
		}
		if err := p.Abort(ctx); err != nil {
			t.Fatal(err)
		}
	}
	last("v2", true)
	// An open transaction is invisible too.
	if err := p.Produce(ctx, "m", vals("open")); err != nil {
		t.Fatal(err)
	}
	last("v2", true)
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	last("open", true)
	// Plain (non-transactional) records count; partition 1 is separate.
	if err := c.Produce(ctx, "m", []*Record{{Partition: 1, Value: []byte("p1")}}); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.LastRecord(ctx, "m", 1); err != nil || !ok || string(v) != "p1" {
		t.Fatalf("partition 1: %q, %v, %v", v, ok, err)
	}
	if _, _, err := c.LastRecord(ctx, "m", 2); err == nil {
		t.Fatal("partition out of range: want error")
	}
	if _, _, err := c.LastRecord(ctx, "nope", 0); err == nil {
		t.Fatal("unknown topic: want error")
	}
}

// TestTxnProducerManyCommits runs short transactions back to back, each
// writing to partitions the previous one wrote to, as a sink's
// checkpoints do, on fresh producers: a fresh client's first produce to a
// topic is where franz-go stores the topic's partitions late (see
// TxnProducer.settle). Without settle, a transaction that wrote only to
// such a topic was silently aborted at Commit (CI lost m44.1), and the
// next transaction's first produce failed with OUT_OF_ORDER_SEQUENCE_NUMBER.
// Every commit must be visible, and no produce may need Produce's retry.
func TestTxnProducerManyCommits(t *testing.T) {
	ctx := context.Background()
	cluster, c := newTestClient(t, 2, "out")
	if _, err := c.EnsureTopic(ctx, "mk", 1); err != nil {
		t.Fatal(err)
	}
	var want []string
	reopens := 0
	for i := range 60 {
		p := newTestTxnProducer(t, cluster.ListenAddrs(), "many")
		recs := []*Record{{Partition: 0, Value: []byte("a")}, {Partition: 1, Value: []byte("b")}}
		if err := p.Produce(ctx, "out", recs); err != nil {
			t.Fatalf("round %d: %v", i, err)
		}
		for j := range 3 {
			m := fmt.Sprintf("m%d.%d", i, j)
			want = append(want, m)
			if err := p.Produce(ctx, "mk", vals(m)); err != nil {
				t.Fatalf("round %d txn %d: %v", i, j, err)
			}
			if err := p.Commit(ctx); err != nil {
				t.Fatalf("round %d txn %d: %v", i, j, err)
			}
		}
		reopens += p.reopens
		p.Close()
	}
	if got, _ := readCommitted(t, c, "mk"); got != strings.Join(want, " ") {
		t.Fatalf("markers: %s\n%s", got, dumpTxnLog(t, cluster.ListenAddrs(), "mk"))
	}
	if reopens > 0 {
		t.Errorf("%d produces in 60 producers needed a fresh client", reopens)
	}
}

// TestTxnProducerSettle checks what settle relies on in franz-go: a record
// for an unplaceable partition fails at once, sends nothing, and leaves the
// transaction committable. A franz-go release that held such a record
// would make settle wait out settleTimeout and fail here.
func TestTxnProducerSettle(t *testing.T) {
	ctx := context.Background()
	cluster, c := newTestClient(t, 1, "s")
	p := newTestTxnProducer(t, cluster.ListenAddrs(), "settle")
	defer p.Close()
	if err := p.Produce(ctx, "s", vals("s1")); err != nil {
		t.Fatal(err)
	}
	if !p.settled["s"] {
		t.Fatal("topic not settled after its first produce")
	}
	start := time.Now()
	if err := p.settle(ctx, "s"); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > settleTimeout/2 {
		t.Fatalf("settle took %v", d)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := p.settle(cancelled, "s"); !errors.Is(err, context.Canceled) {
		t.Fatalf("settle with a cancelled ctx: %v, want context.Canceled", err)
	}
	if err := p.Produce(ctx, "s", vals("s2")); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got, end := readCommitted(t, c, "s"); got != "s1 s2" || end != 3 {
		t.Fatalf("after commit: %q, end %d; want s1 s2 and their commit marker only", got, end)
	}
}
