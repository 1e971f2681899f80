package server

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicedb/sluice/sql"
)

var (
	textFormat = sql.CopyFormat{Delimiter: '\t', Null: `\N`}
	csvFormat  = sql.CopyFormat{CSV: true, Delimiter: ',', Quote: '"', Escape: '"'}
)

// vals turns "NULL" into nil and everything else into bytes.
func vals(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		if s != "NULL" {
			out[i] = []byte(s)
		}
	}
	return out
}

func TestCopyEncode(t *testing.T) {
	pipe := sql.CopyFormat{Delimiter: '|', Null: ""}
	semi := sql.CopyFormat{CSV: true, Delimiter: ';', Quote: '\'', Escape: '\\', Null: "NA"}
	for _, tc := range []struct {
		f    sql.CopyFormat
		in   [][]byte
		want string
	}{
		{textFormat, vals("a", "NULL", ""), "a\t\\N\t\n"},
		{textFormat, vals("tab\there", "nl\nx", "cr\rx", `back\slash`, "\b\f\v"), `tab\there` + "\t" + `nl\nx` + "\t" + `cr\rx` + "\t" + `back\\slash` + "\t" + `\b\f\v` + "\n"},
		{textFormat, vals(`\N`, "é,\x01"), `\\N` + "\t" + "é,\x01\n"},
		{pipe, vals("a|b", "NULL", "\t"), "a\\|b||\\t\n"},
		{csvFormat, vals("plain", "NULL", "", "a,b", `say "hi"`, "two\nlines", "cr\r"), "plain,,\"\",\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"cr\r\"\n"},
		{csvFormat, vals(`\.`), "\"\\.\"\n"},
		{csvFormat, vals(`\.`, "x"), "\\.,x\n"},
		{csvFormat, vals(" lead", `back\slash`), " lead,back\\slash\n"},
		{semi, vals("NA", "NULL", "it's", "a;b", `c\d`), `'NA';NA;'it\'s';'a;b';c\d` + "\n"},
	} {
		if got := string(appendCopyLine(nil, tc.in, &tc.f)); got != tc.want {
			t.Errorf("%+v %q:\ngot  %q\nwant %q", tc.f, tc.in, got, tc.want)
		}
	}
}

// parseAll feeds input in chunks of size n and returns each record as
// fields joined by "|" with NULL spelt <null>.
func parseAll(f sql.CopyFormat, input string, n int) ([]string, error) {
	p := newCopyParser(f, 1<<10)
	var out []string
	drain := func(final bool) error {
		for {
			rec, ok, err := p.next(final)
			if errors.Is(err, errNeedMore) {
				return nil
			}
			if err != nil || !ok {
				return err
			}
			parts := make([]string, len(rec))
			for i, fd := range rec {
				parts[i] = fd.s
				if fd.null {
					parts[i] = "<null>"
				}
			}
			out = append(out, strings.Join(parts, "|"))
		}
	}
	for i := 0; i < len(input); i += n {
		p.feed([]byte(input[i:min(i+n, len(input))]))
		if err := drain(false); err != nil {
			return out, err
		}
	}
	return out, drain(true)
}

func TestCopyParse(t *testing.T) {
	esc := csvFormat
	esc.Escape = '\\'
	for _, tc := range []struct {
		f     sql.CopyFormat
		in    string
		want  []string
		error string
	}{
		{textFormat, "1\ta\n2\t\\N\n", []string{"1|a", "2|<null>"}, ""},
		{textFormat, "x\\ty\\\\N\t\\\\N\n", []string{"x\ty\\N|\\N"}, ""},
		{textFormat, "\\101\\x41\\x4\\q\\b\\n\\r\n", []string{"AA\x04q\b\n\r"}, ""},
		{textFormat, "a\\\tb\tc\r\n", []string{"a\tb|c"}, ""},
		{textFormat, "no newline at end", []string{"no newline at end"}, ""},
		{textFormat, "\n", []string{""}, ""},
		{textFormat, "a\n\\.\nignored\n", []string{"a"}, ""},
		{textFormat, "a\n\\.", []string{"a"}, ""},
		{textFormat, "\\xff\n", nil, "22021"},
		{csvFormat, "1,a\r\n2,\n3,\"\"\n", []string{"1|a", "2|<null>", "3|"}, ""},
		{csvFormat, "\"multi\nline, \"\"quoted\"\"\",x\n", []string{"multi\nline, \"quoted\"|x"}, ""},
		{csvFormat, "a\"b,c\"d\n", []string{"ab,cd"}, ""},
		{csvFormat, "\\.\nnot read\n", nil, ""},
		{csvFormat, "\"\\.\"\n", []string{`\.`}, ""},
		{csvFormat, "last,line", []string{"last|line"}, ""},
		{csvFormat, "\"open\nnever closed", nil, "22P04"},
		{csvFormat, "a\rb\r", []string{"a", "b"}, ""},
		{esc, "\"a\\\"b\\\\c\"\"\",d\n", []string{"a\"b\\c|d"}, ""},
		{textFormat, strings.Repeat("x", 2000), nil, "54000"},
	} {
		for _, n := range []int{1, 3, 1 << 20} {
			got, err := parseAll(tc.f, tc.in, n)
			code := ""
			if se, ok := errors.AsType[*sql.Error](err); ok {
				code = se.Code
			} else if err != nil {
				code = err.Error()
			}
			if code != tc.error || tc.error == "" && !reflect.DeepEqual(got, tc.want) {
				t.Errorf("csv=%v %q in chunks of %d: got %q, %v; want %q, %s", tc.f.CSV, tc.in, n, got, err, tc.want, tc.error)
			}
		}
	}
}

// TestCopyRoundTrip checks that what COPY TO writes, COPY FROM reads back,
// for awkward values in both formats.
func TestCopyRoundTrip(t *testing.T) {
	values := []string{"", " ", "NULL", `\N`, `\.`, "\\", `"`, `""`, ",", "\t", "\n", "\r\n", "a,b\tc\"d\\e\nf",
		"é 漢字", "\x01\x7f", "trailing\\", "NA"}
	semi := sql.CopyFormat{CSV: true, Delimiter: ';', Quote: '\'', Escape: '\\', Null: "NA"}
	for _, f := range []sql.CopyFormat{textFormat, csvFormat, semi, {Delimiter: ',', Null: "null"}} {
		var input strings.Builder
		var want []string
		for _, v := range values {
			for _, row := range [][]string{{v}, {v, "NULL"}, {"NULL", v, v}} {
				input.Write(appendCopyLine(nil, vals(row...), &f))
				want = append(want, strings.ReplaceAll(strings.Join(row, "|"), "NULL", "<null>"))
			}
		}
		for _, n := range []int{1, 7, 1 << 20} {
			got, err := parseAll(f, input.String(), n)
			if err != nil {
				t.Fatalf("%+v: %v", f, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%+v chunks of %d:\n%s", f, n, diffLines(got, want))
			}
		}
	}
}

func diffLines(got, want []string) string {
	var b strings.Builder
	for i := range max(len(got), len(want)) {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			fmt.Fprintf(&b, "%d: got %q want %q\n", i, g, w)
		}
	}
	return b.String()
}
