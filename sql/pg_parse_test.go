package sql

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// capturedPath is the client capture shared by the project's helpers; the
// test skips when it is absent.
const capturedPath = "../../shared/pgclients/captured.sql"

// TestCatalogRewrite checks the catalog rewrites on the constructs psql
// sends, by the TiDB text they produce.
func TestCatalogRewrite(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`SELECT relname FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.~) '^(bids)$' COLLATE pg_catalog.default`,
			"select `relname` from `pg_catalog` . `pg_class` `c` where `c` . `relname` regexp '^(bids)$'"},
		{`SELECT 1 FROM pg_namespace n WHERE n.nspname !~ '^pg_' AND n.nspname ~* 'x' AND n.nspname !~* 'y'`,
			"select 1 from `pg_namespace` `n` where `n` . `nspname` not regexp '^pg_' and sluice_ci( `n` . `nspname` ) regexp 'x' and sluice_ci( `n` . `nspname` ) not regexp 'y'"},
		{`SELECT c.oid::pg_catalog.regclass, pg_catalog.format_type(1, 2) FROM pg_class c`,
			"select sluice_cast( `c` . `oid` , 0 ) , format_type( 1 , 2 ) from `pg_class` `c`"},
		{`SELECT ARRAY(SELECT 1), ARRAY[1, 2], x[1] FROM pg_roles`,
			"select sluice_array( ( select 1 ) ) , sluice_arraylit( 1 , 2 ) , sluice_subscript( `x` , 1 ) from `pg_roles`"},
		{`SELECT 'd' = any(stxkind) FROM pg_statistic_ext`,
			"select 'd' = sluice_any( `stxkind` ) from `pg_statistic_ext`"},
		{`SELECT s FROM pg_catalog.generate_series(1, 3) s, pg_class`,
			"select `s` from( select generate_series( 1 , 3 ) ) `s` , `pg_class`"},
		{`SELECT E'a\nb' FROM pg_class`, "select 'a\nb' from `pg_class`"},
		{`SELECT array_agg(DISTINCT a ORDER BY b), max(x), string_agg(s, ',' ORDER BY (s)), count(*) OVER (ORDER BY 1) FROM pg_class`,
			"select group_concat( distinct 'sluice_agg:array_agg' , `a` order by `b` ) , max( `x` ) , " +
				"group_concat( 'sluice_agg:string_agg' , `s` , ',' order by( `s` ) ) , count( * ) over( order by 1 ) from `pg_class`"},
	} {
		si := catalogRewrite(t, tc.in)
		if si.rw != tc.want {
			t.Errorf("%s\n got %s\nwant %s", tc.in, si.rw, tc.want)
		}
	}
}

func catalogRewrite(t *testing.T, q string) selectInternals {
	t.Helper()
	toks, err := lex(q)
	if err != nil {
		t.Fatal(err)
	}
	c := &cursor{src: q, toks: toks}
	r := newRewriter(c)
	r.pg = pgState{on: true, inFrom: map[int]bool{}}
	if err := r.run(); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return renderRewrite(q, r)
}

// TestCatalogCaptured parses every captured psql statement that reads the
// catalogs: each must become a CatalogSelect.
func TestCatalogCaptured(t *testing.T) {
	f, err := os.Open(capturedPath)
	if err != nil {
		t.Skip("no capture:", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	p := NewParser()
	n := 0
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "/* psql") || !strings.Contains(line, "pg_catalog.") {
			continue
		}
		n++
		stmts, err := p.Parse(line)
		if err != nil {
			t.Errorf("%s\n%v", line, err)
			continue
		}
		if _, ok := stmts[0].(*CatalogSelect); !ok {
			t.Errorf("%s\nparsed as %T", line, stmts[0])
		}
	}
	if n < 20 {
		t.Errorf("only %d psql catalog statements found", n)
	}
}

func TestIsCatalogQuery(t *testing.T) {
	for q, want := range map[string]bool{
		"SELECT * FROM bids":                             false,
		"SELECT * FROM pg_catalog.pg_class":              true,
		"SELECT pg_catalog.version()":                    false,
		"SELECT * FROM information_schema.tables":        true,
		"SELECT * FROM pg_type t2, x":                    true,
		"SELECT * FROM x JOIN pg_namespace n ON true":    true,
		"SELECT pg_backend_pid() FROM bids":              false,
		"SELECT a FROM sluice.queries WHERE id = 'pg_x'": false,
	} {
		toks, err := lex(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := isCatalogQuery(toks); got != want {
			t.Errorf("%s: got %v", q, got)
		}
	}
}

// TestCatalogRecursive checks that WITH RECURSIVE is parsed for the catalog
// evaluator, and stays 0A000 elsewhere; and that an aggregate's ORDER BY
// comes back from the rewriter's group_concat.
func TestCatalogRecursive(t *testing.T) {
	p := NewParser()
	stmts, err := p.Parse(`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT array_agg(attname ORDER BY attnum DESC) FROM r, pg_attribute) SELECT n FROM r`)
	if err != nil {
		t.Fatal(err)
	}
	q := stmts[0].(*CatalogSelect).Query
	if len(q.With) != 1 || !q.With[0].Recursive || q.With[0].Name != "r" || len(q.With[0].Cols) != 1 {
		t.Fatalf("WITH: %+v", q.With)
	}
	arms := q.With[0].Query.Arms
	if len(arms) != 2 || !q.With[0].Query.All[1] {
		t.Fatalf("recursive query: %+v", q.With[0].Query)
	}
	f, ok := arms[1].Select.Items[0].Expr.(*PGFunc)
	if !ok || f.Name != "array_agg" || len(f.Args) != 1 || len(f.Order) != 1 || !f.Order[0].Desc {
		t.Fatalf("aggregate: %#v", arms[1].Select.Items[0].Expr)
	}
	_, err = p.Parse(`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r`)
	if e, ok := err.(*Error); !ok || e.Code != CodeFeatureNotSupported {
		t.Errorf("WITH RECURSIVE over no catalog: %v", err)
	}
}
