package sql

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

func TestParse(t *testing.T) {
	p := NewParser()
	datadriven.RunTest(t, "testdata/parse", func(t *testing.T, d *datadriven.TestData) string {
		switch d.Cmd {
		case "parse":
			stmts, err := p.Parse(d.Input)
			if err != nil {
				return formatError(err)
			}
			var b strings.Builder
			for _, s := range stmts {
				b.WriteString(formatStmt(s))
				b.WriteByte('\n')
			}
			return b.String()
		case "types":
			return formatTypes(t, d.Input)
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

// formatTypes runs TypeFromName on each input line ("name [arg…]") and
// prints the Arrow type, the canonical name, PGTypeName of the result and
// the sql_type metadata ColumnField records.
func formatTypes(t *testing.T, input string) string {
	var b strings.Builder
	for _, line := range strings.Split(input, "\n") {
		name, argText, _ := strings.Cut(line, ":")
		var args []int
		for _, f := range strings.Fields(argText) {
			n, ok := smallInt(f)
			if !ok {
				t.Fatalf("bad arg %q", f)
			}
			args = append(args, n)
		}
		typ, canon, err := TypeFromName(name, args...)
		if err != nil {
			fmt.Fprintf(&b, "%s: %s", line, formatError(err))
			continue
		}
		f := ColumnField(ColumnDef{Name: "c", Type: typ, TypeName: canon})
		md, _ := f.Metadata.GetValue(SQLTypeKey)
		fmt.Fprintf(&b, "%s: %s %q pg=%q sql_type=%q\n", line, typ, canon, PGTypeName(typ), md)
	}
	return b.String()
}

// formatError renders an error as the goldens print it.
func formatError(err error) string {
	var e *Error
	if !errors.As(err, &e) {
		return "non-sql error: " + err.Error() + "\n"
	}
	s := "error (" + e.Code + ")"
	if e.Pos != 0 {
		s += fmt.Sprintf(" at %d", e.Pos)
	}
	return s + ": " + e.Message + "\n"
}

// formatStmt prints a statement in a normalised one-line form.
func formatStmt(s Statement) string {
	switch s := s.(type) {
	case *Select:
		return "select: " + formatSelect(s)
	case *CreateStream:
		var cols []string
		for _, c := range s.Columns {
			cols = append(cols, c.Name+" "+c.TypeName+"/"+c.Type.String())
		}
		out := fmt.Sprintf("create stream %s ifnotexists=%t cols=[%s]", s.Name, s.IfNotExists, strings.Join(cols, ", "))
		if s.Watermark != nil {
			out += fmt.Sprintf(" watermark=%s-%s", s.Watermark.Column, s.Watermark.Delay)
		}
		keys := make([]string, 0, len(s.With))
		for k := range s.With {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var with []string
		for _, k := range keys {
			with = append(with, k+"="+s.With[k])
		}
		out += " with=[" + strings.Join(with, " ") + "]"
		if s.As != nil {
			out += " as: " + formatSelect(s.As)
		}
		return out
	case *DropStream:
		return fmt.Sprintf("drop stream %s ifexists=%t", s.Name, s.IfExists)
	case *CreateView:
		return fmt.Sprintf("create materialized view %s ifnotexists=%t as: %s", s.Name, s.IfNotExists, formatSelect(s.As))
	case *DropView:
		return fmt.Sprintf("drop materialized view %s ifexists=%t", s.Name, s.IfExists)
	case *Show:
		return fmt.Sprintf("show kind=%d name=%q", s.Kind, s.Name)
	case *Describe:
		return "describe " + s.Name
	case *Set:
		out := fmt.Sprintf("set %s=%q local=%t", s.Name, s.Value, s.Local)
		if s.Reset {
			out += " reset"
		}
		return out
	case *Txn:
		return fmt.Sprintf("txn kind=%d", s.Kind)
	case *Savepoint:
		return fmt.Sprintf("savepoint kind=%d name=%q", s.Kind, s.Name)
	case *Deallocate:
		return fmt.Sprintf("deallocate name=%q all=%t", s.Name, s.All)
	case *Discard:
		return "discard " + s.What
	case *Explain:
		return "explain: " + formatSelect(s.Query)
	case *Insert:
		var rows []string
		for _, r := range s.Rows {
			rows = append(rows, "("+joinExprs(r)+")")
		}
		return fmt.Sprintf("insert into %s cols=%v values %s", s.Stream, s.Columns, strings.Join(rows, ", "))
	case *Empty:
		return "empty"
	}
	return fmt.Sprintf("unknown %T", s)
}

func formatSelect(s *Select) string {
	out := s.sel.restore()
	if s.sel.emit != EmitDefault {
		out += fmt.Sprintf(" [emit=%d]", s.sel.emit)
	}
	for i, c := range s.sel.casts {
		out += fmt.Sprintf(" [cast%d=%s]", i, c.Name)
	}
	if len(s.sel.nullsFirst) > 0 {
		out += fmt.Sprintf(" [nulls=%v]", s.sel.nullsFirst)
	}
	return out + " | text: " + s.SQL
}
