package exec

import (
	"errors"
	"math"
	"testing"
)

// TestSumIntMergeRanges checks that a range merge fails exactly when the
// window sum does not fit, whatever the order of its partials.
func TestSumIntMergeRanges(t *testing.T) {
	for _, tc := range []struct {
		state    int64
		partials []int64
		want     int64
		overflow bool
	}{
		{0, []int64{math.MaxInt64, 1, -5}, math.MaxInt64 - 4, false},
		{-5, []int64{math.MaxInt64, 1}, math.MaxInt64 - 4, false},
		{0, []int64{math.MinInt64, -1, 1}, math.MinInt64, false},
		{1, []int64{math.MaxInt64, -1, 1}, 0, true},
		{0, []int64{math.MinInt64, -1}, 0, true},
	} {
		batch, st := &sumIntAcc[int64]{}, &sumIntAcc[int64]{}
		batch.resetAll(len(tc.partials) + 1) // the last partial is empty
		for i, p := range tc.partials {
			batch.sum[i], batch.has[i] = p, true
		}
		st.grow(1)
		st.sum[0], st.has[0] = tc.state, true
		err := st.mergeRanges([]int32{0}, batch, []int32{0}, []int32{int32(len(tc.partials) + 1)})
		if got := errors.Is(err, ErrNumericOverflow); got != tc.overflow {
			t.Fatalf("%d + %v: err %v, want overflow %v", tc.state, tc.partials, err, tc.overflow)
		}
		if !tc.overflow && st.sum[0] != tc.want {
			t.Fatalf("%d + %v = %d, want %d", tc.state, tc.partials, st.sum[0], tc.want)
		}
	}
}
