package ingest

// This file reads the record batches of a fetch response in place. Decoding
// them with kgo.ProcessFetchPartition built a []kgo.Record (about 200 bytes
// per Kafka record) for every fetch only for deliver to copy each into a
// Record: it was ~40% of the server's own allocated bytes. The walker below
// hands fn a reused Record whose Key and Value alias the response, so an
// uncompressed response costs no allocation at all.

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Byte offsets in a magic-2 RecordBatch header (KIP-98). batchLength counts
// the bytes after its own field; the CRC covers attributes to the end.
const (
	batchLengthAt    = 8
	batchLengthEnd   = 12
	batchMagicAt     = 16
	batchCRCAt       = 17
	batchAttrsAt     = 21
	batchLastDeltaAt = 23
	batchBaseTimeAt  = 27
	batchMaxTimeAt   = 35
	batchProducerAt  = 43
	batchCountAt     = 57
	batchHeaderLen   = 61
)

// RecordBatch attribute bits.
const (
	attrCodec         = 0x07 // 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd
	attrLogAppendTime = 0x08 // every record's timestamp is maxTimestamp
	attrTransactional = 0x10
	attrControl       = 0x20
)

// castagnoli is the CRC-32C table; crc32 uses the SSE4.2/ARMv8 instructions
// for it when the CPU has them.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorruptBatch is wrapped by every error about the bytes of a batch.
var errCorruptBatch = errors.New("corrupt record batch")

// batchHeader holds the header fields the walker uses.
type batchHeader struct {
	baseOffset    int64
	baseTimestamp int64
	maxTimestamp  int64
	producerID    int64
	lastDelta     int32
	numRecords    int32
	attrs         int16
}

// readBatchHeader decodes the header of b, which is at least batchHeaderLen
// bytes long.
func readBatchHeader(b []byte) batchHeader {
	be := binary.BigEndian
	return batchHeader{
		baseOffset:    int64(be.Uint64(b)),
		attrs:         int16(be.Uint16(b[batchAttrsAt:])),
		lastDelta:     int32(be.Uint32(b[batchLastDeltaAt:])),
		baseTimestamp: int64(be.Uint64(b[batchBaseTimeAt:])),
		maxTimestamp:  int64(be.Uint64(b[batchMaxTimeAt:])),
		producerID:    int64(be.Uint64(b[batchProducerAt:])),
		numRecords:    int32(be.Uint32(b[batchCountAt:])),
	}
}

func (h *batchHeader) lastOffset() int64 { return h.baseOffset + int64(h.lastDelta) }

func (h *batchHeader) timestamp(delta int64) time.Time {
	if h.attrs&attrLogAppendTime != 0 {
		return time.UnixMilli(h.maxTimestamp)
	}
	return time.UnixMilli(h.baseTimestamp + delta)
}

// batchWalker delivers the records of one partition's response. It lives
// on walkBatches' stack.
type batchWalker struct {
	topic string
	p     *pendingRange
	rec   *Record
	fn    func(*Record) error
	// fnFailed says the error being returned is fn's, to pass on as is.
	fnFailed bool
	aborted  abortedTxns
}

// walkBatches calls fn, in order, for the records of rp with offsets in
// [p.next, p.end) that a read committed consumer sees, and advances p.next
// past every complete batch, as kgo.ProcessFetchPartition does. It stops
// at the end of the response, at a truncated last batch (the broker cuts
// responses at max bytes), once p.next reaches p.end (the rest of the
// response is not needed), or at the first batch that is not magic 2,
// which it returns as legacy for the caller to decode with kgo.
func walkBatches(topic string, p *pendingRange, rp *kmsg.FetchResponseTopicPartition, rec *Record, fn func(*Record) error) (legacy []byte, err error) {
	w := batchWalker{topic: topic, p: p, rec: rec, fn: fn}
	w.aborted.init(rp.AbortedTransactions)
	in := rp.RecordBatches
	for len(in) > batchMagicAt+1 && p.next < p.end {
		if in[batchMagicAt] != 2 {
			return in, nil
		}
		n := int64(int32(binary.BigEndian.Uint32(in[batchLengthAt:]))) + batchLengthEnd
		if n < batchHeaderLen {
			return nil, w.corrupt(in, fmt.Errorf("%w: length %d is shorter than a header", errCorruptBatch, n))
		}
		if n > int64(len(in)) {
			return nil, nil
		}
		if err := w.batch(in[:n]); err != nil {
			if w.fnFailed {
				return nil, err
			}
			return nil, w.corrupt(in, err)
		}
		in = in[n:]
	}
	return nil, nil
}

// corrupt names where in the log the batch starting b went wrong.
func (w *batchWalker) corrupt(b []byte, err error) error {
	return fmt.Errorf("ingest: fetch %q/%d: batch at offset %d: %w",
		w.topic, w.p.partition, int64(binary.BigEndian.Uint64(b)), err)
}

// batch checks and walks one complete batch b.
func (w *batchWalker) batch(b []byte) error {
	sum, want := crc32.Checksum(b[batchAttrsAt:], castagnoli), binary.BigEndian.Uint32(b[batchCRCAt:])
	if sum != want {
		return fmt.Errorf("%w: crc32c %#08x, header says %#08x", errCorruptBatch, sum, want)
	}
	h := readBatchHeader(b)
	last := h.lastOffset()
	if last < w.p.next {
		// Wholly before the fetch offset. kgo skips it without looking
		// at its records, and so without tracking its abort marker.
		return nil
	}
	if h.numRecords < 0 {
		return fmt.Errorf("%w: record count %d", errCorruptBatch, h.numRecords)
	}
	records, err := decompressRecords(&h, b[batchHeaderLen:])
	if err != nil {
		return err
	}
	hidden := w.hidden(&h, records)
	err = w.walk(&h, records, !hidden)
	if h.attrs&attrCodec != 0 {
		// fn has seen every record: nothing aliases the output now.
		decompressPool.PutDecompressBytes(records)
	}
	if err != nil {
		return err
	}
	// The batch's last record may have been compacted away: its last
	// offset, not its last record, says where the next batch starts.
	w.p.next = max(w.p.next, last+1)
	return nil
}

// decompressRecords returns the records section of a batch with header h.
//
// The output is a buffer of decompressPool, which batch gives back. The
// only bound on the decompressed size is kgo.DefaultDecompressor's
// math.MaxInt32: kgo.Decompressor takes no limit, and a tighter one needs
// codecs of our own. Snappy and zstd allocate the size a batch claims
// before decoding it, so a hostile broker can make a batch of a few bytes
// allocate up to 2 GiB (then fail). A real batch is far smaller: producers
// cap a batch's uncompressed size (Java's max.request.size, 1 MiB).
func decompressRecords(h *batchHeader, raw []byte) ([]byte, error) {
	codec := kgo.CompressionCodecType(h.attrs & attrCodec)
	if codec == kgo.CodecNone {
		return raw, nil
	}
	out, err := walkDecompressor.Decompress(raw, codec)
	if err != nil {
		return nil, fmt.Errorf("%w: decompress (codec %d): %w", errCorruptBatch, codec, err)
	}
	return out, nil
}

// hidden reports whether read committed hides the batch: control batches
// always, and transactional batches of a producer whose aborted
// transaction is in progress. Like Kafka's consumer, it first starts every
// aborted transaction that begins at or before the batch's last offset,
// and an abort marker ends its producer's.
func (w *batchWalker) hidden(h *batchHeader, records []byte) bool {
	control := h.attrs&attrControl != 0
	if h.attrs&attrTransactional == 0 || w.aborted.none() {
		return control
	}
	w.aborted.startUpTo(h.lastOffset())
	if !control {
		return w.aborted.aborting(h.producerID)
	}
	if isAbortMarker(records) {
		w.aborted.end(h.producerID)
	}
	return true
}

// isAbortMarker reports whether the first record of a control batch is an
// abort marker: its key is an int16 version and an int16 type, 0 for
// abort. A record that does not parse is not one; walk reports it.
func isAbortMarker(records []byte) bool {
	r, _, err := readRecord(records)
	return err == nil && len(r.key) >= 4 && r.key[2] == 0 && r.key[3] == 0
}

// walk checks the framing of the batch's records and, if deliver, passes
// those in [p.next, p.end) to fn.
func (w *batchWalker) walk(h *batchHeader, src []byte, deliver bool) error {
	from, prev := w.p.next, int32(-1)
	for i := range h.numRecords {
		r, n, err := readRecord(src)
		if err != nil {
			return fmt.Errorf("record %d of %d: %w", i, h.numRecords, err)
		}
		src = src[n:]
		if r.offsetDelta <= prev || r.offsetDelta > h.lastDelta {
			return fmt.Errorf("%w: record %d: offset delta %d after %d, last %d",
				errCorruptBatch, i, r.offsetDelta, prev, h.lastDelta)
		}
		prev = r.offsetDelta
		offset := h.baseOffset + int64(r.offsetDelta)
		if !deliver || offset < from || offset >= w.p.end {
			continue
		}
		// Field by field: a composite literal through the pointer
		// builds a temporary and copies it (~10% slower).
		w.rec.Partition, w.rec.Offset, w.rec.Timestamp = w.p.partition, offset, h.timestamp(r.tsDelta)
		w.rec.Key, w.rec.Value = r.key, r.value
		if err := w.fn(w.rec); err != nil {
			w.fnFailed = true
			return err
		}
	}
	if len(src) != 0 {
		return fmt.Errorf("%w: %d bytes after the last of %d records", errCorruptBatch, len(src), h.numRecords)
	}
	return nil
}

// rawRecord is a record's fields the walker uses; key and value alias the
// batch and are nil when null.
type rawRecord struct {
	tsDelta     int64
	offsetDelta int32
	key, value  []byte
}

// readRecord parses the record at the front of src, returning it and its
// encoded size. Every read is bounded by the record's length prefix.
func readRecord(src []byte) (rawRecord, int, error) {
	length, used := kbin.Varint(src)
	if used <= 0 || length < 0 || int(length) > len(src)-used {
		return rawRecord{}, 0, fmt.Errorf("%w: record length", errCorruptBatch)
	}
	n := used + int(length)
	b := kbin.Reader{Src: src[used:n]}
	b.Int8() // attributes: unused
	r := rawRecord{tsDelta: b.Varlong(), offsetDelta: b.Varint()}
	r.key = b.VarintBytes()
	r.value = b.VarintBytes()
	// Each header takes at least two bytes, which bounds the loop.
	headers := b.Varint()
	if headers < 0 || int(headers) > len(b.Src)/2 {
		return rawRecord{}, 0, fmt.Errorf("%w: %d headers", errCorruptBatch, headers)
	}
	for range headers {
		b.VarintBytes()
		b.VarintBytes()
	}
	if !b.Ok() || len(b.Src) != 0 {
		return rawRecord{}, 0, fmt.Errorf("%w: record fields do not fill its length %d", errCorruptBatch, length)
	}
	return r, n, nil
}

// abortedTxns is a response's aborted transactions as Kafka's consumer
// tracks them: pending are those not yet reached, by first offset; a
// producer is active from its aborted transaction's first offset to its
// abort marker. Both are usually empty, and then cost nothing.
type abortedTxns struct {
	pending []kmsg.FetchResponseTopicPartitionAbortedTransaction
	// active is a set of producer ids. It holds the producers with an
	// aborted transaction open at once, a handful, so a slice beats a map.
	active []int64
}

// init takes the response's list, sorting a copy when the broker did not
// sort it (Redpanda does not), so the response is left as it was.
func (a *abortedTxns) init(txns []kmsg.FetchResponseTopicPartitionAbortedTransaction) {
	byFirst := func(x, y kmsg.FetchResponseTopicPartitionAbortedTransaction) int {
		return cmp.Compare(x.FirstOffset, y.FirstOffset)
	}
	if !slices.IsSortedFunc(txns, byFirst) {
		txns = slices.Clone(txns)
		slices.SortFunc(txns, byFirst)
	}
	a.pending = txns
}

func (a *abortedTxns) none() bool { return len(a.pending) == 0 && len(a.active) == 0 }

// startUpTo activates the producers of the aborted transactions that begin
// at or before offset.
func (a *abortedTxns) startUpTo(offset int64) {
	for len(a.pending) > 0 && a.pending[0].FirstOffset <= offset {
		if id := a.pending[0].ProducerID; !a.aborting(id) {
			a.active = append(a.active, id)
		}
		a.pending = a.pending[1:]
	}
}

// aborting reports whether producer id's transaction is being aborted.
func (a *abortedTxns) aborting(id int64) bool { return slices.Contains(a.active, id) }

func (a *abortedTxns) end(id int64) {
	if i := slices.Index(a.active, id); i >= 0 {
		a.active = slices.Delete(a.active, i, i+1)
	}
}
