package sql

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

func TestParseCopy(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string // %+v of the result, or "nil", or "err CODE"
	}{
		{"SELECT 1", "nil"},
		{"COPY t FROM STDIN; SELECT 1", "nil"},
		{"COPY ( SELECT id, customer FROM orders WHERE id < 4 ) TO STDOUT WITH CSV",
			`to q="SELECT id, customer FROM orders WHERE id < 4"@7 csv=true hdr=false d="," null="" q="\"" e="\""`},
		{"copy (select (1)) to stdout;",
			`to q="select (1)"@6 csv=false hdr=false d="\t" null="\\N" q="\x00" e="\x00"`},
		{"COPY orders ( id, customer ) FROM STDIN WITH CSV",
			`from orders [id customer] csv=true hdr=false d="," null="" q="\"" e="\""`},
		{"COPY public.bids FROM STDIN (FORMAT csv, HEADER, DELIMITER ';', NULL 'NA', QUOTE '''')",
			`from bids [] csv=true hdr=true d=";" null="NA" q="'" e="'"`},
		{"COPY bids FROM STDIN WITH DELIMITER AS '|' NULL AS ''", `from bids [] csv=false hdr=false d="|" null="" q="\x00" e="\x00"`},
		{"COPY bids FROM STDIN CSV HEADER QUOTE AS '\"' ESCAPE '\\'",
			`from bids [] csv=true hdr=true d="," null="" q="\"" e="\\"`},
		{"COPY v (a, b) TO STDOUT (FORMAT text, HEADER false)",
			`to q="SELECT a, b FROM v"@-1 csv=false hdr=false d="\t" null="\\N" q="\x00" e="\x00"`},
		{`COPY sluice.queries TO STDOUT`, `to q="SELECT * FROM sluice.queries"@-1 csv=false hdr=false d="\t" null="\\N" q="\x00" e="\x00"`},
		{"COPY t TO '/tmp/x'", "err 0A000"},
		{"COPY t FROM PROGRAM 'ls'", "err 0A000"},
		{"COPY t TO STDOUT (FORMAT binary)", "err 0A000"},
		{"COPY t TO STDOUT BINARY", "err 0A000"},
		{"COPY BINARY t TO STDOUT", "err 0A000"},
		{"COPY t TO STDOUT (FORCE_QUOTE *)", "err 0A000"},
		{"COPY t TO STDOUT (FORMAT xml)", "err 22023"},
		{"COPY t TO STDOUT (FORMAT csv, FORMAT text)", "err 42601"},
		{"COPY t TO STDOUT (bogus)", "err 42601"},
		{"COPY t TO STDOUT (DELIMITER 'ab')", "err 0A000"},
		{"COPY t TO STDOUT (QUOTE '\"')", "err 0A000"},
		{"COPY t TO STDOUT (DELIMITER '\\')", "err 22023"},
		{"COPY t TO STDOUT (FORMAT csv, DELIMITER '\"')", "err 22023"},
		{"COPY t TO STDOUT (DELIMITER ',', NULL 'a,b')", "err 22023"},
		{"COPY (SELECT 1) FROM STDIN", "err 42601"},
		{"COPY t TO STDIN", "err 42601"},
		{"COPY (SELECT 1 TO STDOUT", "err 42601"},
		{"COPY t", "err 42601"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			cp, err := ParseCopy(tc.in)
			got := "nil"
			switch {
			case err != nil:
				got = "err " + err.(*Error).Code
			case cp != nil:
				got = formatCopy(cp)
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func formatCopy(cp *Copy) string {
	f := cp.Format
	opts := fmt.Sprintf("csv=%v hdr=%v d=%q null=%q q=%q e=%q", f.CSV, f.Header, string(f.Delimiter), f.Null, string(f.Quote), string(f.Escape))
	if cp.From {
		return fmt.Sprintf("from %s %v %s", cp.Stream, cp.Columns, opts)
	}
	return fmt.Sprintf("to q=%q@%d %s", cp.Query, cp.QueryPos, opts)
}

func TestCopyValue(t *testing.T) {
	ts := &arrow.TimestampType{Unit: arrow.Microsecond}
	for _, tc := range []struct {
		in   string
		t    arrow.DataType
		want any
		code string
	}{
		{"42", arrow.PrimitiveTypes.Int64, int64(42), ""},
		{" 7 ", arrow.PrimitiveTypes.Int32, int64(7), ""},
		{"x", arrow.PrimitiveTypes.Int64, nil, CodeInvalidText},
		{"99999999999", arrow.PrimitiveTypes.Int32, nil, CodeNumericOutOfRange},
		{"a,b", arrow.BinaryTypes.String, "a,b", ""},
		{"t", arrow.FixedWidthTypes.Boolean, true, ""},
		{"1970-01-01 00:00:01", ts, int64(1_000_000), ""},
		{"yesterday-ish", ts, nil, CodeInvalidDatetime},
	} {
		v, err := CopyValue(tc.in, tc.t)
		switch {
		case tc.code != "":
			if err == nil || err.(*Error).Code != tc.code {
				t.Errorf("%q as %s: got %v, %v; want code %s", tc.in, tc.t, v, err, tc.code)
			}
		case err != nil || v != tc.want:
			t.Errorf("%q as %s: got %#v, %v; want %#v", tc.in, tc.t, v, err, tc.want)
		}
	}
}

func TestSingleStatement(t *testing.T) {
	for in, want := range map[string]bool{
		"FETCH 1 FROM c":                       true,
		"FETCH 1 FROM c;;  ":                   true,
		"DECLARE c CURSOR FOR SELECT 'a;b' ;":  true,
		"DECLARE c CURSOR FOR SELECT 1 -- x;y": true,
		"FETCH 1 FROM c; SELECT 1":             false,
		"BEGIN; DECLARE c CURSOR FOR SELECT 1": false,
		"SELECT 'unterminated":                 false,
	} {
		if got := SingleStatement(in); got != want {
			t.Errorf("%q: got %v", in, got)
		}
	}
}
