package exec

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// formatTime parses an RFC 3339 test value to µs since the epoch; the
// year may be negative or have more than four digits.
func formatTime(t *testing.T, s string) int64 {
	t.Helper()
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	i := strings.IndexByte(s, '-')
	year, err := strconv.Atoi(s[:i])
	if err != nil {
		t.Fatal(err)
	}
	if neg {
		year = -year
	}
	// A leap year stands in for the year, which RFC 3339 limits to 0–9999.
	tm, err := time.Parse(time.RFC3339Nano, "2000"+s[i:])
	if err != nil {
		t.Fatal(err)
	}
	return time.Date(year, tm.Month(), tm.Day(), tm.Hour(), tm.Minute(), tm.Second(), tm.Nanosecond(), time.UTC).UnixMicro()
}

// TestToTimestamp checks to_timestamp(text, text) against PostgreSQL 15:
// the examples of its documentation (§9.8) and results taken from it.
func TestToTimestamp(t *testing.T) {
	for _, c := range []struct{ in, format, want string }{
		// Superset's time filter.
		{"2026-11-01 00:00:00.000000", "YYYY-MM-DD HH24:MI:SS.US", "2026-11-01T00:00:00Z"},
		{"05 Dec 2000", "DD Mon YYYY", "2000-12-05T00:00:00Z"},
		{" 2000    JUN", "YYYY MON", "2000-06-01T00:00:00Z"},
		{"2000 - JUN", "YYYY-MON", "2000-06-01T00:00:00Z"},
		{"2000JUN", "YYYY///MON", "2000-06-01T00:00:00Z"},
		{"2000/JUN", "YYYY MON", "2000-06-01T00:00:00Z"},
		{"2000/JUN", "FXYYYY MON", "2000-06-01T00:00:00Z"},
		{"2000 -10", "YYYY TZH", "2000-01-01T10:00:00Z"},
		{"2000 -10", "YYYY  TZH", "1999-12-31T14:00:00Z"},
		{"20000-1130", "YYYY-MMDD", "20000-11-30T00:00:00Z"},
		{"20000Nov30", "YYYYMonDD", "20000-11-30T00:00:00Z"},
		{"12.3", "SS.MS", "0000-01-01T00:00:12.3Z"},
		{"12.003", "SS.MS", "0000-01-01T00:00:12.003Z"},
		{"15:12:02.020.001230", "HH24:MI:SS.MS.US", "0000-01-01T15:12:02.02123Z"},
		{"95-01-01", "YY-MM-DD", "1995-01-01T00:00:00Z"},
		{"5-01-01", "Y-MM-DD", "2005-01-01T00:00:00Z"},
		{"520-01-01", "YYY-MM-DD", "1520-01-01T00:00:00Z"},
		{"-44-03-15", "YYYY-MM-DD", "-0043-03-15T00:00:00Z"},
		{"44 BC 03 15", "YYYY BC MM DD", "-0043-03-15T00:00:00Z"},
		{"2024-366", "YYYY-DDD", "2024-12-31T00:00:00Z"},
		{"21 05", "CC YY", "2005-01-01T00:00:00Z"},
		{"21", "CC", "2001-01-01T00:00:00Z"},
		{"2451545", "J", "2000-01-01T00:00:00Z"},
		{"2024 10", "YYYY WW", "2024-03-04T00:00:00Z"},
		{"1,999", "Y,YYY", "1999-01-01T00:00:00Z"},
		{"Nov 1 2026 12:30:00 am", "Mon DD YYYY HH:MI:SS pm", "2026-11-01T00:30:00Z"},
		{"Nov 1 2026 12:30:00 P.M.", "Mon DD YYYY HH12:MI:SS A.M.", "2026-11-01T12:30:00Z"},
		{"Sunday, November 1st 2026 7 pm", "FMDay, FMMonth DDth YYYY HH AM", "2026-11-01T19:00:00Z"},
		{"XI.2026", "RM.YYYY", "2026-11-01T00:00:00Z"},
		{"2026-11-01T10:00:00+05:30", `YYYY-MM-DD"T"HH24:MI:SSTZH:TZM`, "2026-11-01T04:30:00Z"},
		{"2026-11-01 10:00 -02", "YYYY-MM-DD HH24:MI TZH", "2026-11-01T12:00:00Z"},
		{"2026-1-2", "YYYY-MM-DD", "2026-01-02T00:00:00Z"},
		{"20261102", "YYYYMMDD", "2026-11-02T00:00:00Z"},
		{"2026-11", "YYYY-MM-DD HH24", "2026-11-01T00:00:00Z"},
		{"2026-11-01 junk", "YYYY-MM-DD", "2026-11-01T00:00:00Z"},
		{"2026-00-00", "YYYY-MM-DD", "2026-01-01T00:00:00Z"}, // zero is "not given"
		{"12:34:56.789", "HH24:MI:SS.FF2", "0000-01-01T12:34:56.79Z"},
		{"2026 45296", "YYYY SSSS", "2026-01-01T12:34:56Z"},
		{"", "", "0000-01-01T00:00:00Z"},
	} {
		want := formatTime(t, c.want)
		got, err := parseFormatted(c.in, parseTemplate(c.format))
		switch {
		case err != nil:
			t.Errorf("to_timestamp(%q, %q): %v", c.in, c.format, err)
		case got != want:
			t.Errorf("to_timestamp(%q, %q) = %s, want %s", c.in, c.format,
				time.UnixMicro(got).UTC().Format(time.RFC3339Nano), c.want)
		}
	}
}

// TestToTimestampErrors checks the error class and PostgreSQL's wording.
func TestToTimestampErrors(t *testing.T) {
	for _, c := range []struct {
		in, format string
		class      error
		msg        string
	}{
		{"2000//JUN", "YYYY/MON", ErrInvalidDatetime, `invalid value "/JUN" for "MON"`},
		{"2000/JUN", "FXYYYY  MON", ErrInvalidDatetime, `invalid value "UN" for "MON"`},
		{"20x4-01-01", "YYYY-MM-DD", ErrInvalidDatetime, `invalid value "x4" for "MM"`},
		{"200001130", "YYYYMMDD", ErrDatetimeOverflow, `date/time field value out of range: "200001130"`},
		{"abcd-01-01", "YYYY-MM-DD", ErrInvalidDatetime, `invalid value "abcd" for "YYYY"`},
		{"2024011", "YYYYMMDDHH24", ErrInvalidDatetime, `source string too short for "DD" formatting field`},
		{"20241x01", "YYYYMMDD", ErrInvalidDatetime, `invalid value "1x" for "MM"`},
		{"2024-13-01", "YYYY-MM-DD", ErrDatetimeOverflow, `date/time field value out of range: "2024-13-01"`},
		{"2023-02-29", "YYYY-MM-DD", ErrDatetimeOverflow, `date/time field value out of range: "2023-02-29"`},
		{"24:00", "HH24:MI", ErrDatetimeOverflow, `date/time field value out of range: "24:00"`},
		{"13:00 PM", "HH:MI AM", ErrInvalidDatetime, `hour "13" is invalid for the 12-hour clock`},
		{"Foo 2024", "Mon YYYY", ErrInvalidDatetime, `invalid value "Foo" for "Mon"`},
		{"2024-01-01 02", "YYYY-MM-DD MM", ErrInvalidDatetime, `conflicting values for "MM" field in formatting string`},
		{"99999999999", "YYYY", ErrDatetimeOverflow, `value for "YYYY" in source string is out of range`},
		{"300", "DDD", ErrInvalidDatetime, "cannot calculate day of year without year information"},
		{"2024 UTC", "YYYY TZ", ErrNotSupported, `formatting field "TZ" is only supported in to_char`},
		{"2024 01", "IYYY IW", ErrNotSupported, `not supported: ISO week date field "IYYY" in to_timestamp`},
		{"300000-01-01", "YYYY-MM-DD", ErrDatetimeOverflow, "timestamp out of range"},
		{"+16", "TZH", ErrDatetimeOverflow, `time zone displacement out of range: "+16"`},
	} {
		_, err := parseFormatted(c.in, parseTemplate(c.format))
		var de *DetailedError
		if !errors.Is(err, c.class) || !errors.As(err, &de) || de.Msg != c.msg {
			t.Errorf("to_timestamp(%q, %q): err %v, want %v %q", c.in, c.format, err, c.class, c.msg)
		}
	}
}

// TestToChar checks to_char against PostgreSQL 15's results (its
// documentation's examples among them).
func TestToChar(t *testing.T) {
	for _, c := range []struct {
		ts     string
		zoned  bool
		format string
		want   string
	}{
		{"2002-04-20T17:31:12.66Z", false, "HH12:MI:SS", "05:31:12"},
		{"2002-04-20T17:31:12.66Z", false, "Day, DD  HH12:MI:SS", "Saturday , 20  05:31:12"},
		{"2002-04-20T17:31:12.66Z", false, "FMDay, FMDD  HH12:MI:SS", "Saturday, 20  05:31:12"},
		{"2002-04-20T17:31:12.66Z", false, "MS US FF1 FF6", "660 660000 6 660000"},
		{"2002-04-20T17:31:12.66Z", false, "YYYY-MM-DD\"T\"HH24:MI:SS", "2002-04-20T17:31:12"},
		{"2002-04-20T17:31:12.66Z", false, `"Quarter" Q, "week" WW, "day" DDD`, "Quarter 2, week 16, day 110"},
		{"2002-04-20T17:31:12.66Z", false, "MONTH|Month|month|MON|Mon|mon", "APRIL    |April    |april    |APR|Apr|apr"},
		{"2002-04-20T17:31:12.66Z", false, "DAY|Day|day|DY|Dy|dy|D", "SATURDAY |Saturday |saturday |SAT|Sat|sat|7"},
		{"2002-04-20T17:31:12.66Z", false, "AM am A.M. p.m. PM", "PM pm P.M. p.m. PM"},
		{"2002-04-01T00:05:00Z", false, "HH HH12 HH24 FMHH12 am", "12 12 00 12 am"},
		{"2002-04-01T00:05:00Z", false, "DDth DDTH FMDDth Mth", "01st 01ST 1st Mth"},
		{"2002-04-12T00:00:00Z", false, "DDth|FMDDth|YYYYth", "12th|12th|2002nd"},
		{"2002-04-20T17:31:12.66Z", false, "TZ|tz|OF|TZH:TZM", "||+00|+00:00"},
		{"2002-04-20T17:31:12.66Z", true, "TZ|tz|OF|FMOF|TZH:TZM", "UTC|utc|+00|+0|+00:00"},
		{"2016-01-01T00:00:00Z", false, "IYYY-IW-ID IDDD", "2015-53-5 369"},
		{"2002-04-20T17:31:12.66Z", false, "CC J SSSS RM rm", "21 2452385 63072 IV   iv  "},
		{"2002-04-20T17:31:12.66Z", false, "YYYY YYY YY Y Y,YYY FMYYYY", "2002 002 02 2 2,002 2002"},
		{"0005-04-20T00:00:00Z", false, "YYYY FMYYYY FMYY", "0005 5 5"},
		{"-0043-03-15T00:00:00Z", false, "YYYY-MM-DD BC B.C. CC", "0044-03-15 BC B.C. -01"},
		{"2002-04-20T17:31:12.66Z", false, `"FX\"lit" FXFMHH24\`, `FX"lit 17\`},
		{"2002-04-20T17:31:12.66Z", false, "W", "3"},
	} {
		got := string(appendToChar(nil, parseTemplate(c.format), formatTime(t, c.ts), c.zoned))
		if got != c.want {
			t.Errorf("to_char(%s, %q) = %q, want %q", c.ts, c.format, got, c.want)
		}
	}
}

// TestFormatEval runs both functions over columns (a NULL row whose
// garbage must not matter, a template column), folds constants, and
// releases everything.
func TestFormatEval(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	text := arrow.BinaryTypes.String
	tstz := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	sb := array.NewStringBuilder(mem)
	sb.AppendValues([]string{"2026-11-01 10:00", "garbage", "01/11/2026"}, []bool{true, false, true})
	in := sb.NewArray()
	sb.AppendValues([]string{"YYYY-MM-DD HH24:MI", "YYYY", "DD/MM/YYYY"}, nil)
	formats := sb.NewArray()
	sb.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: text, Nullable: true}, {Name: "f", Type: text}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{in, formats}, 3)
	in.Release()
	formats.Release()
	defer rec.Release()

	parsed, err := Call("to_timestamp", tstz, Col(0, text), Col(1, text))
	if err != nil {
		t.Fatal(err)
	}
	e, err := Call("to_char", text, parsed, Lit("FMMonth DD, YYYY HH24:MI TZ", text))
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.Eval(context.Background(), mem, rec)
	if err != nil {
		t.Fatal(err)
	}
	got := out.(*array.String)
	if got.Value(0) != "November 01, 2026 10:00 UTC" || !got.IsNull(1) || got.Value(2) != "November 01, 2026 00:00 UTC" {
		t.Errorf("%s = %v", e, got)
	}
	out.Release()

	bad, err := Call("to_timestamp", tstz, Col(0, text), Lit("YYYY-MM-DD HH24:MI", text))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bad.Eval(context.Background(), mem, rec); !errors.Is(err, ErrDatetimeOverflow) {
		t.Errorf("%s: err %v, want out of range (the day reads 2026)", bad, err)
	}
	testFormatFolding(t)
}

// testFormatFolding checks that constant calls become literals, and that
// a constant call that fails is left to fail when evaluated.
func testFormatFolding(t *testing.T) {
	text := arrow.BinaryTypes.String
	tstz := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	e, err := Call("to_timestamp", tstz, Lit("2026-11-01", text), Lit("YYYY-MM-DD", text))
	if l, ok := e.(*litExpr); err != nil || !ok || l.v != formatTime(t, "2026-11-01T00:00:00Z") {
		t.Errorf("folded to_timestamp = %v, %v", e, err)
	}
	e, err = Call("to_char", text, Lit(nil, tstz), Lit("YYYY", text))
	if l, ok := e.(*litExpr); err != nil || !ok || l.v != nil {
		t.Errorf("folded to_char(NULL) = %v, %v", e, err)
	}
	e, err = Call("to_char", text, Lit(int64(0), tstz), Lit("", text))
	if l, ok := e.(*litExpr); err != nil || !ok || l.v != nil {
		t.Errorf("to_char with an empty template = %v, %v, want NULL", e, err)
	}
	e, err = Call("to_timestamp", tstz, Lit("x", text), Lit("YYYY", text))
	if _, ok := e.(*callExpr); err != nil || !ok {
		t.Errorf("failing constant to_timestamp = %v, %v, want a call", e, err)
	}
}
