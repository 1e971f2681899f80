package sql

import (
	"math"
	"strconv"
	"strings"

	"github.com/pingcap/tidb/pkg/parser/ast"
)

// intervalUnits maps the fixed-length unit spellings to microseconds.
var intervalUnits = map[string]int64{
	"us": 1, "usec": 1, "usecs": 1, "microsecond": 1, "microseconds": 1,
	"ms": 1e3, "msec": 1e3, "msecs": 1e3, "millisecond": 1e3, "milliseconds": 1e3,
	"s": 1e6, "sec": 1e6, "secs": 1e6, "second": 1e6, "seconds": 1e6,
	"m": 60e6, "min": 60e6, "mins": 60e6, "minute": 60e6, "minutes": 60e6,
	"h": 3600e6, "hr": 3600e6, "hrs": 3600e6, "hour": 3600e6, "hours": 3600e6,
	"d": 86400e6, "day": 86400e6, "days": 86400e6,
	"w": 7 * 86400e6, "week": 7 * 86400e6, "weeks": 7 * 86400e6,
}

// calendarMonths maps the calendar unit spellings (PostgreSQL's) to months.
// They have no fixed length: windows cannot use them.
var calendarMonths = map[string]int64{
	"mon": 1, "mons": 1, "month": 1, "months": 1,
	"y": 12, "yr": 12, "yrs": 12, "year": 12, "years": 12,
	"dec": 120, "decs": 120, "decade": 120, "decades": 120,
	"c": 1200, "cent": 1200, "century": 1200, "centuries": 1200,
	"mil": 12000, "mils": 12000, "millennium": 12000, "millennia": 12000,
}

// Interval is the value of an INTERVAL constant with a month part (one
// without is int64 microseconds). PostgreSQL keeps months, days and
// microseconds apart; days are folded into Micros here because Sluice
// computes in UTC, where a day is always 24 hours.
type Interval struct {
	Months int64 // added calendar-wise, before Micros
	Micros int64
}

// String renders the interval as text parseCalendarInterval reads back.
func (iv Interval) String() string {
	s := strconv.FormatInt(iv.Months, 10) + " mons"
	if iv.Micros != 0 {
		s += " " + intervalMicrosText(iv.Micros)
	}
	return s
}

// intervalMicrosText renders a fixed-length interval in seconds, or in
// microseconds when it is not a whole number of seconds.
func intervalMicrosText(us int64) string {
	if us%1e6 == 0 {
		return strconv.FormatInt(us/1e6, 10) + " seconds"
	}
	return strconv.FormatInt(us, 10) + " microseconds"
}

// intervalUnit is one unit of interval text: a length in µs or in months.
type intervalUnit struct{ micros, months int64 }

func lookupIntervalUnit(s string) (intervalUnit, bool) {
	if us, ok := intervalUnits[s]; ok {
		return intervalUnit{micros: us}, true
	}
	m, ok := calendarMonths[s]
	return intervalUnit{months: m}, ok
}

// isTrailingUnit reports whether s is a unit that may follow the string of
// INTERVAL '1' MONTH. Of the calendar units only PostgreSQL's keywords
// YEAR and MONTH are, so that an alias such as "dec" is not swallowed.
func isTrailingUnit(s string) bool {
	return intervalUnits[s] != 0 || s == "year" || s == "month"
}

// apply returns the months and microseconds of v units. As in PostgreSQL,
// a fraction of a year (decade, …) is rounded to whole months and a
// fraction of a month is counted as 30 days.
func (u intervalUnit) apply(v float64) (months, micros float64) {
	if u.months == 0 {
		return 0, v * float64(u.micros)
	}
	whole, frac := math.Modf(v)
	if u.months == 1 {
		return whole, frac * 30 * 86400e6
	}
	return whole*float64(u.months) + math.RoundToEven(frac*float64(u.months)), 0
}

// parseInterval converts fixed-length interval text to microseconds; ok is
// false for anything else, a month part included.
func parseInterval(text, unit string) (int64, bool) {
	iv, ok := parseCalendarInterval(text, unit)
	return iv.Micros, ok && iv.Months == 0
}

// parseCalendarInterval reads interval text: the string of INTERVAL '…'
// ('10 seconds', '1 minute 30 seconds', '1.5h', '00:01:30', '1 day
// 02:00:00', '1 year 2 months', '3 days ago'); unit is the SQL-standard
// trailing unit of INTERVAL '10' SECOND, or "" when absent.
func parseCalendarInterval(text, unit string) (Interval, bool) {
	def := intervalUnit{micros: 1e6} // PostgreSQL reads a bare number as seconds
	if unit != "" {
		u, ok := lookupIntervalUnit(unit)
		if !ok {
			return Interval{}, false
		}
		def = u
	}
	fields := splitIntervalFields(text)
	sign := 1.0
	if n := len(fields); n > 1 && fields[n-1] == "ago" {
		fields, sign = fields[:n-1], -1
	}
	if len(fields) == 0 {
		return Interval{}, false
	}
	var months, micros float64
	for i := 0; i < len(fields); i++ {
		m, us, used, ok := intervalField(fields[i:], def, unit != "")
		if !ok {
			return Interval{}, false
		}
		months, micros, i = months+m, micros+us, i+used-1
	}
	// PostgreSQL keeps months in 32 bits; that also bounds any month shift
	// far inside what a 64-bit timestamp in µs can take.
	if math.IsNaN(micros) || math.Abs(micros) > math.MaxInt64/2 || math.Abs(months) > math.MaxInt32 {
		return Interval{}, false
	}
	return Interval{Months: int64(sign * months), Micros: int64(math.Round(sign * micros))}, true
}

// intervalField reads the quantity at fs[0] ("10", "10s", "1.5", "01:30"),
// with its unit in the next field when it has none attached, and returns
// it with the number of fields used. def is the unit of a bare number;
// fixed forbids explicit units (there is a trailing SQL-standard one).
func intervalField(fs []string, def intervalUnit, fixed bool) (months, micros float64, used int, ok bool) {
	if strings.Contains(fs[0], ":") {
		v, ok := parseClock(fs[0])
		return 0, v, 1, ok
	}
	num, rest := splitNumber(fs[0])
	v, err := strconv.ParseFloat(num, 64)
	if num == "" || err != nil {
		return 0, 0, 0, false
	}
	used = 1
	if rest == "" && len(fs) > 1 && !startsNumeric(fs[1]) {
		rest, used = fs[1], 2
	}
	u := def
	if rest != "" {
		if u, ok = lookupIntervalUnit(rest); !ok || fixed {
			return 0, 0, 0, false
		}
	}
	months, micros = u.apply(v)
	return months, micros, used, true
}

func splitIntervalFields(s string) []string {
	return strings.Fields(strings.ToLower(strings.TrimPrefix(strings.TrimSpace(s), "@")))
}

func startsNumeric(s string) bool {
	return s != "" && (isDigit(s[0]) || s[0] == '-' || s[0] == '+' || s[0] == '.')
}

// splitNumber splits "1.5h" into "1.5" and "h".
func splitNumber(s string) (string, string) {
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		i++
	}
	for i < len(s) && (isDigit(s[i]) || s[i] == '.') {
		i++
	}
	return s[:i], s[i:]
}

// parseClock reads [-]HH:MM[:SS[.ffffff]] as microseconds.
func parseClock(s string) (float64, bool) {
	neg := strings.HasPrefix(s, "-")
	parts := strings.Split(strings.TrimLeft(s, "+-"), ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	mults := []float64{3600e6, 60e6, 1e6}
	var v float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || p == "" || f < 0 || (i < 2 && strings.Contains(p, ".")) {
			return 0, false
		}
		v += f * mults[i]
	}
	if neg {
		v = -v
	}
	return v, true
}

// intervalLiteral binds sluice_interval(µs[, months]): a month part, which
// the rewriter passes as a second argument, makes an Interval value.
func (b *binder) intervalLiteral(x *ast.FuncCallExpr, micros int64) (Expr, error) {
	if len(x.Args) < 2 {
		return &Literal{Value: micros, T: typeInterval}, nil
	}
	months, err := b.internalArg(x, 1)
	if err != nil {
		return nil, err
	}
	return &Literal{Value: Interval{Months: months, Micros: micros}, T: typeInterval}, nil
}

// timeShift binds timestamp ± interval, keeping the timestamp's type; a
// date is widened to timestamp first, as PostgreSQL does. A fixed interval
// is an add/sub of µs; one with a month part becomes add_interval(ts,
// months, µs), which exec applies calendar-wise (subtraction negates both).
func (b *binder) timeShift(fn string, ts, iv Expr) Expr {
	t := ts.Type()
	if temporalRank(t) == 1 {
		ts, t = &Cast{Expr: ts, T: typeTimestamp}, typeTimestamp
	}
	lit, _ := iv.(*Literal)
	var cal Interval
	if lit != nil {
		cal, _ = lit.Value.(Interval)
	}
	if cal.Months == 0 {
		return &Call{Func: fn, Args: []Expr{ts, iv}, T: t}
	}
	if fn == "sub" {
		cal = Interval{Months: -cal.Months, Micros: -cal.Micros}
	}
	return &Call{Func: "add_interval", T: t, Args: []Expr{ts,
		&Literal{Value: cal.Months, T: typeInt8}, &Literal{Value: cal.Micros, T: typeInt8}}}
}
