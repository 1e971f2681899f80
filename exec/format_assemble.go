package exec

import (
	"cmp"
	"fmt"
	"math"
	"time"
)

// This file turns the fields to_timestamp read into a timestamp, as
// PostgreSQL's do_to_timestamp: defaults for fields not given, the year
// from YYYY, CC and BC, day-of-year and Julian dates, validation, time
// zone offsets (text without TZH/TZM is UTC) and FFn rounding.

// Which date fields were given, for validation.
const (
	maskYear uint8 = 1 << iota
	maskMonth
	maskDay
	maskDate = maskYear | maskMonth | maskDay
)

// The range of timestamps: PostgreSQL's lower bound (4714-11-24 BC), and
// the largest second whose microseconds fit Sluice's int64.
const (
	minTimestampSec = -210866803200
	maxTimestampSec = math.MaxInt64/microsPerSecond - 1
	pgEpochMicros   = 946684800 * microsPerSecond // 2000-01-01, where PostgreSQL rounds from
)

// timestamp assembles what was read, as PostgreSQL's do_to_timestamp:
// fields not given default to 0001-01-01 BC 00:00:00.
func (p *tsParser) timestamp() (int64, error) {
	c := &p.c
	h, mi, s := 0, 0, 0
	if c.ssss != 0 {
		h, mi, s = c.ssss/3600, c.ssss%3600/60, c.ssss%60
	}
	h, mi, s = cmp.Or(c.hh, h), cmp.Or(c.mi, mi), cmp.Or(c.ss, s)
	if c.clock12 {
		if h < 1 || h > 12 {
			return 0, invalidDatetime("", "Use the 24-hour clock, or give an hour between 1 and 12.",
				"hour \"%d\" is invalid for the 12-hour clock", h)
		}
		h = h%12 + 12*c.pm
	}
	y, m, d, mask, err := c.date()
	if err != nil {
		return 0, err
	}
	fsec := int64(c.ms)*1000 + int64(c.us)
	if (mask != 0 && !validDate(y, m, d, mask)) || h < 0 || h >= 24 || mi < 0 || mi >= 60 ||
		s < 0 || s >= 60 || fsec < 0 || fsec >= microsPerSecond {
		return 0, p.overflow("date/time field value out of range")
	}
	off := 0
	if c.tzsign != 0 {
		if c.tzh < 0 || c.tzh > 15 || c.tzm < 0 || c.tzm >= 60 {
			return 0, p.overflow("time zone displacement out of range")
		}
		off = c.tzsign * (c.tzh*3600 + c.tzm*60)
	}
	return assembleTimestamp(y, m, d, h*3600+mi*60+s-off, fsec, c.ff)
}

func (p *tsParser) overflow(msg string) error {
	return &DetailedError{Err: ErrDatetimeOverflow, Msg: fmt.Sprintf("%s: \"%s\"", msg, p.s)}
}

// assembleTimestamp is the date plus secs seconds and fsec µs, rounded
// to ff fractional digits when FFn was read.
func assembleTimestamp(y, m, d, secs int, fsec int64, ff int) (int64, error) {
	tooBig := &DetailedError{Err: ErrDatetimeOverflow, Msg: "timestamp out of range"}
	if y < -4713 || (y == -4713 && m < 11) || y > 294277 {
		return 0, tooBig
	}
	sec := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() + int64(secs)
	if sec < minTimestampSec || sec > maxTimestampSec {
		return 0, tooBig
	}
	us := sec*microsPerSecond + fsec
	if ff > 0 && ff < 6 {
		scale := int64(math.Pow10(6 - ff))
		pg := us - pgEpochMicros
		if pg >= 0 {
			pg = (pg + scale/2) / scale * scale
		} else {
			pg = -((-pg + scale/2) / scale * scale)
		}
		us = pg + pgEpochMicros
	}
	return us, nil
}

// date is the year, month and day the fields give, and which were given.
func (c *fromChar) date() (y, m, d int, mask uint8, err error) {
	y, m, d = c.fullYear(), 1, 1
	if c.year != 0 || c.cc != 0 {
		mask |= maskYear
	}
	if c.j != 0 {
		t := time.Unix((int64(c.j)-2440588)*86400, 0).UTC()
		y, m, d, mask = t.Year(), int(t.Month()), t.Day(), maskDate
	}
	ddd, dd := c.ddd, c.dd
	if c.ww != 0 {
		ddd = (c.ww-1)*7 + 1
	}
	if c.w != 0 {
		dd = (c.w-1)*7 + 1
	}
	if dd != 0 {
		d, mask = dd, mask|maskDay
	}
	if c.mm != 0 {
		m, mask = c.mm, mask|maskMonth
	}
	if ddd != 0 && (m <= 1 || d <= 1) {
		if y == 0 && c.bc == 0 {
			return 0, 0, 0, 0, invalidDatetime("", "", "cannot calculate day of year without year information")
		}
		dm, dday := monthDayOfYear(y, ddd)
		if m <= 1 {
			m = dm
		}
		if d <= 1 {
			d = dday
		}
		mask |= maskMonth | maskDay
	}
	return y, m, d, mask, nil
}

// fullYear is the year (0 is 1 BC) from YYYY…Y, CC and BC. With CC, a
// year of one or two digits is the year within that century.
func (c *fromChar) fullYear() int {
	cc := c.cc
	if c.bc != 0 {
		cc = -cc
	}
	switch {
	case c.year != 0 && c.cc != 0 && c.yysz <= 2:
		yy := c.year % 100
		switch {
		case yy == 0 && cc >= 0:
			return cc * 100
		case yy == 0:
			return cc*100 + 1
		case cc >= 0:
			return yy + (cc-1)*100
		}
		return (cc+1)*100 - yy + 1
	case c.year != 0:
		y := c.year
		if c.bc != 0 {
			y = -y
		}
		if y < 0 {
			y++
		}
		return y
	case c.cc != 0 && cc >= 0:
		return (cc-1)*100 + 1
	case c.cc != 0:
		return cc*100 + 1
	}
	return 0
}

// monthDayOfYear turns a day of the year into a month and day; past the
// year's end the month is 13, which validation refuses.
func monthDayOfYear(y, ddd int) (int, int) {
	sums := [13]int{0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365}
	if isLeap(y) {
		sums = [13]int{0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366}
	}
	m := 1
	for m <= 12 && ddd > sums[m] {
		m++
	}
	return m, ddd - sums[m-1]
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// validDate is PostgreSQL's ValidateDate for the fields given: the day is
// checked against its month only when year, month and day were all given.
func validDate(y, m, d int, mask uint8) bool {
	if mask&maskMonth != 0 && (m < 1 || m > 12) {
		return false
	}
	if mask&maskDay != 0 && (d < 1 || d > 31) {
		return false
	}
	if mask == maskDate {
		return d <= time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
	}
	return true
}
