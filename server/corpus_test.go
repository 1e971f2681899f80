package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// The corpus (issue 5) is every statement real PostgreSQL clients sent to a
// PostgreSQL 15 server (testdata/corpus/captured.sql, a copy of the probe's
// capture), replayed through the real server path: the SQL front, the
// planner and the wire protocol, each statement with the protocol the
// client used. testdata/corpus/expected lists per statement what it must
// give:
//
//	run line=N                       ok: the result (names, types, rows) is the golden
//	run line=N expect=0A000          a clean "not supported"; the input says why
//	run line=N pending=WIRE|SESS     another helper's area; anything but a lost connection
//
// with skip (the statement blocks: FETCH over a stream waits for rows),
// describe (a SELECT over a stream never ends: only Parse/Describe is
// checked) and params=(…) (text values for $n). A statement may never make
// another error class, a panic or a lost connection, whatever the golden
// says.

// corpusLine is one statement of captured.sql.
type corpusLine struct {
	client, proto, stmt, text string
}

// corpusLabel splits "/* client | protocol | tidb:… */ text".
var corpusLabel = regexp.MustCompile(`^/\* (.*?) \| (simple|extended stmt=(\S+)) \| tidb:[^*]*\*/ ?(.*)$`)

func readCorpus(t *testing.T) map[int]corpusLine {
	f, err := os.Open("testdata/corpus/captured.sql")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	out := map[int]corpusLine{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		if m := corpusLabel.FindStringSubmatch(sc.Text()); m != nil {
			out[n] = corpusLine{client: m[1], proto: strings.Fields(m[2])[0], stmt: m[3], text: m[4]}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// corpusRun is the corpus test's state: the server, the OIDs of the
// test's relations and one connection per client session.
type corpusRun struct {
	t      *testing.T
	ts     *Server
	lines  map[int]corpusLine
	subst  *strings.Replacer
	conn   *pgconn.PgConn
	client string
	// named are the statement names prepared on conn.
	named map[string]bool
	types *pgtype.Map
	score map[string][3]int // client → ok, 0A000, other
	// failures are reported after the whole file ran: datadriven stops at
	// the first directive that fails its test.
	failures []string
}

func (r *corpusRun) fail(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestCorpus(t *testing.T) {
	h := newGoldenHarness(t, goldenConfig{})
	defer h.close()
	s, err := NewServer(Options{Listen: "127.0.0.1:0", Engine: h.eng})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	<-s.Ready()
	r := &corpusRun{t: t, ts: s, lines: readCorpus(t), types: pgtype.NewMap(), score: map[string][3]int{}}
	r.setup()
	defer r.closeConn()
	datadriven.RunTest(t, "testdata/corpus/expected", r.run)
	for _, f := range r.failures {
		t.Error(f)
	}
	r.logScore()
}

// logScore prints per client how many statements succeeded, answered
// 0A000 or failed otherwise (pending statements count by their outcome).
func (r *corpusRun) logScore() {
	clients := make([]string, 0, len(r.score))
	for c := range r.score {
		clients = append(clients, c)
	}
	sort.Strings(clients)
	var total [3]int
	for _, c := range clients {
		n := r.score[c]
		r.t.Logf("corpus %-60.60s ok %2d  0A000 %2d  other %2d", c, n[0], n[1], n[2])
		for i := range total {
			total[i] += n[i]
		}
	}
	r.t.Logf("corpus %-60s ok %2d  0A000 %2d  other %2d", "total", total[0], total[1], total[2])
}

// setup creates the probe's relations under their names: orders is a
// stream (a table to the catalogs), big_orders a materialized view over
// it; the probe's OIDs and its second schema become ours.
func (r *corpusRun) setup() {
	r.connect("setup")
	for _, q := range []string{
		`CREATE STREAM orders (id BIGINT, customer VARCHAR, amount NUMERIC(10,2), ts TIMESTAMP, tags JSONB,
			WATERMARK FOR ts AS ts - INTERVAL '1 second') WITH (topic = 'orders', format = 'json')`,
		`CREATE MATERIALIZED VIEW big_orders AS SELECT window_start, customer, count(*) AS n, sum(amount) AS total
			FROM orders GROUP BY TUMBLE(ts, INTERVAL '1 hour'), customer`,
	} {
		if _, err := r.conn.Exec(context.Background(), q).ReadAll(); err != nil {
			r.t.Fatalf("%s: %v", q, err)
		}
	}
	oid := func(name string) string {
		res := r.conn.ExecParams(context.Background(), "SELECT oid FROM pg_catalog.pg_class WHERE relname = $1",
			[][]byte{[]byte(name)}, nil, nil, nil).Read()
		if res.Err != nil || len(res.Rows) != 1 {
			r.t.Fatalf("oid of %s: %v", name, res.Err)
		}
		return string(res.Rows[0][0])
	}
	// The probes' pg_sleep waits are shortened: the wait itself is not
	// what the corpus checks.
	r.subst = strings.NewReplacer("16386", oid("orders"), "16395", oid("big_orders"), "analytics", "sluice",
		"pg_sleep(3)", "pg_sleep(0.01)", "pg_sleep(2)", "pg_sleep(0.01)")
}

func (r *corpusRun) connect(client string) {
	r.closeConn()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	conn, err := pgconn.Connect(ctx, fmt.Sprintf("postgres://tester@%s/sluice?sslmode=disable", r.ts.Addr()))
	if err != nil {
		r.t.Fatal(err)
	}
	r.conn, r.client = conn, client
	r.named = map[string]bool{}
}

func (r *corpusRun) closeConn() {
	if r.conn != nil {
		_ = r.conn.Close(context.Background())
		r.conn = nil
	}
}

// run replays one statement, on the connection of its client session (a
// new one when the client changes, as in the capture).
func (r *corpusRun) run(t *testing.T, d *datadriven.TestData) string {
	if d.Cmd != "run" {
		t.Fatalf("unknown command %s", d.Cmd)
	}
	var n int
	d.ScanArgs(t, "line", &n)
	l, ok := r.lines[n]
	if !ok {
		t.Fatalf("line %d of captured.sql is not a statement", n)
	}
	if d.HasArg("skip") {
		return "skipped\n"
	}
	if l.client != r.client || r.conn.IsClosed() {
		r.connect(l.client)
	}
	var params []string
	if d.HasArg("params") {
		for _, a := range d.CmdArgs {
			if a.Key == "params" {
				params = a.Vals
			}
		}
	}
	text := r.subst.Replace(l.text)
	out, err := r.exec(l, text, params, d.HasArg("describe"))
	return r.judge(t, d, l, out, err)
}

// exec sends text with the client's protocol and renders the results.
func (r *corpusRun) exec(l corpusLine, text string, params []string, describe bool) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if strings.HasSuffix(text, "FROM STDIN WITH CSV") {
		// psql's \copy: the rows follow the command.
		tag, err := r.conn.CopyFrom(ctx, strings.NewReader("100,cust100\n101,cust101\n"), text)
		return tag.String() + "\n", err
	}
	if l.proto == "simple" && !describe {
		results, err := r.conn.Exec(ctx, text).ReadAll()
		var b strings.Builder
		for _, res := range results {
			r.render(&b, res.FieldDescriptions, res.Rows, res.CommandTag)
		}
		return b.String(), err
	}
	name := l.stmt
	if name == "<unnamed>" {
		name = ""
	}
	if name != "" && r.named[name] {
		// The client re-prepares a name it used before: real drivers
		// close it first.
		if err := r.conn.Deallocate(ctx, name); err != nil {
			return "", err
		}
	}
	sd, err := r.conn.Prepare(ctx, name, text, nil)
	if err != nil {
		return "", err
	}
	if name != "" {
		// Kept, as real clients keep their named statements (psqlODBC
		// DEALLOCATEs its own with a later simple query).
		r.named[name] = true
	}
	var b strings.Builder
	if describe {
		r.render(&b, sd.Fields, nil, pgconn.CommandTag{})
		return b.String(), nil
	}
	vals := make([][]byte, len(params))
	for i, p := range params {
		vals[i] = []byte(p)
	}
	res := r.conn.ExecPrepared(ctx, name, vals, nil, nil).Read()
	r.render(&b, res.FieldDescriptions, res.Rows, res.CommandTag)
	return b.String(), res.Err
}

// corpusMaxRows bounds the rows a golden shows of one result.
const corpusMaxRows = 6

func (r *corpusRun) render(b *strings.Builder, fields []pgconn.FieldDescription, rows [][][]byte, tag pgconn.CommandTag) {
	if len(fields) == 0 {
		if s := tag.String(); s != "" {
			fmt.Fprintln(b, s)
		} else {
			fmt.Fprintln(b, "(empty)")
		}
		return
	}
	cols := make([]string, len(fields))
	for i, f := range fields {
		typ := strconv.FormatUint(uint64(f.DataTypeOID), 10)
		if pt, ok := r.types.TypeForOID(f.DataTypeOID); ok {
			typ = pt.Name
		}
		cols[i] = f.Name + ":" + typ
	}
	fmt.Fprintln(b, strings.Join(cols, " | "))
	for i, row := range rows {
		if i == corpusMaxRows {
			fmt.Fprintln(b, "…")
			break
		}
		cells := make([]string, len(row))
		for j, c := range row {
			cells[j] = corpusCell(c)
		}
		fmt.Fprintln(b, strings.Join(cells, " | "))
	}
	if rows != nil || tag.String() != "" {
		fmt.Fprintf(b, "(%d rows)\n", len(rows))
	}
}

func corpusCell(c []byte) string {
	if c == nil {
		return "NULL"
	}
	s := strings.ReplaceAll(string(c), "\n", `\n`)
	if len(s) > 60 {
		s = s[:57] + "…"
	}
	return s
}

// judge checks the outcome against the statement's expectation and
// returns the golden text.
func (r *corpusRun) judge(t *testing.T, d *datadriven.TestData, l corpusLine, out string, err error) string {
	class := "ok"
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe):
		class = pe.Code
		out += fmt.Sprintf("error %s: %s\n", pe.Code, pe.Message)
	case err != nil:
		class = "lost"
		r.fail("%s: connection failed: %v", d.Pos, err)
	}
	n := r.score[l.client]
	switch class {
	case "ok":
		n[0]++
	case "0A000":
		n[1]++
	default:
		n[2]++
	}
	r.score[l.client] = n
	if d.HasArg("pending") {
		var owner string
		d.ScanArgs(t, "pending", &owner)
		t.Logf("%s: pending %s, now %s", d.Pos, owner, class)
		return "pending " + owner + "\n"
	}
	expect := "ok"
	if d.HasArg("expect") {
		d.ScanArgs(t, "expect", &expect)
	}
	if class != expect {
		r.fail("%s: expected %s, got %s\n%s", d.Pos, expect, class, out)
	}
	return out
}
