package exec

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// maxShiftMonths bounds a month shift: PostgreSQL keeps an interval's
// months in 32 bits, and any more would leave the µs timestamp range.
const maxShiftMonths = math.MaxInt32

var errTimestampRange = fmt.Errorf("%w: timestamp out of range", ErrNumericOverflow)

// newAddInterval returns add_interval(ts, months, µs): the timestamp plus
// an interval with a month part, the way PostgreSQL adds one. The binder
// lowers INTERVAL constants, so months and µs are BIGINT constants.
func newAddInterval(args []Expr) (Expr, error) {
	if err := wantArgs(args, 3); err != nil {
		return nil, err
	}
	t := args[0].DataType()
	if t.ID() != arrow.TIMESTAMP {
		return nil, fmt.Errorf("first argument of type %s, want timestamp", t)
	}
	months, ok1 := int64Const(args[1])
	micros, ok2 := int64Const(args[2])
	if !ok1 || !ok2 || months < -maxShiftMonths || months > maxShiftMonths {
		return nil, fmt.Errorf("months and microseconds must be BIGINT constants")
	}
	k := mapKernel(t, func(us int64) (int64, error) { return addInterval(us, months, micros) })
	// mapKernel maps its last operand: hand it only the timestamp.
	kernel := func(ctx context.Context, mem memory.Allocator, ops []operand, n int) (arrow.Array, error) {
		return k(ctx, mem, ops[:1], n)
	}
	return &callExpr{fn: "add_interval", t: t, args: args, kernel: kernel}, nil
}

// int64Const returns the value of a non-NULL BIGINT literal.
func int64Const(e Expr) (int64, bool) {
	l, ok := e.(*litExpr)
	if !ok || l.err != nil || l.t.ID() != arrow.INT64 {
		return 0, false
	}
	v, ok := l.v.(int64)
	return v, ok
}

// addInterval adds months calendar-wise, then the fixed part, as
// PostgreSQL orders them: '1 month 1 day' from Jan 31 is Mar 1 (Feb 28,
// then a day), not Mar 3.
func addInterval(us, months, micros int64) (int64, error) {
	r, err := addMonths(us, months)
	if err != nil {
		return 0, err
	}
	s := r + micros
	if (s^r)&(s^micros) < 0 {
		return 0, errTimestampRange
	}
	return s, nil
}

// addMonths moves a timestamp by whole months in the UTC calendar, keeping
// the time of day and the day of the month, clamped to the new month's
// last day (Jan 31 + 1 month is Feb 28, or Feb 29 in a leap year).
func addMonths(us, months int64) (int64, error) {
	if months == 0 {
		return us, nil
	}
	days := floorDiv(us, microsPerDay)
	tod := us - days*microsPerDay
	y, m, d := time.Unix(days*86400, 0).UTC().Date()
	total := int64(y)*12 + int64(m-1) + months
	ny := floorDiv(total, 12)
	nm := time.Month(total - ny*12 + 1)
	// Day 0 of the next month is the last day of this one.
	last := time.Date(int(ny), nm+1, 0, 0, 0, 0, 0, time.UTC).Day()
	nd := time.Date(int(ny), nm, min(d, last), 0, 0, 0, 0, time.UTC).Unix() / 86400
	if nd > math.MaxInt64/microsPerDay-1 || nd < math.MinInt64/microsPerDay+1 {
		return 0, errTimestampRange
	}
	return nd*microsPerDay + tod, nil
}
