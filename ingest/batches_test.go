package ingest

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"maps"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// testBatch is one encoded entry of a generated log: a record batch or a
// legacy message, holding offsets [first, last].
type testBatch struct {
	first, last int64
	enc         []byte
}

// testTxn is an aborted transaction: its producer, first offset and the
// offset of its abort marker.
type testTxn struct{ pid, first, last int64 }

// logGen builds a random partition log the way producers and a broker
// would: plain, transactional, compressed and compacted batches, commit and
// abort markers, and the index of aborted transactions.
type logGen struct {
	r           *rand.Rand
	batches     []testBatch
	aborted     []testTxn
	next        int64
	open        map[int64]int64 // producer id -> first offset of its transaction
	compressors []kgo.Compressor
	truncated   int // responses cut inside a batch
}

// testCompressors are none and kgo's four codecs, built once: a zstd
// encoder is costly to make, the more so under -race.
var testCompressors = sync.OnceValues(func() ([]kgo.Compressor, error) {
	comps := []kgo.Compressor{nil}
	for _, codec := range []kgo.CompressionCodec{kgo.GzipCompression(), kgo.SnappyCompression(), kgo.Lz4Compression(), kgo.ZstdCompression()} {
		comp, err := kgo.DefaultCompressor(codec)
		if err != nil {
			return nil, err
		}
		comps = append(comps, comp)
	}
	return comps, nil
})

func newLogGen(t testing.TB, seed uint64) *logGen {
	t.Helper()
	comps, err := testCompressors()
	if err != nil {
		t.Fatal(err)
	}
	g := &logGen{r: rand.New(rand.NewPCG(seed, 7)), open: map[int64]int64{}, next: int64(seed % 50), compressors: comps}
	// One log in three is compressed: lz4 decompression allocates 4 MiB
	// blocks, which under -race would make this file's tests take minutes.
	if g.r.IntN(3) != 0 {
		g.compressors = comps[:1]
	}
	return g
}

// step appends one batch (or marker) to the log.
func (g *logGen) step() {
	switch k := g.r.IntN(10); {
	case k < 4:
		g.data(-1, 0)
	case k < 7:
		pid := 1 + g.r.Int64N(3)
		if _, ok := g.open[pid]; !ok {
			g.open[pid] = g.next
		}
		g.data(pid, attrTransactional)
	case k < 9 && len(g.open) > 0:
		pids := slices.Sorted(maps.Keys(g.open)) // not map order: seeds must replay
		g.marker(pids[g.r.IntN(len(pids))], g.r.IntN(2) == 0)
	default:
		// A batch whose records were all compacted away (KAFKA-5443).
		g.add(kmsg.RecordBatch{FirstOffset: g.next, LastOffsetDelta: g.r.Int32N(3), ProducerID: -1}, nil, nil)
	}
	if g.r.IntN(8) == 0 {
		g.next += g.r.Int64N(4) // whole batches compacted away
	}
}

// data appends a batch of random records for producer pid.
func (g *logGen) data(pid int64, attrs int16) {
	recs := make([]kmsg.Record, 1+g.r.IntN(12))
	delta := int32(0)
	for i := range recs {
		if i > 0 {
			delta += 1 + g.r.Int32N(2)*g.r.Int32N(3) // compaction gaps
		}
		recs[i] = kmsg.Record{OffsetDelta: delta, TimestampDelta64: g.r.Int64N(2000) - 500,
			Key: g.bytes(), Value: g.bytes(), Headers: g.headers()}
	}
	base := 1_700_000_000_000 + g.r.Int64N(1e9)
	if g.r.IntN(4) == 0 {
		attrs |= attrLogAppendTime
	}
	b := kmsg.RecordBatch{FirstOffset: g.next, LastOffsetDelta: delta + g.r.Int32N(2)*g.r.Int32N(3),
		FirstTimestamp: base, MaxTimestamp: base + 2000, ProducerID: pid, Attributes: attrs}
	g.add(b, recs, g.compressors[g.r.IntN(len(g.compressors))])
}

// marker ends pid's transaction with a commit or abort control batch.
func (g *logGen) marker(pid int64, abort bool) {
	typ := byte(1)
	if abort {
		typ = 0
		g.aborted = append(g.aborted, testTxn{pid, g.open[pid], g.next})
	}
	delete(g.open, pid)
	rec := kmsg.Record{Key: []byte{0, 0, 0, typ}, Value: []byte{0, 0, 0, 0, 0, 0}}
	g.add(kmsg.RecordBatch{FirstOffset: g.next, ProducerID: pid, Attributes: attrTransactional | attrControl},
		[]kmsg.Record{rec}, nil)
}

func (g *logGen) add(b kmsg.RecordBatch, recs []kmsg.Record, comp kgo.Compressor) {
	enc := encodeBatch(b, recs, comp)
	last := b.FirstOffset + int64(b.LastOffsetDelta)
	g.batches = append(g.batches, testBatch{b.FirstOffset, last, enc})
	g.next = last + 1
}

// bytes returns a random key or value: null, empty or up to 40 bytes.
func (g *logGen) bytes() []byte {
	switch g.r.IntN(6) {
	case 0:
		return nil
	case 1:
		return []byte{}
	}
	b := make([]byte, 1+g.r.IntN(40))
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

func (g *logGen) headers() []kmsg.Header {
	hs := make([]kmsg.Header, g.r.IntN(3))
	for i := range hs {
		hs[i] = kmsg.Header{Key: fmt.Sprint("h", i), Value: g.bytes()}
	}
	return hs
}

// encodeBatch encodes a magic-2 batch of recs, compressed by comp if not
// nil, with its length and CRC.
func encodeBatch(b kmsg.RecordBatch, recs []kmsg.Record, comp kgo.Compressor) []byte {
	var raw []byte
	for i := range recs {
		r := &recs[i]
		r.Length = 0 // a one-byte varint: the record's length is the rest
		r.Length = int32(len(r.AppendTo(nil)) - 1)
		raw = r.AppendTo(raw)
	}
	if comp != nil && len(raw) > 0 {
		out, codec := comp.Compress(new(bytes.Buffer), raw)
		raw = bytes.Clone(out)
		b.Attributes |= int16(codec)
	}
	b.Magic = 2
	b.NumRecords = int32(len(recs))
	b.Records = raw
	b.Length = int32(batchHeaderLen - batchLengthEnd + len(raw))
	enc := b.AppendTo(nil)
	binary.BigEndian.PutUint32(enc[batchCRCAt:], crc32.Checksum(enc[batchAttrsAt:], castagnoli))
	return enc
}

// response is what a broker returns for a fetch at offset: the entries from
// the one holding offset on, cut at maxBytes (the last one possibly
// truncated), and the aborted transactions overlapping them.
func (g *logGen) response(offset int64, maxBytes int, truncate bool) *kmsg.FetchResponseTopicPartition {
	rp := new(kmsg.FetchResponseTopicPartition)
	upper := offset
	for _, b := range g.batches {
		if b.last < offset {
			continue
		}
		if len(rp.RecordBatches) > 0 && len(rp.RecordBatches)+len(b.enc) > maxBytes {
			if truncate {
				g.truncated++
				rp.RecordBatches = append(rp.RecordBatches, b.enc[:g.r.IntN(len(b.enc))]...)
			}
			break
		}
		rp.RecordBatches = append(rp.RecordBatches, b.enc...)
		upper = b.last
	}
	for _, t := range g.aborted {
		if t.last >= offset && t.first <= upper {
			rp.AbortedTransactions = append(rp.AbortedTransactions,
				kmsg.FetchResponseTopicPartitionAbortedTransaction{ProducerID: t.pid, FirstOffset: t.first})
		}
	}
	if g.r.IntN(3) == 0 { // Redpanda does not sort them
		g.r.Shuffle(len(rp.AbortedTransactions), func(i, j int) {
			a := rp.AbortedTransactions
			a[i], a[j] = a[j], a[i]
		})
	}
	return rp
}

// seen is a delivered record, copied.
type seen struct {
	Offset, UnixNano int64
	Key, Value       []byte
}

type deliverFunc func(p *pendingRange, rp *kmsg.FetchResponseTopicPartition, rec *Record, fn func(*Record) error) error

func newDeliver(p *pendingRange, rp *kmsg.FetchResponseTopicPartition, rec *Record, fn func(*Record) error) error {
	retry, err := new(Client).deliver("t", p, rp, rec, fn)
	return errors.Join(retry, err)
}

func kgoDeliver(p *pendingRange, rp *kmsg.FetchResponseTopicPartition, rec *Record, fn func(*Record) error) error {
	return deliverLegacy("t", p, rp, rec, fn)
}

// collect runs deliver on rp for [start, end) and returns what fn saw and
// the next offset.
func collect(deliver deliverFunc, rp *kmsg.FetchResponseTopicPartition, start, end int64) ([]seen, int64, error) {
	p := pendingRange{partition: 3, next: start, end: end}
	var got []seen
	var rec Record
	err := deliver(&p, rp, &rec, func(r *Record) error {
		if r.Partition != 3 {
			return fmt.Errorf("partition %d", r.Partition)
		}
		got = append(got, seen{r.Offset, r.Timestamp.UnixNano(), bytes.Clone(r.Key), bytes.Clone(r.Value)})
		return nil
	})
	return got, p.next, err
}

// TestWalkBatchesMatchesKgo checks the walker against
// kgo.ProcessFetchPartition on random logs and fetches.
func TestWalkBatchesMatchesKgo(t *testing.T) {
	var responses, aborted, truncated, records int
	for seed := range uint64(250) {
		g := newLogGen(t, seed)
		for range 1 + g.r.IntN(40) {
			g.step()
		}
		for range 5 {
			start := g.r.Int64N(g.next + 2)
			end := int64(math.MaxInt64)
			if g.r.IntN(2) == 0 {
				end = start + 1 + g.r.Int64N(30)
			}
			rp := g.response(start, 200+g.r.IntN(4000), g.r.IntN(2) == 0)
			want, wantNext, err := collect(kgoDeliver, rp, start, end)
			if err != nil {
				t.Fatalf("seed %d: kgo: %v", seed, err)
			}
			got, gotNext, err := collect(newDeliver, rp, start, end)
			if err != nil {
				t.Fatalf("seed %d [%d,%d): %v", seed, start, end, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("seed %d [%d,%d):\ngot  %v\nwant %v", seed, start, end, got, want)
			}
			// The walker stops once p.next reaches end, so past end it
			// need not agree with kgo's.
			if gotNext != wantNext && (wantNext < end || gotNext < end) {
				t.Fatalf("seed %d [%d,%d): next %d, kgo %d", seed, start, end, gotNext, wantNext)
			}
			responses++
			records += len(got)
			aborted += len(rp.AbortedTransactions)
		}
		truncated += g.truncated
	}
	t.Logf("%d responses (%d truncated), %d records, %d aborted transactions listed", responses, truncated, records, aborted)
	if aborted < 100 || records < 1000 {
		t.Fatalf("generator too tame: %d aborted transactions, %d records", aborted, records)
	}
}

// encodeV1 encodes a legacy (magic 1) message.
func encodeV1(offset int64, value string) testBatch {
	m := kmsg.MessageV1{Offset: offset, Magic: 1, Timestamp: 1_700_000_000_000, Value: []byte(value)}
	enc := m.AppendTo(nil)
	binary.BigEndian.PutUint32(enc[8:], uint32(len(enc)-12))
	binary.BigEndian.PutUint32(enc[12:], crc32.ChecksumIEEE(enc[16:]))
	return testBatch{offset, offset, enc}
}

func v2Batch(first int64, values ...string) testBatch {
	recs := make([]kmsg.Record, len(values))
	for i, v := range values {
		recs[i] = kmsg.Record{OffsetDelta: int32(i), Value: []byte(v)}
	}
	b := kmsg.RecordBatch{FirstOffset: first, LastOffsetDelta: int32(len(values) - 1), ProducerID: -1}
	return testBatch{first, first + int64(len(values)) - 1, encodeBatch(b, recs, nil)}
}

// TestDeliverLegacyMessageSets checks the fallback to kgo for message sets
// v0/v1, alone and after record batches in one response.
func TestDeliverLegacyMessageSets(t *testing.T) {
	g := &logGen{r: rand.New(rand.NewPCG(1, 1)), batches: []testBatch{
		v2Batch(0, "a", "b", "c"), encodeV1(3, "d"), encodeV1(4, "e"), v2Batch(5, "f", "g", "h"),
	}}
	for start := range int64(8) {
		p := pendingRange{next: start, end: 8}
		var got []string
		fetches := 0
		for ; p.next < p.end && fetches < 10; fetches++ {
			var rec Record
			err := newDeliver(&p, g.response(p.next, 1<<20, false), &rec, func(r *Record) error {
				got = append(got, fmt.Sprintf("%d=%s", r.Offset, r.Value))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		want := strings.Fields("0=a 1=b 2=c 3=d 4=e 5=f 6=g 7=h")[start:]
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("from %d: got %v, want %v", start, got, want)
		}
		// Batches before a legacy message stop the walk there; a
		// response starting with one goes to kgo whole.
		if wantFetches := map[bool]int{true: 2, false: 1}[start < 3]; fetches != wantFetches {
			t.Fatalf("from %d: %d fetches, want %d", start, fetches, wantFetches)
		}
	}
}

// TestWalkBatchesCorrupt checks that damaged batches are errors naming the
// place, and that fn's own error passes through unwrapped.
func TestWalkBatchesCorrupt(t *testing.T) {
	good := v2Batch(10, "a", "b").enc
	for _, tc := range []struct {
		name    string
		damage  func([]byte)
		keepCRC bool
	}{
		{"crc", func(b []byte) { b[len(b)-1] ^= 1 }, true},
		{"short length", func(b []byte) { binary.BigEndian.PutUint32(b[batchLengthAt:], 20) }, false},
		{"negative count", func(b []byte) { binary.BigEndian.PutUint32(b[batchCountAt:], 1<<31) }, false},
		{"count too high", func(b []byte) { binary.BigEndian.PutUint32(b[batchCountAt:], 3) }, false},
		{"count too low", func(b []byte) { binary.BigEndian.PutUint32(b[batchCountAt:], 1) }, false},
		{"offset past last", func(b []byte) { binary.BigEndian.PutUint32(b[batchLastDeltaAt:], 0) }, false},
		{"unknown codec", func(b []byte) { b[batchAttrsAt+1] |= 7 }, false},
		{"not lz4", func(b []byte) { b[batchAttrsAt+1] |= 3 }, false},
		{"record length", func(b []byte) { b[batchHeaderLen] = 0x7f }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bytes.Clone(good)
			tc.damage(b)
			if !tc.keepCRC {
				binary.BigEndian.PutUint32(b[batchCRCAt:], crc32.Checksum(b[batchAttrsAt:], castagnoli))
			}
			rp := &kmsg.FetchResponseTopicPartition{RecordBatches: b}
			_, _, err := collect(newDeliver, rp, 0, math.MaxInt64)
			if !errors.Is(err, errCorruptBatch) || !strings.Contains(err.Error(), `fetch "t"/3: batch at offset 10`) {
				t.Fatalf("got %v", err)
			}
		})
	}
	stop := errors.New("stop")
	var rec Record
	p := pendingRange{end: math.MaxInt64}
	rp := &kmsg.FetchResponseTopicPartition{RecordBatches: good}
	if _, err := new(Client).deliver("t", &p, rp, &rec, func(*Record) error { return stop }); err != stop { // as is, not wrapped
		t.Fatalf("fn's error came back as %v", err)
	}
}

// benchResponse is an uncompressed response of batches of perBatch JSON
// records of about 260 bytes, until it holds n records or size bytes.
func benchResponse(n, perBatch, size int) *kmsg.FetchResponseTopicPartition {
	r := rand.New(rand.NewPCG(1, 2))
	rp := new(kmsg.FetchResponseTopicPartition)
	for off := 0; off < n && len(rp.RecordBatches) < size; off += perBatch {
		recs := make([]kmsg.Record, perBatch)
		for i := range recs {
			recs[i] = kmsg.Record{OffsetDelta: int32(i), TimestampDelta64: int64(i), Value: fmt.Appendf(nil,
				`{"auction":%d,"bidder":%d,"price":%d,"channel":"channel-%d",`+
					`"url":"https://www.nexmark.com/abcde/fghij/klmno/item.htm?query=1&channel_id=%d",`+
					`"date_time":"2024-01-01 00:%02d:%02d.%06d","extra":"padpadpadpadpadpadpadpadpadpadpadpadpadpadpadpadpad"}`,
				1000+r.IntN(100), 2000+r.IntN(1000), r.IntN(1e6), r.IntN(10000), r.IntN(1<<20),
				r.IntN(60), r.IntN(60), r.IntN(1e6))}
		}
		b := kmsg.RecordBatch{FirstOffset: int64(off), LastOffsetDelta: int32(perBatch - 1),
			FirstTimestamp: 1_700_000_000_000, MaxTimestamp: 1_700_000_000_000 + int64(perBatch), ProducerID: -1}
		rp.RecordBatches = append(rp.RecordBatches, encodeBatch(b, recs, nil)...)
	}
	return rp
}

func TestWalkBatchesAllocs(t *testing.T) {
	rp := benchResponse(1000, 100, math.MaxInt)
	c := new(Client)
	var rec Record
	n := 0
	count := func(*Record) error { n++; return nil }
	// Like Fetch's pending ranges, p is allocated once, not per response.
	var p pendingRange
	allocs := testing.AllocsPerRun(50, func() {
		p = pendingRange{end: math.MaxInt64}
		if _, err := c.deliver("t", &p, rp, &rec, count); err != nil || p.next != 1000 {
			t.Fatalf("next %d, err %v", p.next, err)
		}
	})
	if n != 51*1000 {
		t.Fatalf("delivered %d records, want %d", n, 51*1000)
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per response of 1000 records, want 0", allocs)
	}
}

// BenchmarkDeliverBatches compares the walker with the kgo decoder it
// replaced on a ~1 MiB response of ~260-byte JSON values.
func BenchmarkDeliverBatches(b *testing.B) {
	rp := benchResponse(math.MaxInt, 100, 1<<20)
	for _, bc := range []struct {
		name    string
		deliver deliverFunc
	}{{"sluice", newDeliver}, {"kgo", kgoDeliver}} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(rp.RecordBatches)))
			b.ReportAllocs()
			var rec Record
			noop := func(*Record) error { return nil }
			var p pendingRange
			for b.Loop() {
				p = pendingRange{end: math.MaxInt64}
				if err := bc.deliver(&p, rp, &rec, noop); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// fixCRCs rewrites the CRC of every complete magic-2 batch in b, so that
// fuzzed bytes reach the record parser and the decompressors.
func fixCRCs(b []byte) {
	for len(b) > batchMagicAt+1 {
		n := int64(int32(binary.BigEndian.Uint32(b[batchLengthAt:]))) + batchLengthEnd
		if n < batchAttrsAt || n > int64(len(b)) {
			return
		}
		if b[batchMagicAt] == 2 {
			binary.BigEndian.PutUint32(b[batchCRCAt:], crc32.Checksum(b[batchAttrsAt:n], castagnoli))
		}
		b = b[n:]
	}
}

// FuzzRecordBatches feeds damaged responses to deliver: it must return an
// error or stop cleanly, delivering offsets in order within the range.
func FuzzRecordBatches(f *testing.F) {
	for seed := range uint64(20) {
		g := newLogGen(f, seed)
		for range 1 + g.r.IntN(10) {
			g.step()
		}
		rp := g.response(0, 3000, seed%2 == 0)
		pid, first := int64(-1), int64(0)
		if len(rp.AbortedTransactions) > 0 {
			pid, first = rp.AbortedTransactions[0].ProducerID, rp.AbortedTransactions[0].FirstOffset
		}
		f.Add(rp.RecordBatches, seed%3 != 0, int64(seed%5), int64(math.MaxInt64), pid, first)
	}
	f.Add(encodeV1(0, "x").enc, false, int64(0), int64(10), int64(-1), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, fixCRC bool, start, span, pid, first int64) {
		if fixCRC {
			data = bytes.Clone(data)
			fixCRCs(data)
		}
		rp := &kmsg.FetchResponseTopicPartition{RecordBatches: data}
		if pid >= 0 {
			rp.AbortedTransactions = []kmsg.FetchResponseTopicPartitionAbortedTransaction{{ProducerID: pid, FirstOffset: first}}
		}
		start = max(start, 0)
		end := start + min(max(span, 1), math.MaxInt64-start)
		p := pendingRange{next: start, end: end}
		last := start - 1
		var rec Record
		err := newDeliver(&p, rp, &rec, func(r *Record) error {
			if r.Offset <= last || r.Offset >= end {
				t.Fatalf("offset %d after %d, range [%d,%d)", r.Offset, last, start, end)
			}
			last = r.Offset
			return nil
		})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "ingest: fetch") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		if p.next < start || p.next <= last {
			t.Fatalf("next %d, start %d, last delivered %d", p.next, start, last)
		}
	})
}

// TestFetchCompressedTransactions reads, from every start offset, a kfake
// log that interleaves plain records with compressed committed and aborted
// transactions.
func TestFetchCompressedTransactions(t *testing.T) {
	cluster, c := newTestClient(t, 1, "t")
	ctx := context.Background()
	tx, err := kgo.NewClient(kgo.SeedBrokers(cluster.ListenAddrs()...), kgo.TransactionalID("tx"),
		kgo.DefaultProduceTopic("t"), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerBatchCompression(kgo.ZstdCompression()))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	var want []string
	for i := range 6 {
		if err := tx.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		for j := range 3 {
			v := fmt.Sprintf("t%d.%d", i, j)
			if err := tx.ProduceSync(ctx, &kgo.Record{Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
			if i%2 == 1 {
				want = append(want, v)
			}
			plain := fmt.Sprintf("p%d.%d", i, j)
			if err := c.Produce(ctx, "t", vals(plain)); err != nil {
				t.Fatal(err)
			}
			want = append(want, plain)
		}
		if err := tx.EndTransaction(ctx, kgo.TransactionEndTry(i%2 == 1)); err != nil {
			t.Fatal(err)
		}
	}
	ends, err := c.EndOffsets(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	var offsets []int64
	var all []string
	err = c.Fetch(ctx, "t", []Range{{0, 0, ends[0]}}, func(r *Record) error {
		offsets = append(offsets, r.Offset)
		all = append(all, string(r.Value))
		return nil
	})
	if err != nil || !reflect.DeepEqual(all, want) {
		t.Fatalf("got %v, %v\nwant %v", all, err, want)
	}
	for start := range ends[0] {
		got, err := fetchAll(t, c, "t", Range{0, start, ends[0]})
		var wantFrom []string
		for i, o := range offsets {
			if o >= start {
				wantFrom = append(wantFrom, fmt.Sprintf("0:%d=%s", o, all[i]))
			}
		}
		if err != nil || got != strings.Join(wantFrom, " ") {
			t.Fatalf("from %d: got %q, %v\nwant %q", start, got, err, strings.Join(wantFrom, " "))
		}
	}
}

// TestWalkCompressedReusesBuffers checks that compressed batches
// decompress into reused buffers: walking a response of 20 compressed
// batches (about 520 KB of records) allocates a small fraction of that,
// for every codec.
func TestWalkCompressedReusesBuffers(t *testing.T) {
	comps, err := testCompressors()
	if err != nil {
		t.Fatal(err)
	}
	plain := benchResponse(2000, 100, math.MaxInt)
	// kgo pools its codecs (an lz4 reader holds 4 MiB) in sync.Pools. A
	// pooled codec is missed when a GC empties the pool, or when the test
	// moves to another P between Put and Get: one such miss in ten walks
	// looked like 400 KB per walk. So the walks run on one P with GC off.
	// TotalAlloc also counts other goroutines', so the best of three tries
	// is taken.
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for i, comp := range comps[1:] {
		codec := []string{"gzip", "snappy", "lz4", "zstd"}[i]
		// Re-encode plain's batches with comp.
		rp := new(kmsg.FetchResponseTopicPartition)
		var rec Record
		p := pendingRange{end: math.MaxInt64}
		var recs []kmsg.Record
		if _, err := new(Client).deliver("t", &p, plain, &rec, func(r *Record) error {
			recs = append(recs, kmsg.Record{OffsetDelta: int32(len(recs) % 100), Value: bytes.Clone(r.Value)})
			if len(recs)%100 == 0 {
				first := int64(len(recs) - 100)
				b := kmsg.RecordBatch{FirstOffset: first, LastOffsetDelta: 99, ProducerID: -1}
				rp.RecordBatches = append(rp.RecordBatches, encodeBatch(b, recs[len(recs)-100:], comp)...)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		size := 0
		for _, r := range recs {
			size += len(r.Value)
		}
		n := 0
		walk := func() {
			p := pendingRange{end: math.MaxInt64}
			if _, err := new(Client).deliver("t", &p, rp, &rec, func(*Record) error { n++; return nil }); err != nil || p.next != 2000 {
				t.Fatalf("next %d, err %v", p.next, err)
			}
		}
		walk() // warm the pools
		const walks, tries = 10, 3
		perWalk := math.MaxInt
		for range tries {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for range walks {
				walk()
			}
			runtime.ReadMemStats(&after)
			perWalk = min(perWalk, int(after.TotalAlloc-before.TotalAlloc)/walks)
		}
		if perWalk > size/10 && !raceEnabled {
			t.Errorf("%s: %d bytes allocated per walk of %d bytes of records", codec, perWalk, size)
		}
		if n != (1+tries*walks)*2000 {
			t.Fatalf("delivered %d records", n)
		}
	}
}
