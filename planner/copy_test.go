package planner

import (
	"testing"
)

func TestCopyInsert(t *testing.T) {
	p, ctx := testPlanner(t)
	plan, err := p.PrepareCopy("bids", []string{"price", "auction"})
	if err != nil {
		t.Fatal(err)
	}
	if f := plan.Fields(); len(f) != 2 || f[0].Name != "price" || f[1].Name != "auction" {
		t.Fatalf("fields %v", f)
	}
	n, err := p.CopyInsert(ctx, plan, [][]any{{int64(10), int64(1)}, {nil, int64(2)}})
	if err != nil || n != 2 {
		t.Fatalf("CopyInsert: %d, %v", n, err)
	}
	_, err = p.PrepareCopy("nosuch", nil)
	wantCode(t, err, "42P01", "unknown stream")
	_, err = p.PrepareCopy("bids", []string{"price", "price"})
	wantCode(t, err, "42701", "duplicate column")
	_, err = p.PrepareCopy("bids", []string{"nosuch"})
	wantCode(t, err, "42703", "unknown column")
}
