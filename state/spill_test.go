package state

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
)

// spillScan renders the entries ScanSpill yields.
func spillScan(t *testing.T, s *Store, id string, op uint32, upTo int64) []string {
	t.Helper()
	var out []string
	err := s.ScanSpill(id, op, upTo, func(e WindowEntry) error {
		out = append(out, fmt.Sprintf("%d %d %q=%s", e.End, e.Start, e.Group, e.Value))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSpillKeys checks the spill family: (end, start, group) order within
// an operator, bounds by window end, ids that prefix one another kept
// apart, and the three deletions.
func TestSpillKeys(t *testing.T) {
	s := openMem(t)
	b := s.NewBatch()
	put := func(id string, op uint32, end, start int64, group string) {
		b.Set(AppendSpillKey(nil, id, op, end, start, []byte(group)), []byte(id))
	}
	put("q1#1", 0, 10, 0, "b")
	put("q1#1", 0, 10, 0, "a\x00")
	put("q1#1", 0, -5, -15, "z")
	put("q1#1", 0, math.MaxInt64, 0, "")
	put("q1#1", 0, 10, 5, "a")
	put("q1#1", 1, 0, -10, "other op")
	put("q1#10", 0, 0, -10, "other id")
	b.Set(AppendWindowKey(nil, "q1#1", 0, 0, -10, []byte("window family")), nil)
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	want := []string{`-5 -15 "z"=q1#1`, `10 0 "a\x00"=q1#1`, `10 0 "b"=q1#1`, `10 5 "a"=q1#1`, `9223372036854775807 0 ""=q1#1`}
	if got := spillScan(t, s, "q1#1", 0, math.MaxInt64); !slices.Equal(got, want) {
		t.Fatalf("scan:\n%q\nwant\n%q", got, want)
	}
	if got := spillScan(t, s, "q1#1", 0, 9); !slices.Equal(got, want[:1]) {
		t.Fatalf("scan up to 9: %q", got)
	}
	b = s.NewBatch()
	b.DeleteSpillUpTo("q1#1", 0, 10)
	if err := b.Commit(false); err != nil {
		t.Fatal(err)
	}
	if got := spillScan(t, s, "q1#1", 0, math.MaxInt64); !slices.Equal(got, want[4:]) {
		t.Fatalf("after deleting up to 10: %q", got)
	}
	if err := s.DeleteSpill("q1#1", 0); err != nil {
		t.Fatal(err)
	}
	if got := spillScan(t, s, "q1#1", 0, math.MaxInt64); got != nil {
		t.Fatalf("after DeleteSpill: %q", got)
	}
	if got := spillScan(t, s, "q1#10", 0, math.MaxInt64); len(got) != 1 {
		t.Fatalf("DeleteSpill of q1#1 touched q1#10: %q", got)
	}
	if err := s.DeleteAllSpill(); err != nil {
		t.Fatal(err)
	}
	var left [][]byte
	if err := s.Scan(nil, nil, func(k, _ []byte) error { left = append(left, bytes.Clone(k)); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0][0] != prefixWindow {
		t.Fatalf("after DeleteAllSpill: %q, want only the window-state key", left)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAllSpill(); !errors.Is(err, ErrClosed) {
		t.Fatalf("DeleteAllSpill after Close: %v", err)
	}
}
