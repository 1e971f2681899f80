package ingest

import (
	"runtime"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Compressed batches decompress into buffers that are reused: without
// them kgo's decompressor allocates a fresh output per batch (about as
// many bytes as the records), which for a compressed topic would be most
// of what the fetch path allocates.

// maxPooledDecompress is the largest buffer the pool keeps: producers cap
// a batch's uncompressed size at about 1 MiB by default.
const maxPooledDecompress = 4 << 20

// decompressBuffers is a bounded free list of decompression buffers
// (kgo.PoolDecompressBytes). Get takes one if any is free and otherwise
// lets the codec allocate; Put keeps a buffer only while the list has room
// and the buffer is not too large, so at most cap(free) buffers of at most
// maxPooledDecompress bytes stay around.
type decompressBuffers struct {
	free chan []byte
}

func newDecompressBuffers() *decompressBuffers {
	return &decompressBuffers{free: make(chan []byte, 2*runtime.GOMAXPROCS(0)+2)}
}

// GetDecompressBytes returns a free buffer, or nil; only its capacity is
// used.
func (d *decompressBuffers) GetDecompressBytes([]byte, kgo.CompressionCodecType) []byte {
	select {
	case b := <-d.free:
		return b
	default:
		return nil
	}
}

// PutDecompressBytes returns a buffer once nothing aliases it any more.
func (d *decompressBuffers) PutDecompressBytes(b []byte) {
	if cap(b) == 0 || cap(b) > maxPooledDecompress {
		return
	}
	select {
	case d.free <- b[:0]:
	default:
	}
}

var (
	// decompressPool holds walkBatches' decompression buffers.
	decompressPool = newDecompressBuffers()
	// walkDecompressor decompresses for walkBatches into decompressPool's
	// buffers, which batch hands back once the batch's records are
	// delivered. It is safe for concurrent use and pools its codecs.
	walkDecompressor = kgo.DefaultDecompressor(decompressPool)
	// decompressor serves the legacy path (kgo.ProcessFetchPartition),
	// whose records would have to be recycled one by one to give pooled
	// buffers back: it allocates instead.
	decompressor = kgo.DefaultDecompressor()
)
