package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func openMem(t *testing.T) *Store {
	t.Helper()
	s, err := Open(context.Background(), "mem", Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func commit(t *testing.T, s *Store, fn func(b *Batch)) {
	t.Helper()
	b := s.NewBatch()
	fn(b)
	if err := b.Commit(true); err != nil {
		t.Fatal(err)
	}
}

func TestOffsetLog(t *testing.T) {
	s := openMem(t)
	commit(t, s, func(b *Batch) {
		for i := uint64(1); i <= 300; i++ { // crosses a byte boundary of the key
			b.SetOffsetLog("view:a", i, fmt.Appendf(nil, "a%d", i))
		}
		b.SetOffsetLog("view:a2", 1, []byte("other query"))
	})
	scan := func(after uint64) []uint64 {
		var got []uint64
		err := s.ScanOffsetLog("view:a", after, func(batch uint64, rec []byte) error {
			if string(rec) != fmt.Sprintf("a%d", batch) {
				t.Fatalf("batch %d: %q", batch, rec)
			}
			got = append(got, batch)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := scan(0); len(got) != 300 || got[0] != 1 || !slices.IsSorted(got) {
		t.Fatalf("scan(0): %d entries from %v", len(got), got[:1])
	}
	if got := scan(255); len(got) != 45 || got[0] != 256 {
		t.Fatalf("scan(255): %v", got)
	}
	commit(t, s, func(b *Batch) { b.DeleteOffsetLog("view:a", 299) })
	if got := scan(0); !slices.Equal(got, []uint64{300}) {
		t.Fatalf("after delete ≤299: %v", got)
	}
	var other int
	_ = s.ScanOffsetLog("view:a2", 0, func(uint64, []byte) error { other++; return nil })
	if other != 1 {
		t.Fatalf("another query's log was touched: %d entries", other)
	}
}

func TestSnapshotChunks(t *testing.T) {
	s := openMem(t)
	if got, err := s.Snapshot("q"); err != nil || got != nil {
		t.Fatalf("empty: %v %v", got, err)
	}
	commit(t, s, func(b *Batch) {
		for i := range uint32(3) {
			b.SetSnapshotChunk("q", i, []byte{byte(i)})
		}
	})
	// A new checkpoint replaces the chunks in one batch.
	commit(t, s, func(b *Batch) {
		b.DeleteSnapshot("q")
		b.SetSnapshotChunk("q", 0, []byte("new"))
	})
	got, err := s.Snapshot("q")
	if err != nil || len(got) != 1 || string(got[0]) != "new" {
		t.Fatalf("replaced: %q %v", got, err)
	}
	commit(t, s, func(b *Batch) { b.SetSnapshotChunk("q", 2, []byte("gap")) })
	if _, err := s.Snapshot("q"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a missing chunk: %v, want ErrCorrupt", err)
	}
}

func TestViewRowsAndDeleteQueryData(t *testing.T) {
	s := openMem(t)
	if _, ok, err := s.LastViewRowsSeq("view:v"); ok || err != nil {
		t.Fatalf("empty: %v %v", ok, err)
	}
	commit(t, s, func(b *Batch) {
		b.SetViewRows("view:v", 1, []byte("r1"))
		b.SetViewRows("view:v", 2, []byte("r2"))
		b.SetOffsetLog("view:v", 3, []byte("log"))
		b.SetSnapshotChunk("view:v", 0, []byte("snap"))
		b.SetCheckpoint("view:v", []byte("ckpt"))
		b.SetViewRows("view:w", 1, []byte("keep"))
	})
	var rows []string
	_ = s.ScanViewRows("view:v", func(_ uint64, c []byte) error { rows = append(rows, string(c)); return nil })
	if !slices.Equal(rows, []string{"r1", "r2"}) {
		t.Fatalf("rows %q", rows)
	}
	if seq, ok, err := s.LastViewRowsSeq("view:v"); seq != 2 || !ok || err != nil {
		t.Fatalf("last seq %d %v %v", seq, ok, err)
	}
	commit(t, s, func(b *Batch) { b.DeleteQueryData("view:v") })
	if _, ok, _ := s.LastViewRowsSeq("view:v"); ok {
		t.Fatal("view rows survived DeleteQueryData")
	}
	if snap, _ := s.Snapshot("view:v"); snap != nil {
		t.Fatal("snapshot survived DeleteQueryData")
	}
	if _, err := s.Checkpoint("view:v"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("checkpoint survived: %v", err)
	}
	n := 0
	_ = s.ScanOffsetLog("view:v", 0, func(uint64, []byte) error { n++; return nil })
	if n != 0 {
		t.Fatal("offset log survived DeleteQueryData")
	}
	if seq, ok, _ := s.LastViewRowsSeq("view:w"); !ok || seq != 1 {
		t.Fatal("another view's rows were deleted")
	}
}

// TestCatalogBatch: catalog entries set and deleted in one WriteSynced
// batch land together (a sink and its output stream).
func TestCatalogBatch(t *testing.T) {
	s := openMem(t)
	err := s.WriteSynced(func(b *Batch) {
		b.SetCatalog("stream", "out", []byte("s"))
		b.SetCatalog("sink", "out", []byte("k"))
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"stream", "sink"} {
		if _, err := s.GetCatalog(kind, "out"); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
	}
	err = s.WriteSynced(func(b *Batch) {
		b.DeleteCatalog("sink", "out")
		b.DeleteCatalog("stream", "out")
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []string{"stream", "sink"} {
		if _, err := s.GetCatalog(kind, "out"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s after delete: %v", kind, err)
		}
	}
}
