package ingest

import (
	"context"
	"errors"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
)

// EndOffsets returns, per partition (index = partition), the offset one
// past the last readable record. Fetch reads with read_committed isolation,
// so this is the last stable offset, which equals the high watermark unless
// a transaction is open on the partition; a range bounded by it never waits
// for an open transaction.
func (c *Client) EndOffsets(ctx context.Context, topic string) ([]int64, error) {
	lo, err := c.adm.ListCommittedOffsets(ctx, topic)
	return c.listedToSlice(topic, "end", lo, err)
}

// StartOffsets returns the log start offset of every partition (index =
// partition): the first offset that can still be fetched.
func (c *Client) StartOffsets(ctx context.Context, topic string) ([]int64, error) {
	lo, err := c.adm.ListStartOffsets(ctx, topic)
	return c.listedToSlice(topic, "start", lo, err)
}

// listedToSlice turns kadm's map into a dense slice, mapping a missing
// topic to ErrUnknownTopic.
func (c *Client) listedToSlice(topic, which string, lo kadm.ListedOffsets, err error) ([]int64, error) {
	if err != nil {
		return nil, fmt.Errorf("ingest: list %s offsets of %q: %w", which, topic, err)
	}
	ps := lo[topic]
	if len(ps) == 0 {
		return nil, c.unknownTopic(topic)
	}
	out := make([]int64, len(ps))
	for p, o := range ps {
		if errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
			return nil, c.unknownTopic(topic)
		}
		if o.Err != nil {
			return nil, fmt.Errorf("ingest: list %s offsets of %q/%d: %w", which, topic, p, o.Err)
		}
		if p < 0 || int(p) >= len(out) {
			return nil, fmt.Errorf("ingest: list %s offsets of %q: partition %d out of %d", which, topic, p, len(out))
		}
		out[p] = o.Offset
	}
	return out, nil
}
