package sql

import (
	"fmt"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/datadriven"
)

// testCatalog is a map-backed Catalog.
type testCatalog map[string]*Relation

func (c testCatalog) Relation(name string) (*Relation, bool) {
	r, ok := c[name]
	return r, ok
}

// mustColumns builds a schema from "name TYPE" pairs through the same path
// CREATE STREAM takes.
func mustSchema(t testing.TB, defs ...string) *arrow.Schema {
	var fields []arrow.Field
	for _, d := range defs {
		name, typ, _ := strings.Cut(d, " ")
		at, canon, err := TypeFromName(typ)
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, ColumnField(ColumnDef{Name: name, Type: at, TypeName: canon}))
	}
	return arrow.NewSchema(fields, nil)
}

func newTestCatalog(t testing.TB) testCatalog {
	return testCatalog{
		"bids": {Name: "bids", IsStream: true, Schema: mustSchema(t,
			"auction bigint", "bidder bigint", "price bigint", "channel varchar", "url varchar",
			"date_time timestamp", "extra varchar")},
		"words": {Name: "words", IsStream: true, Schema: mustSchema(t,
			"word text", "n integer", "small smallint", "score real", "ratio double", "amount numeric",
			"flag boolean", "ts timestamptz", "day date", "payload bytea", "Mixed text")},
		"sluice.queries": {Name: "sluice.queries", Schema: mustSchema(t, "id bigint", "sql text")},
		"auction_counts": {Name: "auction_counts", Schema: mustSchema(t,
			"window_start timestamp", "window_end timestamp", "auction bigint", "bids bigint")},
	}
}

func TestBind(t *testing.T) {
	cat := newTestCatalog(t)
	p := NewParser()
	for _, file := range []string{"testdata/bind", "testdata/insert"} {
		t.Run(file, func(t *testing.T) { runBindFile(t, file, cat, p) })
	}
}

func runBindFile(t *testing.T, file string, cat Catalog, p *Parser) {
	datadriven.RunTest(t, file, func(t *testing.T, d *datadriven.TestData) string {
		stmts, err := p.Parse(d.Input)
		if err != nil {
			return formatError(err)
		}
		switch d.Cmd {
		case "bind":
			var params []arrow.DataType
			for _, a := range d.CmdArgs {
				if a.Key == "params" {
					for _, v := range a.Vals {
						pt, _, err := TypeFromName(v)
						if err != nil {
							t.Fatal(err)
						}
						params = append(params, pt)
					}
				}
			}
			sel, ok := stmts[0].(*Select)
			if !ok {
				t.Fatalf("not a SELECT: %T", stmts[0])
			}
			q, err := Bind(cat, sel, params)
			if err != nil {
				return formatError(err)
			}
			return formatQuery(q)
		case "insert":
			ins, ok := stmts[0].(*Insert)
			if !ok {
				t.Fatalf("not an INSERT: %T", stmts[0])
			}
			rel, rows, err := BindInsert(cat, ins)
			if err != nil {
				return formatError(err)
			}
			var b strings.Builder
			fmt.Fprintf(&b, "into %s\n", rel.Name)
			for _, r := range rows {
				parts := make([]string, len(r))
				for i, l := range r {
					parts[i] = fmt.Sprintf("%s:%s", l, PGTypeName(l.T))
				}
				b.WriteString(strings.Join(parts, ", ") + "\n")
			}
			return b.String()
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

// formatQuery prints every part of a bound query.
func formatQuery(q *Query) string {
	var b strings.Builder
	if q.From != nil {
		fmt.Fprintf(&b, "from: %s stream=%t\n", q.From.Name, q.From.IsStream)
	}
	var in []string
	for i, c := range q.Input {
		in = append(in, fmt.Sprintf("%d:%s %s", i, c.Name, PGTypeName(c.Type)))
	}
	if len(in) > 0 {
		fmt.Fprintf(&b, "input: %s\n", strings.Join(in, ", "))
	}
	if q.Where != nil {
		fmt.Fprintf(&b, "where: %s\n", q.Where)
	}
	if w := q.Window; w != nil {
		fmt.Fprintf(&b, "window: kind=%d time=%d size=%s slide=%s gap=%s\n", w.Kind, w.TimeCol, w.Size, w.Slide, w.Gap)
	}
	for i, g := range q.GroupBy {
		fmt.Fprintf(&b, "group#%d: %s %s\n", i, g, PGTypeName(g.Type()))
	}
	for i, a := range q.Aggregates {
		arg := "*"
		if a.Arg != nil {
			arg = a.Arg.String()
		}
		fmt.Fprintf(&b, "agg#%d: %s(distinct=%t %s) %s\n", i, a.Func, a.Distinct, arg, PGTypeName(a.Type))
	}
	for _, o := range q.Output {
		fmt.Fprintf(&b, "output: %s = %s %s\n", o.Name, o.Expr, PGTypeName(o.Expr.Type()))
	}
	if q.Having != nil {
		fmt.Fprintf(&b, "having: %s\n", q.Having)
	}
	for _, o := range q.OrderBy {
		fmt.Fprintf(&b, "order: %s desc=%t nullsfirst=%t\n", o.Expr, o.Desc, o.NullsFirst)
	}
	if q.Limit >= 0 {
		fmt.Fprintf(&b, "limit: %d\n", q.Limit)
	}
	if q.LimitParam != nil {
		fmt.Fprintf(&b, "limit: %s %s\n", q.LimitParam, PGTypeName(q.LimitParam.T))
	}
	fmt.Fprintf(&b, "emit: %d aggregating=%t params=%d\n", q.Emit, q.Aggregating(), q.NumParams)
	return b.String()
}
