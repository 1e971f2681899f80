package server

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func connString(ts *testServer, user, password string) string {
	s := fmt.Sprintf("postgres://%s@%s/sluice?sslmode=disable&connect_timeout=10", user, ts.Addr())
	if password != "" {
		s = fmt.Sprintf("postgres://%s:%s@%s/sluice?sslmode=disable&connect_timeout=10", user, password, ts.Addr())
	}
	return s
}

func pgxConnect(t *testing.T, ts *testServer, configure ...func(*pgx.ConnConfig)) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cfg, err := pgx.ParseConfig(connString(ts, "tester", ""))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range configure {
		c(cfg)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func TestPGXExtendedAndSimple(t *testing.T) {
	ts := startServer(t)
	conn := pgxConnect(t, ts)
	ctx := context.Background()

	// Extended protocol with a described statement: int8 goes out and
	// comes back in binary.
	var v int64
	if err := conn.QueryRow(ctx, "SELECT param", int64(-1)<<40).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != -1<<40 {
		t.Fatalf("binary int8 round trip: got %d", v)
	}
	// Again: the statement cache reuses the named statement across Syncs.
	if err := conn.QueryRow(ctx, "SELECT param", int64(99)).Scan(&v); err != nil || v != 99 {
		t.Fatalf("second execution: %d, %v", v, err)
	}
	var s string
	if err := conn.QueryRow(ctx, "SELECT tparam", "héllo").Scan(&s); err != nil || s != "héllo" {
		t.Fatalf("text parameter: %q, %v", s, err)
	}

	for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeExec, pgx.QueryExecModeCacheDescribe} {
		rows, err := conn.Query(ctx, "SELECT ints", mode)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var n int64
			var s string
			if err := rows.Scan(&n, &s); err != nil {
				t.Fatal(err)
			}
			got = append(got, fmt.Sprintf("%d:%s", n, s))
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		if want := "1:row 1,2:row 2,3:row 3,4:row 4,5:row 5"; strings.Join(got, ",") != want {
			t.Fatalf("mode %v: got %v", mode, got)
		}
		if tag := rows.CommandTag().String(); tag != "SELECT 5" {
			t.Fatalf("mode %v: tag %q", mode, tag)
		}
	}

	// Errors arrive as *pgconn.PgError with their SQLSTATE and position.
	_, err := conn.Exec(ctx, "SELECT ints; SELEC x")
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "42601" || pe.Position != 14 {
		t.Fatalf("syntax error: %#v", err)
	}
	_, err = conn.Exec(ctx, "SELECT overflow")
	if !errors.As(err, &pe) || pe.Code != "22003" {
		t.Fatalf("overflow: %v", err)
	}
	// The session is still usable, and SET/SHOW round-trip.
	if _, err := conn.Exec(ctx, "SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, "SHOW server_version", pgx.QueryExecModeSimpleProtocol).Scan(&s); err != nil || !strings.HasPrefix(s, "15.") {
		t.Fatalf("server_version %q, %v", s, err)
	}
	if got := conn.PgConn().ParameterStatus("standard_conforming_strings"); got != "on" {
		t.Fatalf("standard_conforming_strings = %q", got)
	}
}

// TestPGXContinuous reads a continuous query over the simple protocol: one
// result set per micro-batch, each followed by an empty one
// (EmptyQueryResponse), until LIMIT ends it.
func TestPGXContinuous(t *testing.T) {
	ts := startServer(t)
	conn := pgxConnect(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()

	go func() {
		s := ts.exec.lastStream(t)
		s.ch <- ts.exec.streamBatch(1, 2)
		s.ch <- ts.exec.streamBatch(3, 0)
		s.ch <- ts.exec.streamBatch(3, 3)
	}()
	mrr := conn.PgConn().Exec(ctx, "SELECT stream limit")
	var sets []string
	empties := 0
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		var vals []string
		for rr.NextRow() {
			vals = append(vals, string(rr.Values()[0]))
		}
		tag, err := rr.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(rr.FieldDescriptions()) == 0 {
			empties++
			continue
		}
		sets = append(sets, fmt.Sprintf("%s %v", tag, vals))
	}
	if err := mrr.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(sets, "; "), "SELECT 2 [1 2]; SELECT 3 [3 4 5]"; got != want {
		t.Fatalf("result sets: %s, want %s", got, want)
	}
	if empties != 2 {
		t.Fatalf("want an EmptyQueryResponse after each result set, got %d", empties)
	}
}

func TestSCRAM(t *testing.T) {
	users := filepath.Join(t.TempDir(), "users")
	if err := os.WriteFile(users, []byte("# users\nalice:s3cret\nbob:pa:ss\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ts := startServer(t, func(o *Options) { o.Auth, o.Users = "scram", users })
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		user, password string
		ok             bool
	}{
		{"alice", "s3cret", true},
		{"bob", "pa:ss", true},
		{"alice", "wrong", false},
		{"mallory", "s3cret", false},
	} {
		conn, err := pgx.Connect(ctx, connString(ts, tc.user, tc.password))
		if tc.ok {
			if err != nil {
				t.Fatalf("%s: %v", tc.user, err)
			}
			var s string
			if err := conn.QueryRow(ctx, "SHOW session_authorization", pgx.QueryExecModeSimpleProtocol).Scan(&s); err != nil || s != tc.user {
				t.Fatalf("%s: session_authorization %q, %v", tc.user, s, err)
			}
			_ = conn.Close(ctx)
			continue
		}
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "28P01" {
			t.Fatalf("%s/%s: want 28P01, got %v", tc.user, tc.password, err)
		}
	}
}

func TestMaxConns(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.MaxConns = 1 })
	first := pgxConnect(t, ts)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := pgx.Connect(ctx, connString(ts, "second", ""))
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "53300" {
		t.Fatalf("want 53300, got %v", err)
	}
	if err := first.Ping(ctx); err != nil {
		t.Fatalf("first connection broken: %v", err)
	}
	_ = first.Close(ctx)
	// The slot is free again once the first connection has gone.
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := pgx.Connect(ctx, connString(ts, "third", ""))
		if err == nil {
			_ = conn.Close(ctx)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("slot not released: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestShutdown: cancelling Serve's context ends a running continuous query
// (its stream is closed) and Serve returns.
func TestShutdown(t *testing.T) {
	ts := startServer(t)
	conn := pgxConnect(t, ts)
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "SELECT stream", pgx.QueryExecModeSimpleProtocol)
		errc <- err
	}()
	s := ts.exec.lastStream(t)
	// Stop the server the way the test cleanup would, but now.
	ts.stopForTest(t)
	s.waitClosed(t)
	err := <-errc
	var pe *pgconn.PgError
	if !errors.As(err, &pe) || pe.Code != "57P01" {
		t.Fatalf("want 57P01, got %v", err)
	}
}

// TestCancelAtMaxConns: a CancelRequest arriving while the server is at
// its connection limit still cancels the session's query (57014).
func TestCancelAtMaxConns(t *testing.T) {
	ts := startServer(t, func(o *Options) { o.MaxConns = 1 })
	conn := pgxConnect(t, ts)
	errc := make(chan error, 1)
	go func() {
		_, err := conn.Exec(context.Background(), "SELECT stream", pgx.QueryExecModeSimpleProtocol)
		errc <- err
	}()
	ts.exec.lastStream(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := conn.PgConn().CancelRequest(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "57014" {
			t.Fatalf("want 57014, got %v", err)
		}
	case <-ctx.Done():
		t.Fatal("the query was not cancelled by a CancelRequest at the connection limit")
	}
}
