package planner

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/cockroachdb/datadriven"

	"github.com/sluicedb/sluice/sql"
)

// TestCatalogQueries runs the statements clients send to read the
// catalogs (testdata/pgcat: psql's from captured.sql, with the probe's
// table names replaced by a stream "bids" and a view "counts") and prints
// their results. {oid:rel} in the input is replaced by the OID of relation rel.
func TestCatalogQueries(t *testing.T) {
	p, ctx := testPlanner(t)
	mustExec(t, ctx, p, viewSQL)
	oidRef := regexp.MustCompile(`\{oid:(\w+)\}`)
	datadriven.RunTest(t, "testdata/pgcat", func(t *testing.T, d *datadriven.TestData) string {
		input := oidRef.ReplaceAllStringFunc(d.Input, func(m string) string {
			r := newPGSnapshot(p.eng).lookupRel(m[len("{oid:") : len(m)-1])
			if r == nil {
				t.Fatalf("no relation %s", m)
			}
			return strconv.FormatInt(r.oid, 10)
		})
		switch d.Cmd {
		case "query":
			return catalogQuery(t, p, input)
		}
		t.Fatalf("unknown command %s", d.Cmd)
		return ""
	})
}

func catalogQuery(t *testing.T, p *Planner, text string) string {
	stmts, err := sql.NewParser().Parse(text)
	if err != nil {
		return formatErr(err)
	}
	if _, ok := stmts[0].(*sql.CatalogSelect); !ok {
		t.Fatalf("%s: parsed as %T, not a catalog query", text, stmts[0])
	}
	prep, err := p.Prepare(stmts[0], nil)
	if err != nil {
		return formatErr(err)
	}
	res, err := p.Execute(t.Context(), prep, nil)
	if err != nil {
		return formatErr(err)
	}
	defer releaseAll(res.Rows)
	var b strings.Builder
	for i, f := range res.Schema.Fields() {
		if i > 0 {
			b.WriteString(" | ")
		}
		fmt.Fprintf(&b, "%s:%s", f.Name, sql.PGTypeName(f.Type))
	}
	b.WriteByte('\n')
	for _, batch := range res.Rows {
		for r := 0; r < int(batch.NumRows()); r++ {
			for c := 0; c < int(batch.NumCols()); c++ {
				if c > 0 {
					b.WriteString(" | ")
				}
				b.WriteString(cellText(batch.Column(c), r))
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func cellText(col arrow.Array, r int) string {
	if col.IsNull(r) {
		return "NULL"
	}
	return col.ValueStr(r)
}

func formatErr(err error) string {
	if se, ok := err.(*sql.Error); ok {
		return fmt.Sprintf("error (%s): %s\n", se.Code, se.Message)
	}
	return fmt.Sprintf("error: %v\n", err)
}
