package exec

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/state"
)

// BenchmarkCheckpoint1M is the durable part of a checkpoint of a view
// with 1 M open groups: the snapshot written into one Pebble batch that
// replaces the previous snapshot, committed with fsync, on disk.
func BenchmarkCheckpoint1M(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	p := snapPipelineN(b, mem, 1_000_000)
	defer p.close()
	store := openBenchStore(b)
	var size int64
	for b.Loop() {
		size = checkpointInto(b, store, p)
	}
	b.ReportMetric(float64(size), "state_bytes")
}

// BenchmarkRecover1M is the restart of that view: the snapshot read back
// from Pebble and restored into a freshly built pipeline.
func BenchmarkRecover1M(b *testing.B) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(b, 0)
	p := snapPipelineN(b, mem, 1_000_000)
	store := openBenchStore(b)
	checkpointInto(b, store, p)
	p.close()
	for b.Loop() {
		chunks, err := store.Snapshot("view:bench")
		if err != nil {
			b.Fatal(err)
		}
		q, err := newPipeline(mem, buildOperator, snap1MSpecs(), benchSchema, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := q.restore(chunks); err != nil {
			b.Fatal(err)
		}
		q.close()
	}
}

func openBenchStore(b *testing.B) *state.Store {
	store, err := state.Open(context.Background(), filepath.Join(b.TempDir(), "state"), state.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	return store
}

func checkpointInto(b *testing.B, store *state.Store, p *pipeline) (size int64) {
	pb := store.NewBatch()
	defer pb.Close()
	pb.DeleteSnapshot("view:bench")
	var i uint32
	err := p.snapshot(func(c []byte) error {
		pb.SetSnapshotChunk("view:bench", i, c)
		i++
		size += int64(len(c))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := pb.Commit(true); err != nil {
		b.Fatal(err)
	}
	return size
}
