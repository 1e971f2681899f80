package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const (
	// fetchMaxWait is how long the broker may hold a fetch whose range is
	// not yet fully available; Fetch loops (checking ctx) until it is.
	fetchMaxWait = 500 * time.Millisecond
	// fetchPartitionMaxBytes bounds one partition's share of a response:
	// Kafka's consumer default (max.partition.fetch.bytes). At 8 MiB,
	// q7-agg over 1 M bids ran about 10% slower with twice the peak RSS:
	// responses that big leave the caches before they are decoded.
	fetchPartitionMaxBytes = 1 << 20
	fetchMaxBytes          = 64 << 20
	// fetchMaxRetries bounds consecutive leadership/transport failures.
	fetchMaxRetries = 20
	fetchRetryDelay = 50 * time.Millisecond
)

// pendingRange is a range still being read: next is the next offset to
// ask for.
type pendingRange struct {
	partition int32
	next, end int64
}

// Fetch reads exactly the records with offsets in [r.Start, r.End) of every
// range (all of one topic), calling fn in offset order within a partition
// and never concurrently. The Record passed to fn, and its Key and Value,
// are only valid during the call. Fetch returns when every range is
// complete, on ctx's error, on a fetch error, or on fn's error (returned
// as is). Transaction control records and aborted records are skipped, so
// offsets may have gaps; a partition is complete once the broker's next
// offset reaches End.
//
// Fetch never joins a group or commits: it sends fetch requests (read
// committed, no fetch session) directly to the partition leaders, so a call
// costs one round trip per leader when the data is available. It sends
// them on connections of its own (fetchconn.go) whose read buffers are
// reused, so records are delivered from a buffer that no other call uses
// meanwhile and that is not allocated per fetch.
func (c *Client) Fetch(ctx context.Context, topic string, ranges []Range, fn func(*Record) error) error {
	pending, err := pendingRanges(ranges)
	if err != nil {
		return err
	}
	var rec Record
	failures := 0
	for len(pending) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		retry, err := c.fetchOnce(ctx, topic, pending, &rec, fn)
		if err != nil {
			return err
		}
		if retry != nil {
			failures++
			if failures > fetchMaxRetries {
				return fmt.Errorf("ingest: fetch %q: giving up: %w", topic, retry)
			}
			c.forgetMeta(topic)
			if err := sleepCtx(ctx, fetchRetryDelay); err != nil {
				return err
			}
			continue
		}
		failures = 0
		pending = dropComplete(pending)
	}
	return nil
}

// pendingRanges validates ranges and drops the empty ones.
func pendingRanges(ranges []Range) ([]pendingRange, error) {
	pending := make([]pendingRange, 0, len(ranges))
	for _, r := range ranges {
		if r.Start < 0 || r.End < r.Start {
			return nil, fmt.Errorf("ingest: fetch: bad range %d:[%d,%d)", r.Partition, r.Start, r.End)
		}
		if r.Start < r.End {
			pending = append(pending, pendingRange{partition: r.Partition, next: r.Start, end: r.End})
		}
	}
	return pending, nil
}

func dropComplete(pending []pendingRange) []pendingRange {
	kept := pending[:0]
	for _, p := range pending {
		if p.next < p.end {
			kept = append(kept, p)
		}
	}
	return kept
}

// fetchOnce sends one fetch request to the leader of pending[0], covering
// every pending partition with that leader, and delivers its records. A
// non-nil retry means a retriable failure (leadership moved, connection
// lost): the caller refreshes metadata and tries again.
func (c *Client) fetchOnce(ctx context.Context, topic string, pending []pendingRange, rec *Record, fn func(*Record) error) (retry, err error) {
	meta, err := c.cachedMeta(ctx, topic)
	if err != nil {
		return nil, err
	}
	leader, err := leaderOf(meta, topic, pending[0].partition)
	if err != nil {
		return nil, err
	}
	req := buildFetch(topic, meta, leader, pending)
	conn, resp, err := c.sendFetch(ctx, meta, leader, req)
	if err != nil {
		return classifyFetchErr(ctx, err)
	}
	// Every record is delivered before the conn, whose buffer the
	// response aliases, goes back to the pool.
	defer c.fetch.put(conn)
	if resp.ErrorCode != 0 {
		return kerr.ErrorForCode(resp.ErrorCode), nil
	}
	for i := range resp.Topics {
		for j := range resp.Topics[i].Partitions {
			rp := &resp.Topics[i].Partitions[j]
			p := findPending(pending, rp.Partition)
			if p == nil {
				continue
			}
			if retry, err := c.deliver(topic, p, rp, rec, fn); retry != nil || err != nil {
				return retry, err
			}
		}
	}
	return nil, nil
}

func leaderOf(meta *topicMeta, topic string, partition int32) (int32, error) {
	if partition < 0 || int(partition) >= len(meta.leaders) {
		return 0, fmt.Errorf("ingest: fetch %q: partition %d of %d: %w", topic, partition, len(meta.leaders), kerr.UnknownTopicOrPartition)
	}
	return meta.leaders[partition], nil
}

func buildFetch(topic string, meta *topicMeta, leader int32, pending []pendingRange) *kmsg.FetchRequest {
	req := kmsg.NewPtrFetchRequest()
	req.MaxWaitMillis = int32(fetchMaxWait / time.Millisecond)
	req.MinBytes = 1
	req.MaxBytes = fetchMaxBytes
	req.IsolationLevel = 1 // read committed
	// Fetch names topics by ID from v13 and by name before; kmsg
	// encodes whichever the version has. A topic without an ID (a
	// broker older than Kafka 2.8) can only be named.
	req.Version = req.MaxVersion()
	if meta.id == ([16]byte{}) {
		req.Version = min(req.Version, 12)
	}
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rt.TopicID = meta.id
	for _, p := range pending {
		if int(p.partition) >= len(meta.leaders) || meta.leaders[p.partition] != leader {
			continue
		}
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.Partition = p.partition
		rp.FetchOffset = p.next
		rp.PartitionMaxBytes = fetchPartitionMaxBytes
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	return req
}

// sendFetch sends req to broker leader on a pooled connection. The caller
// must put the returned conn back to the pool once done with resp, which
// aliases the conn's buffer (conn is nil through kgo).
func (c *Client) sendFetch(ctx context.Context, meta *topicMeta, leader int32, req *kmsg.FetchRequest) (*fetchConn, *kmsg.FetchResponse, error) {
	if c.fetchViaKgo {
		resp, err := req.RequestWith(ctx, c.cl.Broker(int(leader)))
		return nil, resp, err
	}
	addr, ok := meta.addrs[leader]
	if !ok {
		return nil, nil, fmt.Errorf("ingest: broker %d is not in the cluster metadata", leader)
	}
	return c.fetch.roundTrip(ctx, leader, addr, req)
}

// classifyFetchErr sorts a failed fetch request: ctx's end and failures
// no retry can fix are errors; the rest (connection lost, broker gone or
// unknown) are retried with fresh metadata.
func classifyFetchErr(ctx context.Context, err error) (retry, _ error) {
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(err, errFetchClosed), errors.Is(err, errFetchUnsupported):
		return nil, err
	}
	return err, nil
}

func findPending(pending []pendingRange, partition int32) *pendingRange {
	for i := range pending {
		if pending[i].partition == partition {
			return &pending[i]
		}
	}
	return nil
}

// deliver hands the records of one partition of a fetch response in
// [p.next, p.end) to fn and advances p.next to the broker's next offset,
// which steps over control batches and aborted or compacted records.
// walkBatches reads the response in place; kgo decodes what it does not
// read (message sets v0 and v1, from brokers or logs older than Kafka 0.11).
func (c *Client) deliver(topic string, p *pendingRange, rp *kmsg.FetchResponseTopicPartition, rec *Record, fn func(*Record) error) (retry, err error) {
	if rp.ErrorCode != 0 {
		perr := kerr.ErrorForCode(rp.ErrorCode)
		if isRetriable(perr) {
			return perr, nil
		}
		return nil, fmt.Errorf("ingest: fetch %q/%d at %d: %w", topic, p.partition, p.next, perr)
	}
	start := p.next
	legacy, err := walkBatches(topic, p, rp, rec, fn)
	if err != nil || len(legacy) == 0 {
		return nil, err
	}
	if p.next != start {
		// The batches before the legacy ones moved p.next, and with it
		// the aborted-transaction state kgo would rebuild from the
		// whole list. The next fetch starts at the legacy batch instead.
		return nil, nil
	}
	// Nothing before legacy was delivered or tracked: kgo reading just
	// the rest is kgo reading the whole response.
	rest := *rp
	rest.RecordBatches = legacy
	return nil, deliverLegacy(topic, p, &rest, rec, fn)
}

// deliverLegacy is deliver through kgo.ProcessFetchPartition, which reads
// every message format but builds a []kgo.Record for the whole response.
func deliverLegacy(topic string, p *pendingRange, rp *kmsg.FetchResponseTopicPartition, rec *Record, fn func(*Record) error) error {
	fp, next := kgo.ProcessFetchPartition(kgo.ProcessFetchPartitionOpts{
		Offset:         p.next,
		IsolationLevel: kgo.ReadCommitted(),
		Topic:          topic,
		Partition:      p.partition,
	}, rp, decompressor, nil)
	if fp.Err != nil {
		return fmt.Errorf("ingest: fetch %q/%d at %d: %w", topic, p.partition, p.next, fp.Err)
	}
	for _, r := range fp.Records {
		if r.Offset >= p.end {
			break
		}
		if r.Offset < p.next {
			continue
		}
		*rec = Record{Partition: p.partition, Offset: r.Offset, Timestamp: r.Timestamp, Key: r.Key, Value: r.Value}
		if err := fn(rec); err != nil {
			return err
		}
	}
	p.next = max(p.next, next)
	return nil
}

func isRetriable(err error) bool {
	switch {
	case errors.Is(err, kerr.NotLeaderForPartition),
		errors.Is(err, kerr.LeaderNotAvailable),
		errors.Is(err, kerr.FencedLeaderEpoch),
		errors.Is(err, kerr.UnknownLeaderEpoch),
		errors.Is(err, kerr.UnknownTopicOrPartition),
		errors.Is(err, kerr.UnknownTopicID),
		errors.Is(err, kerr.KafkaStorageError):
		return true
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
