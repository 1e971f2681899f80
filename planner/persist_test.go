package planner

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/ingest"
	"github.com/sluicedb/sluice/sql"
	"github.com/sluicedb/sluice/state"
)

// testPlanner is a planner over a real engine on a fake Kafka cluster and an
// in-memory store, with a stream "bids" created. Everything closes at test
// end and the allocator must then be empty.
func testPlanner(t *testing.T) (*Planner, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cluster.Close)
	kafka, err := ingest.NewClient(ctx, ingest.Options{Brokers: cluster.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kafka.Close)
	store, err := state.Open(ctx, "", state.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	eng, err := exec.NewEngine(ctx, exec.Options{Allocator: mem, Store: store, Kafka: kafka, ManualTrigger: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = eng.Close() })
	p := New(eng)
	mustExec(t, ctx, p, `CREATE STREAM bids (auction BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP,
		WATERMARK FOR date_time AS date_time - INTERVAL '1 second') WITH (topic = 'bids')`)
	return p, ctx
}

func parseOne(t *testing.T, text string) sql.Statement {
	t.Helper()
	stmts, err := sql.NewParser().Parse(text)
	if err != nil || len(stmts) != 1 {
		t.Fatalf("parse %q: %v (%d statements)", text, err, len(stmts))
	}
	return stmts[0]
}

// mustExec prepares and executes text, releasing any rows.
func mustExec(t *testing.T, ctx context.Context, p *Planner, text string) *Result {
	t.Helper()
	prep, err := p.Prepare(parseOne(t, text), nil)
	if err != nil {
		t.Fatalf("prepare %q: %v", text, err)
	}
	res, err := p.Execute(ctx, prep, nil)
	if err != nil {
		t.Fatalf("execute %q: %v", text, err)
	}
	return res
}

func wantCode(t *testing.T, err error, code, text string) {
	t.Helper()
	var se *sql.Error
	if !errors.As(err, &se) || se.Code != code {
		t.Errorf("%s: got %v, want SQLSTATE %s", text, err, code)
	}
}

const viewSQL = `CREATE MATERIALIZED VIEW counts AS
SELECT window_start, auction, count(*) AS bids, max(price) AS top FROM bids
GROUP BY TUMBLE(date_time, INTERVAL '10 seconds'), auction EMIT CHANGES ORDER BY bids DESC`

// TestPlanView checks the plan of a windowed view: its query id, forced
// EMIT ON WINDOW CLOSE, ORDER BY dropped, and the view's columns; and that
// PlanPersistent re-plans the same query from the stored text.
func TestPlanView(t *testing.T) {
	p, _ := testPlanner(t)
	prep, err := p.Prepare(parseOne(t, viewSQL), nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := prep.persist
	if prep.Tag != "CREATE MATERIALIZED VIEW" || plan == nil || plan.view == nil {
		t.Fatalf("prepared %+v", prep)
	}
	if plan.spec.ID != "view:counts" || plan.spec.Kind != "view" || plan.view.QueryID != "view:counts" {
		t.Errorf("ids: spec %q kind %q view %q", plan.spec.ID, plan.spec.Kind, plan.view.QueryID)
	}
	got := Explain(plan.spec)
	if !strings.Contains(got, "emit=on window close") || strings.Contains(got, "Sort") {
		t.Errorf("plan:\n%s", got)
	}
	var cols []string
	for _, f := range plan.view.Schema.Fields() {
		cols = append(cols, f.Name+" "+typeName(f))
	}
	if want := "window_start timestamp without time zone, auction bigint, bids bigint, top bigint"; strings.Join(cols, ", ") != want {
		t.Errorf("columns %s, want %s", strings.Join(cols, ", "), want)
	}
	spec, err := p.PlanPersistent("view", "counts", plan.view.SQL)
	if err != nil {
		t.Fatal(err)
	}
	if Explain(spec) != got || spec.ID != plan.spec.ID || spec.SQL != plan.spec.SQL {
		t.Errorf("re-planned:\n%s\nwant\n%s", Explain(spec), got)
	}
	for _, bad := range []struct{ kind, name string }{{"sink", "counts"}, {"view", "other"}} {
		if _, err := p.PlanPersistent(bad.kind, bad.name, plan.view.SQL); err == nil {
			t.Errorf("PlanPersistent(%s, %s) accepted a view's SQL", bad.kind, bad.name)
		}
	}
	if _, err := p.PlanPersistent("view", "counts", "CREATE MATERIALIZED VIEW counts AS SELECT nosuch FROM bids"); err == nil {
		t.Error("PlanPersistent accepted SQL that no longer binds")
	}
}

// TestPlanViewErrors checks what a persistent query refuses.
func TestPlanViewErrors(t *testing.T) {
	p, _ := testPlanner(t)
	for text, code := range map[string]string{
		"CREATE MATERIALIZED VIEW v AS SELECT auction FROM bids LIMIT 3":                       sql.CodeFeatureNotSupported,
		"CREATE MATERIALIZED VIEW v AS SELECT id FROM sluice.queries":                          sql.CodeFeatureNotSupported,
		"CREATE MATERIALIZED VIEW v AS SELECT 1":                                               sql.CodeFeatureNotSupported,
		"CREATE MATERIALIZED VIEW v AS SELECT auction FROM bids WHERE price > $1":              sql.CodeFeatureNotSupported,
		"CREATE MATERIALIZED VIEW v AS SELECT auction, auction FROM bids":                      sql.CodeDuplicateColumn,
		"CREATE MATERIALIZED VIEW v AS SELECT _offset FROM bids":                               sql.CodeDuplicateColumn,
		"CREATE MATERIALIZED VIEW v AS SELECT nosuch FROM bids":                                sql.CodeUndefinedColumn,
		"CREATE MATERIALIZED VIEW v AS SELECT auction FROM nosuch":                             sql.CodeUndefinedTable,
		"CREATE MATERIALIZED VIEW v AS SELECT count(*) FROM bids EMIT ON WINDOW CLOSE":         sql.CodeFeatureNotSupported,
		"CREATE STREAM o (a BIGINT) AS SELECT auction FROM bids":                               sql.CodeFeatureNotSupported,
		"CREATE STREAM o WITH (colour = 'red') AS SELECT auction FROM bids":                    sql.CodeInvalidParameter,
		"CREATE STREAM o AS SELECT auction FROM bids LIMIT 1":                                  sql.CodeFeatureNotSupported,
		"CREATE STREAM o AS SELECT count(*), count(*) FROM bids":                               sql.CodeDuplicateColumn,
		"SELECT count(*) FROM sluice.queries GROUP BY TUMBLE(started_at, INTERVAL '1 minute')": sql.CodeFeatureNotSupported,
		"SELECT count(*) FROM sluice.queries EMIT CHANGES":                                     sql.CodeFeatureNotSupported,
		"SELECT * FROM sluice.nosuch":                                                          sql.CodeUndefinedTable,
	} {
		_, err := p.Prepare(parseOne(t, text), nil)
		wantCode(t, err, code, text)
	}
}

// TestPlanSink checks the output stream of CREATE STREAM … AS SELECT: the
// query's columns with their SQL types, and the WITH options.
func TestPlanSink(t *testing.T) {
	p, _ := testPlanner(t)
	text := `CREATE STREAM hot WITH (topic = 'hot_auctions', partitions = 2) AS
		SELECT auction, channel, count(*) AS n, avg(price) AS mean FROM bids
		GROUP BY TUMBLE(date_time, INTERVAL '10 seconds'), auction, channel`
	prep, err := p.Prepare(parseOne(t, text), nil)
	if err != nil {
		t.Fatal(err)
	}
	plan := prep.persist
	if prep.Tag != "CREATE STREAM" || plan == nil || plan.out == nil {
		t.Fatalf("prepared %+v", prep)
	}
	out := plan.out
	if out.Name != "hot" || out.Topic != "hot_auctions" || out.Partitions != 2 || out.Format != "json" {
		t.Errorf("output stream %+v", out)
	}
	var cols []string
	for _, f := range out.Schema.Fields() {
		cols = append(cols, f.Name+" "+typeName(f))
	}
	if want := "auction bigint, channel text, n bigint, mean double precision"; strings.Join(cols, ", ") != want {
		t.Errorf("columns %s, want %s", strings.Join(cols, ", "), want)
	}
	if plan.spec.ID != "sink:hot" || plan.spec.Kind != "sink" {
		t.Errorf("spec id %q kind %q", plan.spec.ID, plan.spec.Kind)
	}
	spec, err := p.PlanPersistent("sink", "hot", text)
	if err != nil {
		t.Fatal(err)
	}
	if Explain(spec) != Explain(plan.spec) {
		t.Errorf("re-planned:\n%s\nwant\n%s", Explain(spec), Explain(plan.spec))
	}
	def, _ := sinkSchema(arrow.NewSchema([]arrow.Field{{Name: "d", Type: arrow.FixedWidthTypes.Duration_us}}, nil))
	if def != nil {
		t.Error("an interval column was accepted in a stream")
	}
}

// TestPullSystemTable runs pull queries over sluice.queries: finite,
// filtered, aggregated, ordered.
func TestPullSystemTable(t *testing.T) {
	p, ctx := testPlanner(t)
	push := mustExec(t, ctx, p, "SELECT auction FROM bids WHERE price > 1")
	defer push.Stream.Close()
	for text, want := range map[string]string{
		"SELECT kind, sql FROM sluice.queries WHERE state = 'running'":               "push|SELECT auction FROM bids WHERE price > 1",
		"SELECT count(*) AS n, sum(batches) FROM sluice.queries":                     "1|0",
		"SELECT count(*), sum(lag_rows) FROM sluice.queries WHERE false":             "0|NULL",
		"SELECT kind, count(*) FROM sluice.queries GROUP BY kind ORDER BY 1 LIMIT 5": "push|1",
		"SELECT id FROM sluice.queries LIMIT 0":                                      "",
	} {
		prep, err := p.Prepare(parseOne(t, text), nil)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if prep.Continuous {
			t.Errorf("%s: a pull query is continuous", text)
		}
		res, err := p.Execute(ctx, prep, nil)
		if err != nil {
			t.Fatalf("%s: %v", text, err)
		}
		if got := resultText(res); got != want {
			t.Errorf("%s: got %q, want %q", text, got, want)
		}
	}
}

// resultText renders finite rows as "a|b" lines and releases them.
func resultText(res *Result) string {
	var lines []string
	for _, b := range res.Rows {
		for r := range int(b.NumRows()) {
			vals := make([]string, b.NumCols())
			for c := range vals {
				if b.Column(c).IsNull(r) {
					vals[c] = "NULL"
				} else {
					vals[c] = b.Column(c).ValueStr(r)
				}
			}
			lines = append(lines, strings.Join(vals, "|"))
		}
		b.Release()
	}
	return strings.Join(lines, "\n")
}
