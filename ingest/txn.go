package ingest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TxnTimeout is the transaction timeout a TxnProducer asks for: the broker
// aborts a transaction whose first record is older than this without a
// commit. It bounds how long a producer that died mid-transaction keeps
// the partitions' last stable offset (and so every read_committed reader)
// stuck when no successor fences it, so it is short; the owner must commit
// well within it (exec's sink commits at every checkpoint, whose interval
// must stay below TxnTimeout). Brokers cap it with
// transaction.max.timeout.ms (15 minutes by default).
const TxnTimeout = 60 * time.Second

// closeAbortTimeout bounds the abort Close attempts for an open
// transaction.
const closeAbortTimeout = 5 * time.Second

// TxnProducer writes records to Kafka in transactions (exactly-once
// sinks), with acks=all and idempotence. Not safe for concurrent use.
//
// Goroutines: franz-go's own, stopped and waited for by Close.
type TxnProducer struct {
	cl    *kgo.Client
	opts  Options
	txnID string
	// inTxn: a transaction was begun and neither committed nor aborted.
	inTxn bool
	// settled holds the topics whose partitions the client is known to
	// have stored (see settle). Reset with the client.
	settled map[string]bool
	// reopens counts the recoveries of Produce (for tests).
	reopens int
}

// NewTxnProducer initialises the producer id for txnID before returning,
// which fences any other producer with that id (its later produces and
// commits fail) and aborts its open transaction, so the records it left
// uncommitted never become visible to read_committed readers. The caller
// must Close the producer.
func NewTxnProducer(ctx context.Context, opts Options, txnID string) (*TxnProducer, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if txnID == "" {
		return nil, errors.New("ingest: transactional producer: empty transactional id")
	}
	p := &TxnProducer{opts: opts, txnID: txnID}
	if err := p.open(ctx); err != nil {
		return nil, err
	}
	return p, nil
}

// open creates the franz-go client and initialises its producer id.
func (p *TxnProducer) open(ctx context.Context) error {
	cl, err := kgo.NewClient(
		kgo.SeedBrokers(p.opts.Brokers...),
		kgo.ClientID(p.opts.ClientID),
		kgo.WithLogger(kgoLogger{p.opts.Logger}),
		kgo.RecordPartitioner(partitioner{}),
		kgo.TransactionalID(p.txnID),
		kgo.TransactionTimeout(TxnTimeout),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		// Produce waits for its acks anyway: lingering only adds latency.
		kgo.ProducerLinger(0),
	)
	if err != nil {
		return fmt.Errorf("ingest: new transactional client %q: %w", p.txnID, err)
	}
	// franz-go would otherwise send InitProducerID lazily on the first
	// produce; doing it now means the previous incarnation is fenced and
	// its transaction aborted before the caller reads what it committed.
	if _, _, err := cl.ProducerID(ctx); err != nil {
		cl.Close()
		return fmt.Errorf("ingest: init producer id for %q: %w", p.txnID, err)
	}
	p.cl, p.settled = cl, make(map[string]bool)
	return nil
}

// Produce writes recs to topic inside the open transaction, beginning one
// if none is open, and returns once every record is acknowledged, so
// buffered memory is bounded by one call. Records are partitioned and
// filled in as by Client.Produce. They become visible to read_committed
// readers only at Commit. After an error the transaction is doomed: Abort
// it (its records are discarded) before producing again.
//
// A call that begins a transaction and fails with
// OUT_OF_ORDER_SEQUENCE_NUMBER or INVALID_TXN_STATE is retried once on a
// fresh client: either leaves franz-go's producer id unusable. The known
// cause, a partition whose sequence the epoch bump missed, is what settle
// prevents; the retry stays for causes not known. Nothing else is in that
// transaction yet, and the fresh client's InitProducerID aborts whatever
// the failed call wrote, so the retry loses and duplicates nothing.
func (p *TxnProducer) Produce(ctx context.Context, topic string, recs []*Record) error {
	if len(recs) == 0 {
		return nil
	}
	first := !p.inTxn
	err := p.produce(ctx, topic, recs)
	// Only those two errors: reopening after being fenced (a newer
	// incarnation owns the id) would fence that incarnation in turn.
	if err == nil || !first || ctx.Err() != nil ||
		!errors.Is(err, kerr.OutOfOrderSequenceNumber) && !errors.Is(err, kerr.InvalidTxnState) {
		return err
	}
	p.opts.Logger.Warn("transactional producer: first produce of a transaction failed, reopening",
		"txn_id", p.txnID, "err", err)
	p.cl.Close()
	p.cl, p.inTxn = nil, false
	p.reopens++
	if rerr := p.open(ctx); rerr != nil {
		return fmt.Errorf("%w (reopening after: %w)", rerr, err)
	}
	return p.produce(ctx, topic, recs)
}

func (p *TxnProducer) produce(ctx context.Context, topic string, recs []*Record) error {
	if p.cl == nil { // a reopen failed: try again
		if err := p.open(ctx); err != nil {
			return err
		}
	}
	if !p.inTxn {
		if err := p.cl.BeginTransaction(); err != nil {
			return fmt.Errorf("ingest: begin transaction %q: %w", p.txnID, err)
		}
		p.inTxn = true
	}
	krs := make([]kgo.Record, len(recs))
	ptrs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		krs[i] = kgo.Record{Topic: topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp}
		ptrs[i] = &krs[i]
	}
	if err := p.cl.ProduceSync(ctx, ptrs...).FirstErr(); err != nil {
		return fmt.Errorf("ingest: transactional produce %q to %q: %w", p.txnID, topic, err)
	}
	for i := range krs {
		recs[i].Partition = krs[i].Partition
		recs[i].Offset = krs[i].Offset
		recs[i].Timestamp = krs[i].Timestamp
	}
	if !p.settled[topic] {
		if err := p.settle(ctx, topic); err != nil {
			return err
		}
		p.settled[topic] = true
	}
	return nil
}

// settleTimeout bounds settle.
const settleTimeout = 10 * time.Second

// unplaceable is a partition no topic has: a record asking for it fails
// in franz-go's partitioning, before it is buffered or sent.
const unplaceable = math.MaxInt32

// settle returns once the client has stored topic's partitions.
//
// franz-go v1.22.2 partitions the records that waited for a topic's first
// metadata before it stores the topic's partitions (storePartitionsUpdate
// stores them in a deferred call), so the first produce to a topic can be
// acknowledged, and the caller move on to Commit, while the client's list
// of the topic's partitions is still empty. EndTransaction, which finds
// the partitions a transaction wrote to in that list, then sees none and
// turns the commit into an abort, returning nil: the records are silently
// lost. And the epoch bump at the end of the transaction misses the
// partitions' sequence reset, so the next transaction's first produce
// fails with OUT_OF_ORDER_SEQUENCE_NUMBER.
//
// A record for an unplaceable partition takes the same lookup, which,
// while the partitions are not stored, waits for the lock they are stored
// under; then it fails to be partitioned, and nothing is sent. Its error
// is the expected outcome; success would mean a record went out. franz-go
// fails a record before that lookup only for causes that cannot hold here,
// just after a produce to the topic in this transaction succeeded: no
// topic, no transaction, a record over the size limit.
//
// The wait is bounded by settleTimeout, in case a franz-go release holds
// such a record instead of failing it.
func (p *TxnProducer) settle(ctx context.Context, topic string) error {
	ctx, cancel := context.WithTimeout(ctx, settleTimeout)
	defer cancel()
	done := make(chan error, 1)
	p.cl.Produce(ctx, &kgo.Record{Topic: topic, Partition: unplaceable}, func(_ *kgo.Record, err error) {
		done <- err
	})
	err := <-done
	switch {
	case ctx.Err() != nil: // the record may have failed without waiting
		return fmt.Errorf("ingest: transactional produce %q to %q: settling the topic: %w", p.txnID, topic, ctx.Err())
	case err == nil:
		return fmt.Errorf("ingest: transactional produce %q: partition %d of %q accepted a record", p.txnID, unplaceable, topic)
	}
	return nil
}

// Commit makes the open transaction's records visible, atomically across
// topics and partitions. Without an open transaction it does nothing.
// On error the outcome may be unknown (the commit may have reached the
// coordinator): Abort, and let the caller's own markers decide what was
// committed. Do not cancel ctx mid-commit unless giving up.
func (p *TxnProducer) Commit(ctx context.Context) error {
	if !p.inTxn {
		return nil
	}
	if err := p.cl.Flush(ctx); err != nil {
		return fmt.Errorf("ingest: commit %q: flush: %w", p.txnID, err)
	}
	if err := p.cl.EndTransaction(ctx, kgo.TryCommit); err != nil {
		return fmt.Errorf("ingest: commit %q: %w", p.txnID, err)
	}
	p.inTxn = false
	return nil
}

// Abort discards the open transaction's records. Without an open
// transaction it does nothing.
func (p *TxnProducer) Abort(ctx context.Context) error {
	if !p.inTxn {
		return nil
	}
	// Fail what is still buffered (nothing after a successful Produce,
	// but a failed or cancelled one may leave records behind).
	if err := p.cl.AbortBufferedRecords(ctx); err != nil {
		return fmt.Errorf("ingest: abort %q: %w", p.txnID, err)
	}
	if err := p.cl.EndTransaction(ctx, kgo.TryAbort); err != nil {
		return fmt.Errorf("ingest: abort %q: %w", p.txnID, err)
	}
	p.inTxn = false
	return nil
}

// Close aborts an open transaction (best effort, bounded by
// closeAbortTimeout: a transaction left open would hold back read_committed
// readers until TxnTimeout) and closes the client, waiting for franz-go's
// goroutines. Commit first to keep the records.
func (p *TxnProducer) Close() {
	if p.inTxn {
		ctx, cancel := context.WithTimeout(context.Background(), closeAbortTimeout)
		if err := p.Abort(ctx); err != nil {
			p.opts.Logger.Debug("transactional producer: abort on close", "txn_id", p.txnID, "err", err)
		}
		cancel()
	}
	if p.cl != nil {
		p.cl.Close()
	}
}
