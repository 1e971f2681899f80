package exec

import (
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
)

// timeArg checks that the first argument is a string literal naming a unit
// and returns it with the timestamp argument (dates are cast to timestamp).
func timeArg(args []Expr) (string, Expr, error) {
	if err := wantArgs(args, 2); err != nil {
		return "", nil, err
	}
	l, ok := args[0].(*litExpr)
	unit, isStr := "", false
	if ok {
		unit, isStr = l.v.(string)
	}
	if !isStr {
		return "", nil, fmt.Errorf("first argument must be a text literal")
	}
	ts := args[1]
	switch ts.DataType().ID() {
	case arrow.TIMESTAMP:
	case arrow.DATE32:
		ts, _ = Cast(ts, &arrow.TimestampType{Unit: arrow.Microsecond})
	default:
		return "", nil, fmt.Errorf("second argument of type %s, want timestamp", ts.DataType())
	}
	return strings.TrimSuffix(strings.ToLower(unit), "s"), ts, nil
}

// newDateTrunc truncates with floor semantics, so pre-1970 values go to the
// start of the unit that contains them; weeks start on Monday.
func newDateTrunc(args []Expr) (Expr, error) {
	unit, ts, err := timeArg(args)
	if err != nil {
		return nil, err
	}
	f, err := truncFunc(unit)
	if err != nil {
		return nil, err
	}
	t := ts.DataType()
	k := mapKernel(t, func(us int64) (int64, error) { return f(us), nil })
	return &callExpr{fn: "date_trunc", t: t, args: []Expr{args[0], ts}, kernel: k}, nil
}

func truncFunc(unit string) (func(int64) int64, error) {
	step := map[string]int64{"microsecond": 1, "millisecond": 1000, "second": microsPerSecond,
		"minute": 60 * microsPerSecond, "hour": 3600 * microsPerSecond, "day": microsPerDay}
	if s, ok := step[unit]; ok {
		return func(us int64) int64 { return floorDiv(us, s) * s }, nil
	}
	civil := func(f func(y int, m time.Month) (int, time.Month)) func(int64) int64 {
		return func(us int64) int64 {
			tm := time.UnixMicro(us).UTC()
			y, m := f(tm.Year(), tm.Month())
			return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
		}
	}
	switch unit {
	case "week":
		return func(us int64) int64 {
			d := floorDiv(us, microsPerDay)
			return (d - ((d+3)%7+7)%7) * microsPerDay // 1970-01-01 was a Thursday
		}, nil
	case "month":
		return civil(func(y int, m time.Month) (int, time.Month) { return y, m }), nil
	case "quarter":
		return civil(func(y int, m time.Month) (int, time.Month) { return y, (m-1)/3*3 + 1 }), nil
	case "year":
		return civil(func(y int, _ time.Month) (int, time.Month) { return y, 1 }), nil
	case "decade":
		return civil(func(y int, _ time.Month) (int, time.Month) { return y - ((y%10)+10)%10, 1 }), nil
	case "century":
		return civil(func(y int, _ time.Month) (int, time.Month) { return firstYearOf(y, 100), 1 }), nil
	case "millennium":
		return civil(func(y int, _ time.Month) (int, time.Month) { return firstYearOf(y, 1000), 1 }), nil
	}
	return nil, fmt.Errorf("%w: unit %q not recognized", ErrInvalidValue, unit)
}

// firstYearOf returns the first year of the century or millennium holding y
// (they start at years 1, 101, … in PostgreSQL).
func firstYearOf(y, span int) int {
	return int(floorDiv(int64(y-1), int64(span)))*span + 1
}

// newExtract returns the field of a timestamp as FLOAT8.
func newExtract(args []Expr) (Expr, error) {
	field, ts, err := timeArg(args)
	if err != nil {
		return nil, err
	}
	f, err := extractFunc(field)
	if err != nil {
		return nil, err
	}
	f64 := arrow.PrimitiveTypes.Float64
	k := mapKernel(f64, func(us int64) (float64, error) { return f(us), nil })
	return &callExpr{fn: "extract", t: f64, args: []Expr{args[0], ts}, kernel: k}, nil
}

func extractFunc(field string) (func(int64) float64, error) {
	inMinute := func(us int64) int64 { return us - floorDiv(us, 60*microsPerSecond)*60*microsPerSecond }
	switch field {
	case "microsecond":
		return func(us int64) float64 { return float64(inMinute(us)) }, nil
	case "millisecond":
		return func(us int64) float64 { return float64(inMinute(us)) / 1000 }, nil
	case "second":
		return func(us int64) float64 { return float64(inMinute(us)) / 1e6 }, nil
	case "epoch":
		return func(us int64) float64 { return float64(us) / 1e6 }, nil
	}
	civil := map[string]func(t time.Time) int{
		"minute": time.Time.Minute, "hour": time.Time.Hour, "day": time.Time.Day,
		"month":   func(t time.Time) int { return int(t.Month()) },
		"quarter": func(t time.Time) int { return (int(t.Month())-1)/3 + 1 },
		"year":    time.Time.Year, "doy": time.Time.YearDay,
		"dow":     func(t time.Time) int { return int(t.Weekday()) },
		"isodow":  func(t time.Time) int { return (int(t.Weekday())+6)%7 + 1 },
		"week":    func(t time.Time) int { _, w := t.ISOWeek(); return w },
		"isoyear": func(t time.Time) int { y, _ := t.ISOWeek(); return y },
		"decade":  func(t time.Time) int { return int(floorDiv(int64(t.Year()), 10)) },
		"century": func(t time.Time) int { return (firstYearOf(t.Year(), 100)-1)/100 + 1 },
		"millennium": func(t time.Time) int {
			return (firstYearOf(t.Year(), 1000)-1)/1000 + 1
		},
	}[field]
	if civil == nil {
		return nil, fmt.Errorf("%w: field %q not recognized", ErrInvalidValue, field)
	}
	return func(us int64) float64 { return float64(civil(time.UnixMicro(us).UTC())) }, nil
}
