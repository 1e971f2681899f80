package ingest

import (
	"context"
	"fmt"
)

const (
	// lastRecordWindow is the first window LastRecord reads back from the
	// end; each miss multiplies it by lastRecordGrowth, so a tail of n
	// aborted records or markers costs O(log n) fetches and O(n) reading.
	lastRecordWindow = 64
	lastRecordGrowth = 4
)

// LastRecord returns the value of the last committed (read_committed) data
// record of topic/partition, skipping transaction control records and
// aborted records; ok=false if the partition has none. It reads backwards
// from the last stable offset in growing windows, so a long run of aborted
// transactions at the end of the log still finds the record before it. The
// returned value is a copy owned by the caller.
func (c *Client) LastRecord(ctx context.Context, topic string, partition int32) (value []byte, ok bool, err error) {
	starts, err := c.StartOffsets(ctx, topic)
	if err != nil {
		return nil, false, err
	}
	ends, err := c.EndOffsets(ctx, topic)
	if err != nil {
		return nil, false, err
	}
	if partition < 0 || int(partition) >= len(ends) || int(partition) >= len(starts) {
		return nil, false, fmt.Errorf("ingest: last record of %q: partition %d of %d: %w", topic, partition, len(ends), ErrUnknownTopic)
	}
	start, end := starts[partition], ends[partition]
	for window := int64(lastRecordWindow); end > start; window *= lastRecordGrowth {
		from := max(start, end-window)
		found := false
		err := c.Fetch(ctx, topic, []Range{{Partition: partition, Start: from, End: end}}, func(r *Record) error {
			// Records arrive in offset order: the last one wins.
			value = append(value[:0], r.Value...)
			found = true
			return nil
		})
		if err != nil {
			return nil, false, fmt.Errorf("ingest: last record of %q/%d in [%d,%d): %w", topic, partition, from, end, err)
		}
		if found {
			return value, true, nil
		}
		end = from
	}
	return nil, false, nil
}
