package main

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The client compatibility suite (issue 5): the real binary, a stream and a
// materialized view with data, and each real client program in
// testdata/clients driven against it. Every program prints what the client
// returned as "section|value|…" lines; the tests compare them with what a
// PostgreSQL user gets from the same client on PostgreSQL 15.
//
// Each client talks to the server through a wire tap that records every
// ErrorResponse with the statement that caused it: a client flow that works
// on PostgreSQL produces no errors there, and drivers swallow some, so a
// test also fails on any error the tap saw and prints the failing
// statements (for psqlODBC this check is off for now: see testPsqlODBC).

// clientsDataDDL is the catalog every client probe expects.
var clientsDataDDL = []string{
	`CREATE STREAM bids (auction BIGINT, price BIGINT, channel VARCHAR, date_time TIMESTAMP,
		WATERMARK FOR date_time AS date_time - INTERVAL '1 second')
		WITH (topic = 'bids', format = 'json', partitions = 1)`,
	`CREATE MATERIALIZED VIEW auction_counts AS
		SELECT window_start, window_end, auction, count(*) AS bids, max(price) AS top
		FROM bids GROUP BY TUMBLE(date_time, INTERVAL '10 seconds'), auction`,
	`INSERT INTO bids VALUES
		(1, 100, 'web', '2024-01-01 00:00:01'), (1, 150, 'app', '2024-01-01 00:00:02'),
		(2, 70, 'web', '2024-01-01 00:00:03'), (1, 120, 'web', '2024-01-01 00:00:04'),
		(2, 80, 'app', '2024-01-01 00:00:05'), (3, 30, 'web', '2024-01-01 00:00:06'),
		(1, 160, 'web', '2024-01-01 00:00:11'), (2, 90, 'web', '2024-01-01 00:00:12'),
		(2, 95, 'app', '2024-01-01 00:00:13'), (3, 40, 'web', '2024-01-01 00:00:14'),
		(1, 170, 'app', '2024-01-01 00:00:21'), (3, 50, 'web', '2024-01-01 00:00:35')`,
}

// auctionCountsRows is the view's content once all 12 bids are in (the
// view shows each (window, auction) group with its current count).
var auctionCountsRows = []string{
	"2024-01-01 00:00:00|1|3|150",
	"2024-01-01 00:00:00|2|2|80",
	"2024-01-01 00:00:00|3|1|30",
	"2024-01-01 00:00:10|1|1|160",
	"2024-01-01 00:00:10|2|2|95",
	"2024-01-01 00:00:10|3|1|40",
	"2024-01-01 00:00:20|1|1|170",
	"2024-01-01 00:00:30|3|1|50",
}

// TestClients runs every client against one server with one data set.
func TestClients(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	p := startSluice(t, t.TempDir())
	conn := p.connect(t, ctx)
	for _, ddl := range clientsDataDDL {
		mustExec(t, ctx, conn, ddl)
	}
	// Wait until the view holds every group, so each client sees the same rows.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var n int64
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM auction_counts").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n == int64(len(auctionCountsRows)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("auction_counts has %d rows after 30s, want %d", n, len(auctionCountsRows))
		}
		time.Sleep(50 * time.Millisecond)
	}

	t.Run("pgjdbc", func(t *testing.T) { testPgJDBC(t, ctx, p) })
	t.Run("psycopg2-sqlalchemy", func(t *testing.T) { testSQLAlchemy(t, ctx, p) })
	t.Run("node-postgres", func(t *testing.T) { testNodePostgres(t, ctx, p) })
	t.Run("psqlodbc", func(t *testing.T) { testPsqlODBC(t, ctx, p) })
	t.Run("pgx-grafana", func(t *testing.T) { testGrafanaPgx(t, ctx, p) })
	t.Run("pgx-continuous", func(t *testing.T) { testPgxContinuous(t, ctx, p) })
}

// clientsDir is testdata/clients at the repository root.
func clientsDir(t *testing.T) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("..", "..", "testdata", "clients"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// needTool skips (locally) or fails (CI=true) when a client is missing.
func needTool(t *testing.T, ok bool, what, install string) {
	t.Helper()
	if ok {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is missing; CI must install it (.ci/run): %s", what, install)
	}
	t.Skipf("%s is missing (install: %s); CI fails here instead of skipping", what, install)
}

func haveCmd(name string) bool {
	_, err := exec.LookPath(name)
	return err == nil
}

func haveFile(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// runProbe runs a client program and returns its stdout lines; it fails the
// test if the program fails, printing its stderr and the tap's errors.
func runProbe(t *testing.T, ctx context.Context, tap *wireTap, cmd *exec.Cmd) []string {
	t.Helper()
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	t.Logf("%s took %s", filepath.Base(cmd.Path), time.Since(start).Round(time.Millisecond))
	if err != nil {
		t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s\nserver errors:\n%s", strings.Join(cmd.Args, " "), err,
			stdout.String(), stderr.String(), strings.Join(tap.errors(), "\n"))
	}
	return nonEmptyLines(stdout.String())
}

// checkProbe compares a probe's lines with want, and fails on any server
// error the tap saw other than those with an expected SQLSTATE (a probe's
// own cancel, say).
func checkProbe(t *testing.T, tap *wireTap, got, want []string, expectedCodes ...string) {
	t.Helper()
	var errs []string
	for _, e := range tap.errors() {
		expected := false
		for _, c := range expectedCodes {
			expected = expected || strings.HasPrefix(e, "  "+c+" ")
		}
		if !expected {
			errs = append(errs, e)
		}
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("client output differs\n got:\n%s\nwant:\n%s\nserver errors:\n%s", strings.Join(got, "\n"),
			strings.Join(want, "\n"), strings.Join(errs, "\n"))
	} else if len(errs) > 0 {
		t.Errorf("the server answered with errors the client did not show:\n%s", strings.Join(errs, "\n"))
	}
}

const jdbcJar = "/usr/share/java/postgresql.jar"

// testPgJDBC: DatabaseMetaData (what DataGrip, DBeaver and Tableau read),
// a PreparedStatement past the prepare threshold, setFetchSize and a query
// timeout on a continuous query, and Metabase's connection, schema sync and
// question statements.
func testPgJDBC(t *testing.T, ctx context.Context, p *sluiceProc) {
	const install = "apt-get install -y default-jdk-headless libpostgresql-jdbc-java"
	needTool(t, haveCmd("java") && haveCmd("javac"), "a JDK (java, javac)", install)
	needTool(t, haveFile(jdbcJar), jdbcJar, install)
	classes := t.TempDir()
	if out, err := exec.CommandContext(ctx, "javac", "-d", classes,
		filepath.Join(clientsDir(t), "java", "JdbcProbe.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	tap := startWireTap(t, p.pgAddr)
	host, port, _ := net.SplitHostPort(tap.addr())
	got := runProbe(t, ctx, tap, exec.CommandContext(ctx, "java", "-Duser.timezone=UTC",
		"-cp", jdbcJar+string(os.PathListSeparator)+classes, "JdbcProbe", host, port))
	auction2 := "|2024-01-01 00:00:00,2,2,80|2024-01-01 00:00:10,2,2,95"
	auction1 := "|2024-01-01 00:00:00,1,3,150|2024-01-01 00:00:10,1,1,160|2024-01-01 00:00:20,1,1,170"
	checkProbe(t, tap, got, []string{
		"product|PostgreSQL|15",
		"schema|information_schema", "schema|pg_catalog", "schema|public", "schema|sluice",
		"table|public|auction_counts|MATERIALIZED VIEW",
		"table|public|bids|TABLE",
		"column|bids|1|auction|-5|int8|YES",
		"column|bids|2|price|-5|int8|YES",
		"column|bids|3|channel|12|varchar|YES",
		"column|bids|4|date_time|93|timestamp|YES",
		"column|auction_counts|1|window_start|93|timestamp|YES",
		"column|auction_counts|2|window_end|93|timestamp|YES",
		"column|auction_counts|3|auction|-5|int8|YES",
		"column|auction_counts|4|bids|-5|int8|YES",
		"column|auction_counts|5|top|-5|int8|YES",
		"primarykeys|bids|0",
		"indexinfo|auction_counts|0",
		"prepared|1" + auction2, "prepared|2" + auction1, "prepared|3" + auction2, "prepared|4" + auction1,
		"prepared|5" + auction2, "prepared|6" + auction1, "prepared|7" + auction2,
		"fetch|1|100|web", "fetch|1|150|app", "fetch|2|70|web", "fetch|1|120|web", "fetch|2|80|app",
		"after-fetch|8",
		"timeout|57014", // setQueryTimeout(1) on a continuous query: CancelRequest
		// Metabase: connection set-up, schema sync, a question with a parameter.
		"mb-isolation|ok",
		"mb-timezone|UTC", "mb-timezone|rows=1",
		"mb-privileges|public|auction_counts|t", "mb-privileges|public|bids|t",
		"mb-privileges|sluice|batches|t", "mb-privileges|sluice|partitions|t",
		"mb-privileges|sluice|queries|t", "mb-privileges|rows=5",
		"mb-tables|public|auction_counts|MATERIALIZED VIEW|null", "mb-tables|public|bids|TABLE|null",
		"mb-tables|rows=2",
		// name|database-type|database-position|schema|table|pk?|comment|required|auto-increment
		"mb-fields|window_start|timestamp|0|public|auction_counts|f|null|f|f",
		"mb-fields|window_end|timestamp|1|public|auction_counts|f|null|f|f",
		"mb-fields|auction|int8|2|public|auction_counts|f|null|f|f",
		"mb-fields|bids|int8|3|public|auction_counts|f|null|f|f",
		"mb-fields|top|int8|4|public|auction_counts|f|null|f|f",
		"mb-fields|auction|int8|0|public|bids|f|null|f|f",
		"mb-fields|price|int8|1|public|bids|f|null|f|f",
		"mb-fields|channel|varchar|2|public|bids|f|null|f|f",
		"mb-fields|date_time|timestamp|3|public|bids|f|null|f|f",
		"mb-fields|rows=9",
		"mb-fks|rows=0",
		"mb-indexes|rows=0",
		"mb-enums|rows=0",
		"mb-timezone-set|ok",
		"mb-question|2024-01-01 00:00:00|3|1", "mb-question|2024-01-01 00:00:10|3|1",
		"mb-question|2024-01-01 00:00:30|3|1", "mb-question|rows=3",
		"done",
	}, "57014")
}

const systemPython = "/usr/bin/python3"

// testSQLAlchemy: psycopg2 with parameters, and SQLAlchemy 1.4's
// reflection as Superset uses it.
func testSQLAlchemy(t *testing.T, ctx context.Context, p *sluiceProc) {
	const install = "apt-get install -y python3-psycopg2 python3-sqlalchemy"
	ok := haveFile(systemPython) &&
		exec.CommandContext(ctx, systemPython, "-c", "import psycopg2, sqlalchemy").Run() == nil
	needTool(t, ok, "psycopg2 and SQLAlchemy for "+systemPython, install)
	tap := startWireTap(t, p.pgAddr)
	host, port, _ := net.SplitHostPort(tap.addr())
	got := runProbe(t, ctx, tap, exec.CommandContext(ctx, systemPython,
		filepath.Join(clientsDir(t), "python", "sqlalchemy_probe.py"), host, port))
	checkProbe(t, tap, got, []string{
		"sqlalchemy|1.4",
		"psycopg2|2|2|80",
		"psycopg2|2|2|95",
		"server_version|15",
		"default_schema|public",
		"schemas|information_schema,public,sluice",
		"tables|bids",
		"views|auction_counts",
		"column|bids|auction|BIGINT|True",
		"column|bids|price|BIGINT|True",
		"column|bids|channel|VARCHAR|True",
		"column|bids|date_time|TIMESTAMP|True",
		"column|auction_counts|window_start|TIMESTAMP|True",
		"column|auction_counts|window_end|TIMESTAMP|True",
		"column|auction_counts|auction|BIGINT|True",
		"column|auction_counts|bids|BIGINT|True",
		"column|auction_counts|top|BIGINT|True",
		"pk|bids|",
		"query|2024-01-01 00:00:10|1|1",
		"query|2024-01-01 00:00:20|1|1",
		"done",
	})
}

// testNodePostgres: node-postgres queries with parameters, a named
// statement, and pg-cursor reading 10 rows of a continuous query.
func testNodePostgres(t *testing.T, ctx context.Context, p *sluiceProc) {
	needTool(t, haveCmd("node") && haveCmd("npm"), "node and npm", "apt-get install -y nodejs npm")
	modules := nodeModules(t, ctx)
	tap := startWireTap(t, p.pgAddr)
	host, port, _ := net.SplitHostPort(tap.addr())
	cmd := exec.CommandContext(ctx, "node", filepath.Join(clientsDir(t), "node", "probe.js"), host, port)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
	got := runProbe(t, ctx, tap, cmd)
	checkProbe(t, tap, got, []string{
		"fields|window_start:1114|auction:20|bids:20|top:20",
		"row|2024-01-01 00:00:00|1|3|150",
		"row|2024-01-01 00:00:00|2|2|80",
		"row|2024-01-01 00:00:00|3|1|30",
		"param|1|1|160",
		"param|1|1|170",
		"named|3|3",
		"named|2|2",
		"cursor|1|100|web", "cursor|1|150|app", "cursor|2|70|web", "cursor|1|120|web", "cursor|2|80|app",
		"cursor|3|30|web", "cursor|1|160|web", "cursor|2|90|web", "cursor|2|95|app", "cursor|3|40|web",
		"cursor-closed|10",
		"after-cursor|8",
		"done",
	})
}

// nodeModules installs testdata/clients/node's locked packages (pg,
// pg-cursor) once into the user cache, keyed by the lock file's hash, and
// returns the node_modules directory.
func nodeModules(t *testing.T, ctx context.Context) string {
	t.Helper()
	src := filepath.Join(clientsDir(t), "node")
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(lock)
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "sluice-test-clients", "node-"+hex.EncodeToString(sum[:6]))
	modules := filepath.Join(dir, "node_modules")
	if haveFile(filepath.Join(modules, "pg-cursor", "package.json")) {
		return modules
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		if err = os.MkdirAll(filepath.Dir(dir), 0o755); err == nil {
			tmp, err = os.MkdirTemp(filepath.Dir(dir), "install-")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	defer os.RemoveAll(tmp)
	for _, f := range []string{"package.json", "package-lock.json"} {
		b, err := os.ReadFile(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = tmp
	if out, err := cmd.CombinedOutput(); err != nil {
		needTool(t, false, "the npm packages pg and pg-cursor (npm ci failed: "+err.Error()+")",
			"npm ci in testdata/clients/node with the npm registry reachable\n"+string(out))
	}
	if err := os.Rename(tmp, dir); err != nil && !haveFile(filepath.Join(modules, "pg-cursor", "package.json")) {
		t.Fatal(err)
	}
	return modules
}

// testPsqlODBC: unixODBC's isql with psqlODBC (the driver of Tableau, Power
// BI and Excel): a SELECT from the view, SQLTables (`help`) and SQLColumns
// (`help bids`).
func testPsqlODBC(t *testing.T, ctx context.Context, p *sluiceProc) {
	const install = "apt-get install -y unixodbc odbc-postgresql"
	needTool(t, haveCmd("isql"), "unixODBC's isql", install)
	drivers, _ := filepath.Glob("/usr/lib/*/odbc/psqlodbcw.so")
	needTool(t, len(drivers) > 0, "psqlODBC (psqlodbcw.so)", install)
	tap := startWireTap(t, p.pgAddr)
	host, port, _ := net.SplitHostPort(tap.addr())
	dir := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("odbcinst.ini", "[PostgreSQL Unicode]\nDescription=psqlODBC\nDriver="+drivers[0]+"\n")
	write("odbc.ini", fmt.Sprintf("[sluice]\nDriver=PostgreSQL Unicode\nServername=%s\nPort=%s\n"+
		"Database=sluice\nUsername=sluice\nSSLmode=disable\n", host, port))
	isql := func(input string) []string {
		cmd := exec.CommandContext(ctx, "isql", "-b", "-d|", "-v", "sluice")
		cmd.Env = append(os.Environ(), "ODBCSYSINI="+dir, "ODBCINI="+filepath.Join(dir, "odbc.ini"))
		cmd.Stdin = strings.NewReader(input)
		return runProbe(t, ctx, tap, cmd)
	}
	got := isql("SELECT window_start, auction, bids, top FROM auction_counts ORDER BY window_start, auction\n")
	got = append(got, isql("help\n")...)
	got = append(got, isql("help bids\n")...)
	// `help bids` prints SQLColumns' 18 standard columns and psqlODBC's
	// extras (OIDs, which vary); keep the standard ones.
	for i, l := range got {
		if f := strings.Split(l, "|"); len(f) > 18 && f[2] == "bids" {
			got[i] = strings.Join(f[:18], "|")
		}
	}
	want := append([]string(nil), auctionCountsRows...)
	want = append(want,
		// SQLTables: TABLE_CAT|TABLE_SCHEM|TABLE_NAME|TABLE_TYPE|REMARKS
		"sluice|public|auction_counts|MATVIEW|",
		"sluice|public|bids|TABLE|",
		"sluice|sluice|batches|VIEW|",
		"sluice|sluice|partitions|VIEW|",
		"sluice|sluice|queries|VIEW|",
		// SQLColumns: …|COLUMN_NAME|DATA_TYPE|TYPE_NAME|COLUMN_SIZE|BUFFER_LENGTH|DECIMAL_DIGITS|
		// NUM_PREC_RADIX|NULLABLE|REMARKS|COLUMN_DEF|SQL_DATA_TYPE|SQL_DATETIME_SUB|
		// CHAR_OCTET_LENGTH|ORDINAL_POSITION|IS_NULLABLE
		"sluice|public|bids|auction|-5|int8|19|8|0|10|1|||-5||-1|1|",
		"sluice|public|bids|price|-5|int8|19|8|0|10|1|||-5||-1|2|",
		"sluice|public|bids|channel|12|varchar|255|255|||1|||12||255|3|",
		"sluice|public|bids|date_time|11|timestamp|26|16|6||1|||11||-1|4|",
	)
	checkProbe(t, tap, got, want)
}

// wireTap forwards PostgreSQL connections to the server and records each
// ErrorResponse with the statement the client had sent last.
type wireTap struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	errs   []string
	wg     sync.WaitGroup
}

func startWireTap(t *testing.T, target string) *wireTap {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &wireTap{ln: ln, target: target}
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			w.wg.Add(1)
			go func() { defer w.wg.Done(); w.serve(c) }()
		}
	}()
	t.Cleanup(func() { ln.Close(); w.wg.Wait() })
	return w
}

func (w *wireTap) addr() string { return w.ln.Addr().String() }

func (w *wireTap) errors() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.errs...)
}

// readMsg reads one typed message (type byte, length, body).
func readMsg(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n < 4 || n > 64<<20 {
		return 0, nil, fmt.Errorf("bad message length %d", n)
	}
	body := make([]byte, n-4)
	_, err := io.ReadFull(r, body)
	return hdr[0], body, err
}

func writeMsg(wr io.Writer, typ byte, body []byte) error {
	buf := make([]byte, 5, 5+len(body))
	buf[0] = typ
	binary.BigEndian.PutUint32(buf[1:], uint32(len(body)+4))
	_, err := wr.Write(append(buf, body...))
	return err
}

func cstrings(b []byte) []string { return strings.Split(string(b), "\x00") }

func (w *wireTap) serve(c net.Conn) {
	defer c.Close()
	s, err := net.DialTimeout("tcp", w.target, 5*time.Second)
	if err != nil {
		return
	}
	defer s.Close()
	// Startup phase: SSLRequest/GSSENCRequest get a one-byte answer; a
	// CancelRequest or StartupMessage ends it.
	for {
		var hdr [8]byte
		if _, err := io.ReadFull(c, hdr[:]); err != nil {
			return
		}
		n := binary.BigEndian.Uint32(hdr[:4])
		if n < 8 || n > 1<<16 {
			return
		}
		body := make([]byte, n-8)
		if _, err := io.ReadFull(c, body); err != nil {
			return
		}
		if _, err := s.Write(append(hdr[:], body...)); err != nil {
			return
		}
		if code := binary.BigEndian.Uint32(hdr[4:]); code == 80877103 || code == 80877104 {
			var b [1]byte
			if _, err := io.ReadFull(s, b[:]); err != nil {
				return
			}
			if _, err := c.Write(b[:]); err != nil {
				return
			}
			continue
		}
		break
	}
	var mu sync.Mutex
	last := ""                   // the statement the client sent last
	stmts := map[string]string{} // prepared statement name → text
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer s.Close()
		for {
			typ, body, err := readMsg(c)
			if err != nil {
				return
			}
			mu.Lock()
			switch f := cstrings(body); typ {
			case 'Q':
				last = oneLine(f[0])
			case 'P':
				if len(f) > 1 {
					stmts[f[0]] = oneLine(f[1])
					last = stmts[f[0]]
				}
			case 'B':
				if len(f) > 1 {
					last = stmts[f[1]]
				}
			}
			mu.Unlock()
			if err := writeMsg(s, typ, body); err != nil {
				return
			}
		}
	}()
	for {
		typ, body, err := readMsg(s)
		if err != nil {
			break
		}
		if typ == 'E' {
			var code, msg string
			for _, f := range cstrings(body) {
				if len(f) > 1 && f[0] == 'C' {
					code = f[1:]
				} else if len(f) > 1 && f[0] == 'M' {
					msg = f[1:]
				}
			}
			mu.Lock()
			stmt := last
			mu.Unlock()
			w.mu.Lock()
			w.errs = append(w.errs, fmt.Sprintf("  %s %s\n    after: %s", code, msg, stmt))
			w.mu.Unlock()
		}
		if err := writeMsg(c, typ, body); err != nil {
			break
		}
	}
	c.Close()
	<-done
}
