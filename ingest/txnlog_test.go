package ingest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// dumpTxnLog describes topic/partition 0 as the broker holds it, for a
// failing transactional test: every batch (offsets, producer, epoch,
// whether transactional or a control batch, its values) as read
// uncommitted, and the aborted transactions a read committed fetch
// names. It says whether a lost record is missing from the log or hidden
// by the read.
func dumpTxnLog(t testing.TB, addrs []string, topic string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		return err.Error()
	}
	defer cl.Close()
	meta := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	meta.Topics = append(meta.Topics, mt)
	mresp, err := meta.RequestWith(ctx, cl)
	if err != nil || len(mresp.Topics) != 1 {
		return fmt.Sprintf("metadata: %v", err)
	}
	var b strings.Builder
	for _, level := range []int8{0, 1} {
		req := kmsg.NewPtrFetchRequest()
		req.ReplicaID = -1
		req.MaxBytes = 64 << 20
		req.IsolationLevel = level
		rt := kmsg.NewFetchRequestTopic()
		rt.Topic = topic
		rt.TopicID = mresp.Topics[0].TopicID
		rp := kmsg.NewFetchRequestTopicPartition()
		rp.PartitionMaxBytes = 64 << 20
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return err.Error()
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return fmt.Sprintf("unexpected response shape: %+v", resp)
		}
		p := resp.Topics[0].Partitions[0]
		fmt.Fprintf(&b, "isolation %d: error %d, high watermark %d, last stable %d, aborted %v\n",
			level, p.ErrorCode, p.HighWatermark, p.LastStableOffset, p.AbortedTransactions)
		if level == 1 {
			break
		}
		in := p.RecordBatches
		for len(in) >= batchHeaderLen {
			var rb kmsg.RecordBatch
			if err := rb.ReadFrom(in); err != nil {
				fmt.Fprintf(&b, "  unreadable: %v\n", err)
				break
			}
			h := readBatchHeader(in)
			in = in[batchLengthEnd+int(rb.Length):]
			fmt.Fprintf(&b, "  %d..%d producer %d epoch %d txn %v control %v:",
				rb.FirstOffset, h.lastOffset(), rb.ProducerID, rb.ProducerEpoch,
				rb.Attributes&attrTransactional != 0, rb.Attributes&attrControl != 0)
			src, err := decompressRecords(&h, rb.Records)
			if err != nil {
				fmt.Fprintf(&b, " (%v)\n", err)
				continue
			}
			for range rb.NumRecords {
				r, n, err := readRecord(src)
				if err != nil {
					fmt.Fprintf(&b, " (%v)", err)
					break
				}
				src = src[n:]
				if rb.Attributes&attrControl != 0 {
					fmt.Fprintf(&b, " key %x", r.key)
				} else {
					fmt.Fprintf(&b, " %s", r.value)
				}
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}
