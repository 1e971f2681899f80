package sql

import "testing"

// TestParseCalendarInterval checks interval text against PostgreSQL's
// reading of it, with days folded into µs.
func TestParseCalendarInterval(t *testing.T) {
	const day, hour = int64(86400e6), int64(3600e6)
	cases := []struct {
		text, unit string
		want       Interval
	}{
		{"10 seconds", "", Interval{Micros: 10e6}},
		{"-12 month", "", Interval{Months: -12}},
		{"1 year 2 months 3 days 04:00:00", "", Interval{Months: 14, Micros: 3*day + 4*hour}},
		{"1 year -2 mons", "", Interval{Months: 10}},
		{"1", "month", Interval{Months: 1}},
		{"2", "year", Interval{Months: 24}},
		{"1.5 months", "", Interval{Months: 1, Micros: 15 * day}},
		{"-1.5 months", "", Interval{Months: -1, Micros: -15 * day}},
		{"1.5 years", "", Interval{Months: 18}},
		{"1.04 years", "", Interval{Months: 12}}, // 0.48 month rounds to none
		{"1 decade 1 century", "", Interval{Months: 1320}},
		{"2 months 1 hour ago", "", Interval{Months: -2, Micros: -hour}},
		{"@ 1 mon", "", Interval{Months: 1}},
		{"1y", "", Interval{Months: 12}},
	}
	for _, c := range cases {
		got, ok := parseCalendarInterval(c.text, c.unit)
		if !ok || got != c.want {
			t.Errorf("parseCalendarInterval(%q, %q) = %+v, %v; want %+v", c.text, c.unit, got, ok, c.want)
		}
		if back, ok := parseCalendarInterval(got.String(), ""); !ok || back != got {
			t.Errorf("%+v: String %q reads back as %+v, %v", got, got.String(), back, ok)
		}
	}
	for _, bad := range []string{"1 fortnight", "ago", "1 month", "3000000000 years"} {
		unit := ""
		if bad == "1 month" {
			unit = "second" // an explicit unit with a trailing one
		}
		if got, ok := parseCalendarInterval(bad, unit); ok {
			t.Errorf("parseCalendarInterval(%q, %q) = %+v, want an error", bad, unit, got)
		}
	}
	if _, ok := parseInterval("1 month", ""); ok {
		t.Error(`parseInterval("1 month") accepted a month part`)
	}
}
