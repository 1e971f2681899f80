package ingest

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Produce writes recs to topic and returns once every record is
// acknowledged by all in-sync replicas (acks=all), or with the first
// error. A record with Partition < 0 goes to the partition its key hashes
// to (Kafka's murmur2, as the Java client does), or round-robin when it has
// no key. On success Produce sets each record's Partition and Offset to
// where it was written; a zero Timestamp means "now". Records within one
// partition keep their order.
func (c *Client) Produce(ctx context.Context, topic string, recs []*Record) error {
	if len(recs) == 0 {
		return nil
	}
	krs := make([]kgo.Record, len(recs))
	ptrs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = kgo.Record{Topic: topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
		ptrs[i] = &krs[i]
	}
	// ProduceSync's results arrive in completion order, not input order,
	// so read the outcome back from krs, which franz-go filled in place.
	if err := c.cl.ProduceSync(ctx, ptrs...).FirstErr(); err != nil {
		return fmt.Errorf("ingest: produce to %q: %w", topic, err)
	}
	for i := range krs {
		recs[i].Partition = krs[i].Partition
		recs[i].Offset = krs[i].Offset
		recs[i].Timestamp = krs[i].Timestamp
	}
	return nil
}

// partitioner honours an explicit Record.Partition and otherwise hashes the
// key or round-robins, so one client serves both INSERT (explicit or keyed)
// and the generator.
type partitioner struct{}

var _ kgo.Partitioner = partitioner{}

func (partitioner) ForTopic(string) kgo.TopicPartitioner {
	return &topicPartitioner{keyed: kgo.StickyKeyPartitioner(nil).ForTopic("")}
}

// topicPartitioner is franz-go's per-topic state for partitioner.
type topicPartitioner struct {
	keyed kgo.TopicPartitioner
	rr    atomic.Uint32
}

// RequiresConsistency pins explicit and keyed records to their partition
// even while it is unavailable.
func (p *topicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition >= 0 || r.Key != nil
}

func (p *topicPartitioner) Partition(r *kgo.Record, n int) int {
	switch {
	case r.Partition >= 0:
		// Out-of-range partitions fail the produce in franz-go.
		return int(r.Partition)
	case r.Key != nil:
		return p.keyed.Partition(r, n)
	}
	return int((p.rr.Add(1) - 1) % uint32(n))
}
