package ingest

import (
	"context"
	"errors"
	"fmt"
	"time"

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

// sharedOffsetsTimeout bounds a shared end-offsets lookup, which runs
// detached from the callers' contexts (one caller's cancel must not fail
// the others).
const sharedOffsetsTimeout = 30 * time.Second

// EndOffsetsShared is EndOffsets for callers that only need offsets at
// least as recent as some lookup in progress when they call: concurrent
// calls for a topic share one ListOffsets request. Hundreds of queries
// planning their micro-batches on one stream then cost the broker one
// request per round instead of one each (the 500-session load run queued
// pull queries for seconds behind 1000 lookups a second). A caller that
// needs the offsets as of its call, such as ProcessAllAvailable's target,
// uses EndOffsets. The caller must not modify the returned slice.
func (c *Client) EndOffsetsShared(ctx context.Context, topic string) ([]int64, error) {
	ch := c.ends.DoChan(topic, func() (any, error) {
		lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sharedOffsetsTimeout)
		defer cancel()
		return c.EndOffsets(lctx, topic)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return nil, r.Err
		}
		return r.Val.([]int64), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
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
