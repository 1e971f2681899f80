package ingest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// TestEndOffsetsShared: concurrent callers get the topic's end offsets
// (one lookup serves them all), a caller whose ctx is cancelled gets its
// ctx's error without failing the others, and a later call sees records
// produced since.
func TestEndOffsetsShared(t *testing.T) {
	ctx := context.Background()
	_, c := newTestClient(t, 2, "t")
	produceN(t, c, "t", 2, 3)
	var wg sync.WaitGroup
	errs := make([]error, 64)
	got := make([]string, 64)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	for i := range errs {
		wg.Go(func() {
			cctx := ctx
			if i == 0 {
				cctx = cancelled
			}
			ends, err := c.EndOffsetsShared(cctx, "t")
			errs[i], got[i] = err, fmt.Sprint(ends)
		})
	}
	wg.Wait()
	if !errors.Is(errs[0], context.Canceled) {
		t.Errorf("cancelled caller: %v, want context.Canceled", errs[0])
	}
	for i := 1; i < len(errs); i++ {
		if errs[i] != nil || got[i] != "[3 3]" {
			t.Fatalf("caller %d: %s, %v; want [3 3]", i, got[i], errs[i])
		}
	}
	more := []*Record{{Partition: 0, Value: []byte("a")}, {Partition: 1, Value: []byte("b")}}
	if err := c.Produce(ctx, "t", more); err != nil {
		t.Fatal(err)
	}
	if ends, err := c.EndOffsetsShared(ctx, "t"); err != nil || fmt.Sprint(ends) != "[4 4]" {
		t.Fatalf("after producing: %v, %v; want [4 4]", ends, err)
	}
	if _, err := c.EndOffsetsShared(ctx, "missing"); !errors.Is(err, ErrUnknownTopic) {
		t.Fatalf("missing topic: %v, want ErrUnknownTopic", err)
	}
}
