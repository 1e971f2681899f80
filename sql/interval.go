package sql

import (
	"math"
	"strconv"
	"strings"
)

// intervalUnits maps unit spellings to microseconds. Months and years have
// no fixed length, so windows cannot use them and they are left out.
var intervalUnits = map[string]int64{
	"us": 1, "usec": 1, "usecs": 1, "microsecond": 1, "microseconds": 1,
	"ms": 1e3, "msec": 1e3, "msecs": 1e3, "millisecond": 1e3, "milliseconds": 1e3,
	"s": 1e6, "sec": 1e6, "secs": 1e6, "second": 1e6, "seconds": 1e6,
	"m": 60e6, "min": 60e6, "mins": 60e6, "minute": 60e6, "minutes": 60e6,
	"h": 3600e6, "hr": 3600e6, "hrs": 3600e6, "hour": 3600e6, "hours": 3600e6,
	"d": 86400e6, "day": 86400e6, "days": 86400e6,
	"w": 7 * 86400e6, "week": 7 * 86400e6, "weeks": 7 * 86400e6,
}

// parseInterval converts interval text to microseconds. text is the string
// of INTERVAL '…' ('10 seconds', '1 minute 30 seconds', '1.5h', '00:01:30',
// '1 day 02:00:00'); unit is the SQL-standard trailing unit of
// INTERVAL '10' SECOND, or "" when absent. ok is false for anything else.
func parseInterval(text, unit string) (int64, bool) {
	defUnit := int64(1e6) // PostgreSQL reads a bare number as seconds
	if unit != "" {
		u, ok := intervalUnits[unit]
		if !ok {
			return 0, false
		}
		defUnit = u
	}
	fields := splitIntervalFields(text)
	if len(fields) == 0 {
		return 0, false
	}
	var total float64
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.Contains(f, ":") {
			v, ok := parseClock(f)
			if !ok {
				return 0, false
			}
			total += v
			continue
		}
		num, rest := splitNumber(f)
		v, err := strconv.ParseFloat(num, 64)
		if num == "" || err != nil {
			return 0, false
		}
		if rest == "" && i+1 < len(fields) && !startsNumeric(fields[i+1]) {
			i++
			rest = fields[i]
		}
		mult := defUnit
		if rest != "" {
			u, ok := intervalUnits[rest]
			if !ok || unit != "" {
				return 0, false
			}
			mult = u
		}
		total += v * float64(mult)
	}
	if math.IsNaN(total) || math.Abs(total) > math.MaxInt64/2 {
		return 0, false
	}
	return int64(math.Round(total)), true
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

// calendarUnits are the interval units of variable length.
var calendarUnits = map[string]bool{
	"month": true, "months": true, "mon": true, "mons": true, "year": true, "years": true,
	"y": true, "decade": true, "decades": true, "century": true, "centuries": true,
	"millennium": true, "millennia": true,
}

// calendarText reports whether interval text uses a calendar unit.
func calendarText(s string) bool {
	for _, f := range splitIntervalFields(s) {
		_, unit := splitNumber(f)
		if calendarUnits[unit] || calendarUnits[f] {
			return true
		}
	}
	return false
}
