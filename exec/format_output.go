package exec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// This file renders timestamps for to_char(timestamp[tz], text): each
// template node prints its field, zero-padded unless FM, with ordinal
// suffixes and letter case as in PostgreSQL. Timestamps print in UTC.

func applyCase(s string, cas uint8) string {
	switch cas {
	case caseUpper:
		return strings.ToUpper(s)
	case caseLower:
		return strings.ToLower(s)
	}
	return s
}

// tmFields is a timestamp broken into the fields to_char prints.
type tmFields struct {
	t     time.Time
	us    int64 // microseconds within the second
	zoned bool  // timestamptz: TZ prints the zone's name
}

// appendToChar formats us (µs since the epoch, UTC) with a template.
func appendToChar(dst []byte, nodes []fmtNode, us int64, zoned bool) []byte {
	sec := floorDiv(us, microsPerSecond)
	tm := tmFields{t: time.Unix(sec, 0).UTC(), us: us - sec*microsPerSecond, zoned: zoned}
	for i := range nodes {
		n := &nodes[i]
		if n.key == nil {
			dst = append(dst, n.text...)
			continue
		}
		if n.key.digit {
			start := len(dst)
			dst = appendNumberField(dst, n, &tm)
			if n.th != 0 && n.key.field != fTZM {
				dst = appendOrdinal(dst, start, n.th == 1)
			}
			continue
		}
		dst = appendWordField(dst, n, &tm)
	}
	return dst
}

// pgYear is the year as PostgreSQL prints it: 1 BC is 1, not 0.
func pgYear(y int) int {
	if y <= 0 {
		return 1 - y
	}
	return y
}

// appendNumberField prints a numeric pattern, zero-padded to its width
// unless FM.
func appendNumberField(dst []byte, n *fmtNode, tm *tmFields) []byte {
	t := tm.t
	isoYear, isoWeek := t.ISOWeek()
	isoDay := (int(t.Weekday())+6)%7 + 1
	switch f := n.key.field; f {
	case fYYYY, fYYY, fYY, fY, fIYYY, fIYY, fIY, fI:
		return appendYear(dst, n, t.Year(), isoYear)
	case fYComma:
		y := pgYear(t.Year())
		return fmt.Appendf(dst, "%d,%03d", y/1000, y%1000)
	case fCC:
		return appendCentury(dst, n, t.Year())
	case fSSSS:
		return strconv.AppendInt(dst, int64(t.Hour()*3600+t.Minute()*60+t.Second()), 10)
	case fHH12:
		return appendPadded(dst, (t.Hour()+11)%12+1, 2, n.fm)
	case fJ:
		return strconv.AppendInt(dst, floorDiv(t.Unix(), 86400)+2440588, 10)
	default:
		v, width := numberValue(f, tm, isoWeek, isoDay)
		if width < 0 { // fractions keep their digits whatever FM says
			return fmt.Appendf(dst, "%0*d", -width, v)
		}
		return appendPadded(dst, v, width, n.fm)
	}
}

// numberValue is the value of a simple numeric field and its padded width
// (0: never padded; negative: a fraction of that many digits).
func numberValue(f fmtField, tm *tmFields, isoWeek, isoDay int) (int, int) {
	t := tm.t
	switch f {
	case fQ:
		return (int(t.Month())-1)/3 + 1, 0
	case fMM:
		return int(t.Month()), 2
	case fWW:
		return (t.YearDay()-1)/7 + 1, 2
	case fW:
		return (t.Day()-1)/7 + 1, 0
	case fIW:
		return isoWeek, 2
	case fDDD:
		return t.YearDay(), 3
	case fIDDD:
		return (isoWeek-1)*7 + isoDay, 3
	case fDD:
		return t.Day(), 2
	case fD:
		return int(t.Weekday()) + 1, 0
	case fID:
		return isoDay, 0
	case fHH24:
		return t.Hour(), 2
	case fMI:
		return t.Minute(), 2
	case fSS:
		return t.Second(), 2
	case fMS:
		return int(tm.us / 1000), -3
	case fUS:
		return int(tm.us), -6
	case fTZM:
		return 0, 2
	}
	return 0, 0
}

// appendYear prints YYYY…Y and IYYY…I: the last digits of the (ISO) year.
func appendYear(dst []byte, n *fmtNode, year, isoYear int) []byte {
	f := n.key.field
	if f >= fIYYY {
		year, f = isoYear, f-fIYYY
	}
	digits := 4 - int(f-fYYYY)
	width := digits
	if n.fm {
		width = 0
	}
	s := fmt.Sprintf("%0*d", width, pgYear(year))
	if digits < 4 && len(s) > digits {
		s = s[len(s)-digits:]
	}
	return append(dst, s...)
}

// appendCentury prints CC: century 21 is 2001–2100, 1 BC is in century -1.
func appendCentury(dst []byte, n *fmtNode, year int) []byte {
	c := year/100 - 1
	if year > 0 {
		c = (year-1)/100 + 1
	}
	if c > 99 || c < -99 {
		return strconv.AppendInt(dst, int64(c), 10)
	}
	width := 2
	if c < 0 {
		width = 3
	}
	return appendPadded(dst, c, width, n.fm)
}

// appendPadded is C's "%0*d" with width 0 under FM.
func appendPadded(dst []byte, v, width int, fm bool) []byte {
	if fm {
		width = 0
	}
	return fmt.Appendf(dst, "%0*d", width, v)
}

// appendOrdinal adds st, nd, rd or th after the number at dst[start:]
// (11th to 13th, and every teen, take th).
func appendOrdinal(dst []byte, start int, upper bool) []byte {
	num := dst[start:]
	suffix := "th"
	if len(num) > 0 && (len(num) < 2 || num[len(num)-2] != '1') {
		switch num[len(num)-1] {
		case '1':
			suffix = "st"
		case '2':
			suffix = "nd"
		case '3':
			suffix = "rd"
		}
	}
	if upper {
		suffix = strings.ToUpper(suffix)
	}
	return append(dst, suffix...)
}

// appendWordField prints the patterns that are not plain numbers: names
// (blank-padded to 9 characters, or 4 for RM, unless FM), meridian and era
// indicators, the zone and fractions of a second.
func appendWordField(dst []byte, n *fmtNode, tm *tmFields) []byte {
	t, k := tm.t, n.key
	padded := func(s string, width int) []byte {
		if n.fm {
			width = 0
		}
		return fmt.Appendf(dst, "%-*s", width, s)
	}
	switch k.field {
	case fMonth:
		return padded(applyCase(monthNames[t.Month()-1], k.cas), 9)
	case fMon:
		return append(dst, applyCase(monthAbbrevs[t.Month()-1], k.cas)...)
	case fDay:
		return padded(applyCase(dayNames[t.Weekday()], k.cas), 9)
	case fDy:
		return append(dst, applyCase(dayAbbrevs[t.Weekday()], k.cas)...)
	case fRM:
		return padded(applyCase(romanMonths[12-int(t.Month())], k.cas), 4)
	case fAM, fAMDots:
		return append(dst, applyCase(meridian(t.Hour() >= 12, k.field == fAMDots), k.cas)...)
	case fAD, fADDots:
		return append(dst, applyCase(era(t.Year() <= 0, k.field == fADDots), k.cas)...)
	case fTZ:
		if tm.zoned {
			return append(dst, applyCase("UTC", k.cas)...)
		}
		return dst
	case fTZH:
		return append(dst, "+00"...)
	case fOF:
		return appendPadded(append(dst, '+'), 0, 2, n.fm)
	case fFF:
		return fmt.Appendf(dst, "%0*d", k.ff, tm.us/int64(math.Pow10(6-k.ff)))
	}
	return dst // FX only matters on input
}

func meridian(pm, dots bool) string {
	switch {
	case pm && dots:
		return "P.M."
	case pm:
		return "PM"
	case dots:
		return "A.M."
	}
	return "AM"
}

func era(bc, dots bool) string {
	switch {
	case bc && dots:
		return "B.C."
	case bc:
		return "BC"
	case dots:
		return "A.D."
	}
	return "AD"
}
