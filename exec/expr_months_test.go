package exec

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func mustUTC(t *testing.T, s string) int64 {
	t.Helper()
	tm, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		t.Fatal(err)
	}
	return tm.UnixMicro()
}

// TestAddInterval pins PostgreSQL's results (checked against PostgreSQL
// 15 with TimeZone UTC) for end-of-month clamping, leap years, negative
// shifts, pre-1970 times and the months-then-days order.
func TestAddInterval(t *testing.T) {
	day := int64(86400e6)
	cases := []struct {
		from           string
		months, micros int64
		want           string
	}{
		{"2024-01-31 10:00:00", 1, 0, "2024-02-29 10:00:00"},
		{"2023-01-31 10:00:00", 1, 0, "2023-02-28 10:00:00"},
		{"2024-02-29 00:00:00", 12, 0, "2025-02-28 00:00:00"},
		{"2024-02-29 00:00:00", 48, 0, "2028-02-29 00:00:00"},
		{"2024-03-31 23:59:59.999999", -1, 0, "2024-02-29 23:59:59.999999"},
		{"2024-05-15 00:00:00", -12, 0, "2023-05-15 00:00:00"},
		{"2024-01-15 00:00:00", -13, 0, "2022-12-15 00:00:00"},
		{"2024-12-31 00:00:00", 2, 0, "2025-02-28 00:00:00"},
		{"1969-12-31 23:59:59.5", 2, 0, "1970-02-28 23:59:59.5"},
		{"1970-01-31 00:00:00", -11, 0, "1969-02-28 00:00:00"},
		{"1900-01-31 12:00:00", 1, 0, "1900-02-28 12:00:00"}, // not a leap year
		{"2000-01-31 12:00:00", 1, 0, "2000-02-29 12:00:00"}, // a leap year
		{"2024-01-31 00:00:00", 1, day, "2024-03-01 00:00:00"},
		{"2024-03-31 00:00:00", -1, -day, "2024-02-28 00:00:00"},
		{"2024-01-01 00:00:00", 14, 3*day + 4*3600e6, "2025-03-04 04:00:00"},
		{"2024-06-30 00:00:00", 0, -day, "2024-06-29 00:00:00"},
	}
	for _, c := range cases {
		got, err := addInterval(mustUTC(t, c.from), c.months, c.micros)
		if err != nil {
			t.Fatalf("%s + %d months %d µs: %v", c.from, c.months, c.micros, err)
		}
		if want := mustUTC(t, c.want); got != want {
			t.Errorf("%s + %d months %d µs = %s, want %s", c.from, c.months, c.micros,
				time.UnixMicro(got).UTC(), c.want)
		}
	}
}

func TestAddIntervalOutOfRange(t *testing.T) {
	for _, c := range []struct{ us, months, micros int64 }{
		{0, maxShiftMonths, 0},
		{0, -maxShiftMonths, 0},
		{math.MaxInt64 - 10, 0, 100},
		{math.MinInt64 + 10, 1, math.MinInt64 + 1},
	} {
		if _, err := addInterval(c.us, c.months, c.micros); !errors.Is(err, ErrNumericOverflow) {
			t.Errorf("addInterval(%d, %d, %d): err %v, want out of range", c.us, c.months, c.micros, err)
		}
	}
}

// TestAddIntervalEval runs add_interval over a column with a NULL (whose
// garbage value must not fail the row) and a NULL literal, releasing
// everything.
func TestAddIntervalEval(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	bld := array.NewTimestampBuilder(mem, ts)
	bld.AppendValues([]arrow.Timestamp{arrow.Timestamp(mustUTC(t, "2024-01-31 00:00:00")), math.MaxInt64}, []bool{true, false})
	col := bld.NewArray()
	bld.Release()
	rec := array.NewRecordBatch(arrow.NewSchema([]arrow.Field{{Name: "ts", Type: ts, Nullable: true}}, nil), []arrow.Array{col}, 2)
	col.Release()
	defer rec.Release()
	for _, arg := range []Expr{Col(0, ts), Lit(nil, ts)} {
		e, err := Call("add_interval", ts, arg, Lit(int64(1), arrow.PrimitiveTypes.Int64), Lit(int64(0), arrow.PrimitiveTypes.Int64))
		if err != nil {
			t.Fatal(err)
		}
		out, err := e.Eval(context.Background(), mem, rec)
		if err != nil {
			t.Fatal(err)
		}
		got := out.(*array.Timestamp)
		if got.Len() != 2 || !got.IsNull(1) {
			t.Errorf("%s: %v", e, got)
		}
		if _, isCol := arg.(*colExpr); isCol && int64(got.Value(0)) != mustUTC(t, "2024-02-29 00:00:00") {
			t.Errorf("%s: row 0 = %d", e, got.Value(0))
		}
		out.Release()
	}
	if _, err := Call("add_interval", ts, Col(0, ts), Col(0, ts), Lit(int64(0), arrow.PrimitiveTypes.Int64)); err == nil {
		t.Error("add_interval with a column for months: no error")
	}
}
