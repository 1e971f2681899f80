package ingest

import (
	"errors"
	"fmt"
	"math"
)

const (
	microsPerSecond = 1_000_000
	microsPerDay    = 86_400 * microsPerSecond
	// maxEpochMillis keeps epoch-millisecond inputs clear of int64
	// overflow once converted to microseconds.
	maxEpochMillis = math.MaxInt64 / 1000
)

// parseTimestampToken converts a timestamp value to microseconds since the
// epoch: a string in one of the accepted layouts, or an integer count of
// epoch milliseconds.
func parseTimestampToken(tok []byte, isStr, isInt bool) (int64, error) {
	if isStr {
		return parseTimestamp(tok)
	}
	if !isInt {
		return 0, fmt.Errorf("timestamp must be a string or integer epoch milliseconds, got %s", tok)
	}
	ms, ok := atoi(tok)
	if !ok || ms > maxEpochMillis || ms < -maxEpochMillis {
		return 0, fmt.Errorf("epoch milliseconds %s out of range", tok)
	}
	return ms * 1000, nil
}

// parseTimestamp accepts "YYYY-MM-DD", then optionally [T or space]
// "HH:MM:SS", an optional fraction (digits past microseconds are
// truncated) and an optional zone: Z or ±HH[:MM]. Without a zone the time
// is UTC. It does not allocate.
func parseTimestamp(b []byte) (int64, error) {
	days, err := parseDate(b[:min(len(b), 10)])
	if err != nil {
		return 0, badTimestamp(b)
	}
	us := days * microsPerDay
	if len(b) == 10 {
		return us, nil
	}
	if b[10] != 'T' && b[10] != 't' && b[10] != ' ' {
		return 0, badTimestamp(b)
	}
	p := b[11:]
	if len(p) < 8 || p[2] != ':' || p[5] != ':' {
		return 0, badTimestamp(b)
	}
	h, ok1 := num2(p[0:2])
	m, ok2 := num2(p[3:5])
	s, ok3 := num2(p[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || m > 59 || s > 60 {
		return 0, badTimestamp(b)
	}
	us += (int64(h)*3600 + int64(m)*60 + int64(s)) * microsPerSecond
	p = p[8:]
	if len(p) > 0 && p[0] == '.' {
		frac, n := fraction(p[1:])
		if n == 0 {
			return 0, badTimestamp(b)
		}
		us += frac
		p = p[1+n:]
	}
	off, err := zoneOffset(p)
	if err != nil {
		return 0, badTimestamp(b)
	}
	return us - off, nil
}

func badTimestamp(b []byte) error {
	return fmt.Errorf("invalid timestamp %q (want YYYY-MM-DD HH:MM:SS[.ffffff][zone] or epoch milliseconds)", b)
}

// fraction reads fraction digits, returning microseconds and how many
// digits it consumed.
func fraction(p []byte) (us int64, n int) {
	scale := int64(100_000)
	for n < len(p) && '0' <= p[n] && p[n] <= '9' {
		us += int64(p[n]-'0') * scale
		scale /= 10
		n++
	}
	return us, n
}

var errZone = errors.New("bad zone")

// zoneOffset parses "", Z, or ±HH[:MM] / ±HHMM into microseconds east of
// UTC.
func zoneOffset(p []byte) (int64, error) {
	switch {
	case len(p) == 0:
		return 0, nil
	case len(p) == 1 && (p[0] == 'Z' || p[0] == 'z'):
		return 0, nil
	case p[0] != '+' && p[0] != '-':
		return 0, errZone
	}
	sign := int64(1)
	if p[0] == '-' {
		sign = -1
	}
	p = p[1:]
	var h, m int
	var ok1, ok2 bool
	switch len(p) {
	case 2:
		h, ok1 = num2(p)
		ok2 = true
	case 4:
		h, ok1 = num2(p[:2])
		m, ok2 = num2(p[2:])
	case 5:
		h, ok1 = num2(p[:2])
		m, ok2 = num2(p[3:])
		ok2 = ok2 && p[2] == ':'
	}
	if !ok1 || !ok2 || h > 23 || m > 59 {
		return 0, errZone
	}
	return sign * (int64(h)*3600 + int64(m)*60) * microsPerSecond, nil
}

// parseDate parses "YYYY-MM-DD" into days since 1970-01-01.
func parseDate(b []byte) (int64, error) {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return 0, fmt.Errorf("invalid date %q (want YYYY-MM-DD)", b)
	}
	yh, ok1 := num2(b[0:2])
	yl, ok2 := num2(b[2:4])
	mo, ok3 := num2(b[5:7])
	d, ok4 := num2(b[8:10])
	y := yh*100 + yl
	if !ok1 || !ok2 || !ok3 || !ok4 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, fmt.Errorf("invalid date %q (want YYYY-MM-DD)", b)
	}
	return daysFromCivil(int64(y), int64(mo), int64(d)), nil
}

func num2(b []byte) (int, bool) {
	a, c := b[0]-'0', b[1]-'0'
	if a > 9 || c > 9 {
		return 0, false
	}
	return int(a)*10 + int(c), true
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil is Howard Hinnant's days_from_civil: the proleptic
// Gregorian date y-m-d as days since 1970-01-01 (negative before).
func daysFromCivil(y, m, d int64) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := (m + 9) % 12 // March = 0
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}
