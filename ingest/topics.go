package ingest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"
)

// topicMeta is what Fetch needs to address a topic: its ID (fetch v13+
// names topics by ID), the leader broker of each partition, and the
// brokers' addresses, all from one metadata response.
type topicMeta struct {
	id      [16]byte
	leaders []int32          // index = partition
	addrs   map[int32]string // host:port by broker node id
}

// EnsureTopic creates topic with the given number of partitions
// (replication 1) if it does not exist, and returns the topic's actual
// partition count, which differs from partitions if it already existed.
func (c *Client) EnsureTopic(ctx context.Context, topic string, partitions int32) (int32, error) {
	if partitions < 1 {
		partitions = 1
	}
	n, err := c.Partitions(ctx, topic)
	if err == nil {
		return n, nil
	}
	if !errors.Is(err, ErrUnknownTopic) {
		return 0, err
	}
	_, err = c.adm.CreateTopic(ctx, partitions, 1, nil, topic)
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return 0, fmt.Errorf("ingest: create topic %q: %w", topic, err)
	}
	// franz-go caches the "unknown topic" answer for admin requests; drop
	// it so the read-back and later offset listings see the new topic.
	c.cl.PurgeTopicsFromClient(topic)
	// Another creator may have won the race with a different count; read
	// it back rather than assume ours.
	return c.Partitions(ctx, topic)
}

// Partitions returns the partition count of topic, or an error wrapping
// ErrUnknownTopic. It also refreshes the leader cache Fetch uses.
func (c *Client) Partitions(ctx context.Context, topic string) (int32, error) {
	m, err := c.loadMeta(ctx, topic)
	if err != nil {
		return 0, err
	}
	return int32(len(m.leaders)), nil
}

// loadMeta issues a metadata request for topic and caches the result.
func (c *Client) loadMeta(ctx context.Context, topic string) (*topicMeta, error) {
	md, err := c.adm.Metadata(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("ingest: metadata for %q: %w", topic, err)
	}
	td, ok := md.Topics[topic]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) {
		return nil, c.unknownTopic(topic)
	}
	if td.Err != nil {
		return nil, fmt.Errorf("ingest: metadata for %q: %w", topic, td.Err)
	}
	m := &topicMeta{id: td.ID, leaders: make([]int32, len(td.Partitions)), addrs: make(map[int32]string, len(md.Brokers))}
	for _, b := range md.Brokers {
		m.addrs[b.NodeID] = net.JoinHostPort(b.Host, strconv.Itoa(int(b.Port)))
	}
	for p, pd := range td.Partitions {
		if p < 0 || int(p) >= len(m.leaders) {
			return nil, fmt.Errorf("ingest: metadata for %q: partition %d out of %d", topic, p, len(m.leaders))
		}
		m.leaders[p] = pd.Leader
	}
	c.mu.Lock()
	c.mu.leaders[topic] = m
	c.mu.Unlock()
	return m, nil
}

// cachedMeta returns the cached metadata for topic, loading it on a miss.
func (c *Client) cachedMeta(ctx context.Context, topic string) (*topicMeta, error) {
	c.mu.Lock()
	m := c.mu.leaders[topic]
	c.mu.Unlock()
	if m != nil {
		return m, nil
	}
	return c.loadMeta(ctx, topic)
}

// forgetMeta drops topic from the cache after a leadership error.
func (c *Client) forgetMeta(topic string) {
	c.mu.Lock()
	delete(c.mu.leaders, topic)
	c.mu.Unlock()
}

// unknownTopic returns ErrUnknownTopic for topic and purges franz-go's
// cached negative answer, so a topic created meanwhile by another client is
// found by the next call instead of after the metadata cache ages out.
func (c *Client) unknownTopic(topic string) error {
	c.cl.PurgeTopicsFromClient(topic)
	return fmt.Errorf("%w %q", ErrUnknownTopic, topic)
}
