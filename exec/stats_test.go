package exec

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sluicedb/sluice/ingest"
)

func TestQueryStatsHistory(t *testing.T) {
	var s queryStats
	s.init(QueryInfo{ID: "view:v", Kind: "view"})
	t0 := time.Unix(1700000000, 0).UTC()
	const n = maxBatchHistory + 37
	for i := int64(1); i <= n; i++ {
		s.record(batchStats{
			batchID: 1000 + i, ranges: []ingest.Range{{Partition: 0, Start: i * 10, End: i*10 + 10}},
			at: t0.Add(time.Duration(i) * time.Second), inputRows: 10, outputRows: 2,
			lateRows: i / 2, stateBytes: 100 * i, watermark: noWatermark, rate: float64(i),
			processing: time.Duration(i) * time.Millisecond, schedulingDelay: time.Millisecond,
		})
	}
	h := s.history()
	if len(h) != maxBatchHistory {
		t.Fatalf("history holds %d batches, want %d", len(h), maxBatchHistory)
	}
	for j, b := range h {
		i := int64(n - maxBatchHistory + 1 + j) // oldest first
		want := BatchInfo{
			QueryID: "view:v", BatchID: 1000 + i, InputRows: 10, OutputRows: 2, LateRows: i/2 - (i-1)/2,
			SchedulingDelay: time.Millisecond, Processing: time.Duration(i) * time.Millisecond,
			StateBytes: 100 * i, At: t0.Add(time.Duration(i) * time.Second),
			Ranges: []ingest.Range{{Start: i * 10, End: i*10 + 10}},
		}
		if !reflect.DeepEqual(b, want) {
			t.Fatalf("history[%d] = %+v, want %+v", j, b, want)
		}
	}
	info := s.snapshot()
	if info.Batches != n || info.InputRows != 10*n || info.RateLimit != n || info.LateRows != n/2 {
		t.Fatalf("info %+v", info)
	}
	// history returns copies.
	h[0].Ranges[0].Start = -1
	h[1].BatchID = -1
	if h2 := s.history(); h2[0].Ranges[0].Start == -1 || h2[1].BatchID == -1 {
		t.Fatal("history aliases the kept batches")
	}
}

func TestQueryStatsDefaultBatchID(t *testing.T) {
	var s queryStats
	s.init(QueryInfo{ID: "q1"})
	for range 3 {
		s.record(batchStats{watermark: noWatermark})
	}
	var got []int64
	for _, b := range s.history() {
		got = append(got, b.BatchID)
	}
	if fmt.Sprint(got) != "[1 2 3]" {
		t.Fatalf("batch ids %v, want the batch count", got)
	}
}

func TestQueryStatsCheckpoints(t *testing.T) {
	var s queryStats
	s.init(QueryInfo{ID: "sink:s"})
	if h := s.history(); len(h) != 0 {
		t.Fatalf("empty history %v", h)
	}
	for i := int64(1); i <= 5; i++ {
		s.record(batchStats{batchID: i, watermark: noWatermark})
	}
	t1 := time.Unix(1700000001, 0)
	t2 := time.Unix(1700000002, 0)
	s.markCheckpointed(2, t1)
	s.markCheckpointed(4, t2)
	s.markCheckpointed(99, t2) // no longer (or never) kept: only counted
	var marked []int64
	for _, b := range s.history() {
		if b.Checkpointed {
			marked = append(marked, b.BatchID)
		}
	}
	if fmt.Sprint(marked) != "[2 4]" {
		t.Fatalf("checkpointed batches %v, want [2 4]", marked)
	}
	if info := s.snapshot(); info.Checkpoints != 3 || !info.LastCheckpoint.Equal(t2) {
		t.Fatalf("checkpoints %d at %v", info.Checkpoints, info.LastCheckpoint)
	}
}

// TestQueryStatsRestarted: a restart from checkpoint 3 takes the totals
// of the checkpoint and forgets the history of the batches after it (they
// run again), but keeps the query's start, checkpoints, restarts and last
// error.
func TestQueryStatsRestarted(t *testing.T) {
	var s queryStats
	started := time.Unix(1700000000, 0)
	s.init(QueryInfo{ID: "view:v", StartedAt: started})
	for range 5 {
		s.record(batchStats{watermark: noWatermark, inputRows: 10, outputRows: 1})
	}
	s.markCheckpointed(3, started)
	s.restarting(fmt.Errorf("broker gone"))
	if in := s.snapshot(); in.State != StateRestarting || in.LastError != "broker gone" {
		t.Fatalf("restarting: %+v", in)
	}
	s.addRestart()
	s.restarted(QueryInfo{Batches: 3, InputRows: 30, OutputRows: 3}, 3)
	in := s.snapshot()
	want := QueryInfo{ID: "view:v", StartedAt: started, State: StateRunning, Batches: 3, InputRows: 30,
		OutputRows: 3, Checkpoints: 1, LastCheckpoint: started, Restarts: 1, LastError: "broker gone"}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("restarted: %+v\nwant %+v", in, want)
	}
	var ids []int64
	for _, b := range s.history() {
		ids = append(ids, b.BatchID)
	}
	if fmt.Sprint(ids) != "[1 2 3]" {
		t.Fatalf("history after the restart: %v", ids)
	}
}
