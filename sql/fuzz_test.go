package sql

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that every error it returns
// is an *Error whose position, when set, lies within the query (PostgreSQL
// allows one past the end for "at end of input").
func FuzzParse(f *testing.F) {
	for _, file := range []string{"testdata/parse", "testdata/bind", "testdata/insert"} {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, seed := range goldenInputs(string(data)) {
			f.Add(seed)
		}
	}
	p := NewParser()
	f.Fuzz(func(t *testing.T, q string) {
		stmts, err := p.Parse(q)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("non-*Error from Parse(%q): %v", q, err)
			}
			if e.Pos != 0 && (e.Pos < 1 || e.Pos > len([]rune(q))+1) {
				t.Fatalf("Parse(%q): position %d out of range", q, e.Pos)
			}
			return
		}
		if len(stmts) == 0 {
			t.Fatalf("Parse(%q) returned no statements", q)
		}
		// Each statement's text parses on its own to the same statement, and
		// a SELECT binds or fails with an *Error.
		cat := newTestCatalog(t)
		for _, s := range stmts {
			again, err := p.Parse(s.Text())
			if err != nil || len(again) != 1 || formatStmt(again[0]) != formatStmt(s) {
				t.Fatalf("reparse of %q from %q: %v %d", s.Text(), q, err, len(again))
			}
			if sel, ok := s.(*Select); ok {
				if _, err := Bind(cat, sel, nil); err != nil {
					var e *Error
					if !errors.As(err, &e) {
						t.Fatalf("non-*Error from Bind(%q): %v", q, err)
					}
				}
			}
		}
	})
}

// goldenInputs extracts the input SQL of each datadriven case.
func goldenInputs(data string) []string {
	var out []string
	for _, block := range strings.Split(data, "\n\n") {
		lines := strings.Split(strings.TrimSpace(block), "\n")
		if len(lines) < 2 {
			continue
		}
		var in []string
		for _, l := range lines[1:] {
			if l == "----" {
				break
			}
			in = append(in, l)
		}
		out = append(out, strings.Join(in, "\n"))
	}
	return out
}
