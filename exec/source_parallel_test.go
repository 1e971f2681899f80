package exec

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/sluicedb/sluice/ingest"
)

// decodeWorkerGoroutines counts goroutines inside a decode worker's body.
func decodeWorkerGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "exec.(*source).work(")
}

// barrier lets n decode workers through only once all n are waiting in it
// at the same time, which they can only do if they run in parallel.
type barrier struct {
	n       int
	mu      sync.Mutex
	waiting int
	open    chan struct{}
	// workers is decodeWorkerGoroutines seen by the last to arrive.
	workers int
}

func newBarrier(n int) *barrier { return &barrier{n: n, open: make(chan struct{})} }

func (b *barrier) wait(t *testing.T) {
	b.mu.Lock()
	b.waiting++
	if b.waiting == b.n {
		b.workers = decodeWorkerGoroutines()
		close(b.open)
	}
	b.mu.Unlock()
	select {
	case <-b.open:
	case <-time.After(5 * time.Second):
		t.Errorf("decode workers not running in parallel: %d of %d arrived", b.waiting, b.n)
		panic("barrier timeout")
	}
}

// runPass runs passSpec (plus _partition and _offset) over 40 events in 4
// partitions with the given decode workers, batch cap and decode hook,
// checks that each partition's rows keep offset order and that no decode
// worker is left, and returns the sorted rows and the query's figures.
func runPass(t *testing.T, workers int, maxRecords int64, hook func(*ingest.Record)) ([]string, QueryInfo) {
	return runPassPieces(t, workers, 0, maxRecords, hook)
}

// runPassPieces is runPass with ranges cut into pieces of at least
// minPiece records (0: the default) for workers of their own.
func runPassPieces(t *testing.T, workers int, minPiece, maxRecords int64, hook func(*ingest.Record)) ([]string, QueryInfo) {
	t.Helper()
	ctx := testCtx(t)
	opts := Options{ManualTrigger: true, MaxRecordsPerPartition: maxRecords}
	opts.private.decodeWorkers = workers
	opts.private.minPiece = minPiece
	opts.private.decodeHook = hook
	env := newTestEnv(t, opts)
	def := env.createEvents(t, 4, nil)
	for i := range 40 {
		env.produce(t, "events", int32(i%4), event(i, fmt.Sprintf("n%d", i), i))
	}
	spec := passSpec(def)
	spec.Source.Columns = append(slices.Clone(spec.Source.Columns),
		arrow.Field{Name: ingest.ColPartition, Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: ingest.ColOffset, Type: arrow.PrimitiveTypes.Int64})
	q := env.start(t, ctx, spec)
	if err := q.ProcessAllAvailable(ctx); err != nil {
		t.Fatal(err)
	}
	if n := decodeWorkerGoroutines(); n != 0 {
		t.Fatalf("%d decode workers left after the batches", n)
	}
	rows, _ := drain(t, q)
	// Within a partition, rows keep offset order.
	last := map[string]int{}
	for _, r := range rows {
		f := strings.Split(r, "|")
		var off int
		if _, err := fmt.Sscan(f[4], &off); err != nil {
			t.Fatal(err)
		}
		if prev, ok := last[f[3]]; ok && off <= prev {
			t.Fatalf("partition %s: offset %d after %d", f[3], off, prev)
		}
		last[f[3]] = off
	}
	slices.Sort(rows)
	return rows, q.Info()
}

func TestParallelDecodeSameResults(t *testing.T) {
	want, wantInfo := runPass(t, 1, 0, nil)
	if len(want) != 40 || wantInfo.InputRows != 40 {
		t.Fatalf("one worker: %d rows, info %+v", len(want), wantInfo)
	}
	for _, maxRecords := range []int64{0, 1, 7} {
		t.Run(fmt.Sprintf("max=%d", maxRecords), func(t *testing.T) {
			b := newBarrier(4)
			var once sync.Map
			hook := func(r *ingest.Record) {
				// The first record of each partition waits for the
				// other three partitions' workers.
				if _, loaded := once.LoadOrStore(r.Partition, true); !loaded {
					b.wait(t)
				}
			}
			got, info := runPass(t, 4, maxRecords, hook)
			if !slices.Equal(got, want) {
				t.Fatalf("4 workers: rows\n%v\nwant\n%v", got, want)
			}
			if info.InputRows != wantInfo.InputRows {
				t.Fatalf("input rows %d, want %d", info.InputRows, wantInfo.InputRows)
			}
			if b.workers < 4 {
				t.Fatalf("%d decode workers at the barrier, want 4", b.workers)
			}
		})
	}
}

func TestParallelDecodeErrorsDeterministic(t *testing.T) {
	// Partitions 1 and 3 hold bad records; partition 1's worker is slowed
	// so that partition 3 fails first in time.
	produce := func(t *testing.T, env *testEnv) {
		for p := range int32(4) {
			vals := []string{event(int(p), "a", 1), event(int(p)+10, "b", 2)}
			switch p {
			case 1:
				vals = append(vals, `not json`, event(20, "c", 3), `{"id": "x"}`)
			case 3:
				vals = append(vals, `{"id": "y"}`, `nope`, event(30, "d", 3))
			}
			env.produce(t, "events", p, vals...)
		}
	}
	slow := func(r *ingest.Record) {
		if r.Partition == 1 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	t.Run("fail", func(t *testing.T) {
		for range 3 {
			ctx := testCtx(t)
			opts := Options{ManualTrigger: true}
			opts.private.decodeWorkers, opts.private.decodeHook = 4, slow
			env := newTestEnv(t, opts)
			def := env.createEvents(t, 4, func(d *StreamDef) { d.OnDecodeError = "fail" })
			produce(t, env)
			q, err := env.eng.StartQuery(ctx, passSpec(def))
			if err != nil {
				t.Fatal(err)
			}
			err = q.ProcessAllAvailable(ctx)
			if !errors.Is(err, ErrDecode) || !strings.Contains(err.Error(), "partition 1 offset 2") {
				t.Fatalf("ProcessAllAvailable: %v, want ErrDecode at partition 1 offset 2", err)
			}
			q.Close()
		}
	})
	t.Run("skip", func(t *testing.T) {
		ctx := testCtx(t)
		opts := Options{ManualTrigger: true}
		opts.private.decodeWorkers, opts.private.decodeHook = 4, slow
		env := newTestEnv(t, opts)
		def := env.createEvents(t, 4, nil)
		produce(t, env)
		q := env.start(t, ctx, passSpec(def))
		if err := q.ProcessAllAvailable(ctx); err != nil {
			t.Fatal(err)
		}
		rows, _ := drain(t, q)
		info := q.Info()
		// The last error is the last bad record of the highest partition.
		if len(rows) != 10 || info.DecodeErrors != 4 || !strings.Contains(info.LastError, "partition 3 offset 3") {
			t.Fatalf("%d rows, info %+v: want 10 rows, 4 decode errors, last at partition 3 offset 3", len(rows), info)
		}
	})
}

func TestDecodeWorkerPanicFailsOnlyTheQuery(t *testing.T) {
	ctx := testCtx(t)
	opts := Options{ManualTrigger: true}
	opts.private.decodeWorkers = 4
	opts.private.decodeHook = func(r *ingest.Record) {
		if bytes.Contains(r.Value, []byte("boom")) {
			panic("decode hook: boom")
		}
	}
	env := newTestEnv(t, opts)
	def := env.createEvents(t, 4, nil)
	other := env.createEvents(t, 4, func(d *StreamDef) { d.Name = "other" })
	for p := range int32(4) {
		env.produce(t, "events", p, event(int(p), "a", 1), event(int(p)+4, "b", 2))
		env.produce(t, "other", p, event(int(p), "a", 1), event(int(p)+4, "b", 2))
	}
	env.produce(t, "events", 2, event(9, "boom", 3))
	q := env.start(t, ctx, passSpec(def))
	q2, err := env.eng.StartQuery(ctx, passSpec(other))
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	if err := q.ProcessAllAvailable(ctx); err == nil || !strings.Contains(err.Error(), "decode hook: boom") {
		t.Fatalf("ProcessAllAvailable: %v, want the recovered panic", err)
	}
	if info := q.Info(); info.State != StateFailed {
		t.Fatalf("state %q", info.State)
	}
	waitDrivers(t, 1)
	if n := decodeWorkerGoroutines(); n != 0 {
		t.Fatalf("%d decode workers left after the panic", n)
	}
	// The other query, running alongside, is unaffected.
	if err := q2.ProcessAllAvailable(ctx); err != nil {
		t.Fatal(err)
	}
	if rows, _ := drain(t, q2); len(rows) != 8 {
		t.Fatalf("other query: %d rows, want 8", len(rows))
	}
	if info := q2.Info(); info.State != StateRunning {
		t.Fatalf("other query state %q", info.State)
	}
}

// TestSplitPieces checks that the workers of a batch over few partitions
// each read a piece of a range, and that the rows are those of one worker,
// in offset order per partition (runPass checks the order).
func TestSplitPieces(t *testing.T) {
	want, wantInfo := runPass(t, 1, 0, nil)
	for _, maxRecords := range []int64{0, 7} {
		t.Run(fmt.Sprintf("max=%d", maxRecords), func(t *testing.T) {
			// 4 partitions of 10 records, 8 workers: two pieces each.
			b := newBarrier(8)
			var once sync.Map
			hook := func(r *ingest.Record) {
				// The first record of each piece waits for the others.
				if _, loaded := once.LoadOrStore(fmt.Sprint(r.Partition, r.Offset >= 5), true); !loaded && maxRecords == 0 {
					b.wait(t)
				}
			}
			got, info := runPassPieces(t, 8, 1, maxRecords, hook)
			if !slices.Equal(got, want) || info.InputRows != wantInfo.InputRows {
				t.Fatalf("8 workers over pieces: rows\n%v\nwant\n%v", got, want)
			}
			if maxRecords == 0 && b.workers < 8 {
				t.Fatalf("%d decode workers at the barrier, want 8", b.workers)
			}
		})
	}
}

// TestSplitRanges checks split on random ranges: the pieces cover each
// range exactly, in order, one worker each at most, none (of a cut range)
// under the minimum.
func TestSplitRanges(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		s := &source{workers: 1 + r.IntN(16), minPiece: 1 + r.Int64N(100)}
		var ranges []ingest.Range
		for p := range int32(r.IntN(6)) {
			if r.IntN(4) == 0 {
				continue
			}
			start := r.Int64N(1000)
			ranges = append(ranges, ingest.Range{Partition: p, Start: start, End: start + r.Int64N(2000)})
		}
		pieces := s.split(ranges)
		if len(pieces) > len(ranges) && len(pieces) > s.workers {
			t.Fatalf("%d pieces for %d workers", len(pieces), s.workers)
		}
		i := 0
		for _, rg := range ranges {
			next := rg.Start
			cut := i+1 < len(pieces) && pieces[i+1].Partition == rg.Partition
			for i < len(pieces) && pieces[i].Partition == rg.Partition {
				pc := pieces[i]
				if pc.Start != next || pc.End < pc.Start || cut && pc.End-pc.Start < s.minPiece {
					t.Fatalf("ranges %v: pieces %v", ranges, pieces)
				}
				next = pc.End
				i++
			}
			if next != rg.End {
				t.Fatalf("ranges %v: pieces %v end at %d", ranges, pieces, next)
			}
		}
		if i != len(pieces) {
			t.Fatalf("ranges %v: stray pieces %v", ranges, pieces)
		}
	}
}
