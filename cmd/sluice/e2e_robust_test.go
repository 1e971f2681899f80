package main

import (
	"context"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestBadInputKeepsServing: garbage bytes, a client that vanishes in the
// middle of a continuous query, and records that are not JSON leave the
// server serving everyone else.
func TestBadInputKeepsServing(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startSluice(t, t.TempDir())
	conn := p.connect(t, ctx)
	mustExec(t, ctx, conn, wordsDDL)

	// Garbage instead of a startup message.
	raw, err := net.Dial("tcp", p.pgAddr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = raw.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n\x00\x00\x00\x00garbage"))
	_ = raw.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 512)
	n, _ := raw.Read(buf)
	raw.Close()
	if n == 0 || buf[0] != 'E' {
		t.Errorf("garbage startup: want an ErrorResponse, got %q", buf[:n])
	}

	// A client that disconnects mid-query: its query must stop.
	other := p.connect(t, ctx)
	go func() {
		rows, err := other.Query(ctx, "SELECT word FROM words", pgx.QueryExecModeSimpleProtocol)
		if err == nil {
			for rows.Next() {
			}
			rows.Close()
		}
	}()
	waitForQueries(t, ctx, conn, 1)
	_ = other.PgConn().Conn().Close() // vanish without Terminate
	waitForQueries(t, ctx, conn, 0)

	// Records that do not decode are counted; the query goes on.
	// (Produced first: the client sees nothing until a batch has rows.)
	p.produce(t, ctx, "words", `not json`, `{"word": "a"}`, `{"word": "c", "ts": "never"}`, `{"word": "b"}`)
	rows, err := conn.Query(ctx, "SELECT word FROM words LIMIT 2", pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			t.Fatal(err)
		}
		got = append(got, w)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	if strings.Join(got, ",") != "a,b" {
		t.Fatalf("rows = %v, want a,b", got)
	}
}

// TestCatalogSurvivesRestart: streams declared before a graceful stop are
// there after a restart on the same data dir, with their data.
func TestCatalogSurvivesRestart(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	dir := t.TempDir()
	p := startSluice(t, dir)
	conn := p.connect(t, ctx)
	mustExec(t, ctx, conn, wordsDDL)
	mustExec(t, ctx, conn, `INSERT INTO words VALUES ('kept', '2024-01-01 00:00:01')`)
	conn.Close(ctx)
	p.stop(t)

	p2 := startSluice(t, dir)
	conn2 := p2.connect(t, ctx)
	var word string
	if err := conn2.QueryRow(ctx, "SELECT word FROM words LIMIT 1", pgx.QueryExecModeSimpleProtocol).Scan(&word); err != nil {
		t.Fatalf("after restart: %v\n%s", err, p2.log())
	}
	if word != "kept" {
		t.Fatalf("word = %q", word)
	}
}

// TestDemo: --demo declares persons, auctions and bids and feeds them live;
// a windowed query over bids returns a closed window.
func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := startSluice(t, t.TempDir(), "--demo")
	conn := p.connect(t, ctx)
	rows, err := conn.Query(ctx, "SHOW STREAMS", pgx.QueryExecModeSimpleProtocol)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		vals, _ := rows.Values()
		names = append(names, vals[0].(string))
	}
	rows.Close()
	if strings.Join(names, ",") != "auctions,bids,persons" {
		t.Fatalf("demo streams = %v", names)
	}
	var n, top int64
	var end time.Time
	err = conn.QueryRow(ctx, `SELECT window_end, count(*) AS bids, max(price) AS top
		FROM bids GROUP BY TUMBLE(date_time, INTERVAL '1 second') LIMIT 1`, pgx.QueryExecModeSimpleProtocol).Scan(&end, &n, &top)
	if err != nil {
		t.Fatalf("windowed query over the demo: %v\n%s", err, p.log())
	}
	if n <= 0 || top <= 0 || time.Since(end) > time.Minute {
		t.Fatalf("window end=%v bids=%d top=%d", end, n, top)
	}
}
