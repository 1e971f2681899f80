package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
)

const benchQuery = `SELECT window_end, auction, count(*) AS bids, max(price) AS top ` +
	`FROM bids GROUP BY TUMBLE(date_time, INTERVAL '10 seconds'), auction`

// cancelDeadline is how long a cancelled query may take to end before the
// connection's deadline breaks it.
const cancelDeadline = 10 * time.Second

// pgTimestamp parses PostgreSQL's text form of a timestamp without zone.
const pgTimestamp = "2006-01-02 15:04:05.999999999"

// connect opens a pgconn session. Cancelling the ctx of a running command
// sends a CancelRequest, as psql's Ctrl-C does.
func connect(ctx context.Context, addr string) (*pgconn.PgConn, error) {
	cfg, err := pgconn.ParseConfig("postgres://sluice@" + addr + "/sluice?sslmode=disable")
	if err != nil {
		return nil, fmt.Errorf("pg config: %w", err)
	}
	cfg.BuildContextWatcherHandler = func(c *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: c, DeadlineDelay: cancelDeadline}
	}
	conn, err := pgconn.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", addr, err)
	}
	return conn, nil
}

// execDDL runs one statement over the simple protocol.
func execDDL(ctx context.Context, conn *pgconn.PgConn, stmt string) error {
	if _, err := conn.Exec(ctx, stmt).ReadAll(); err != nil {
		return fmt.Errorf("%s: %w", stmt, err)
	}
	return nil
}

// queryResult is what measure saw.
type queryResult struct {
	resultSets  int   // result sets with rows, up to the last window's
	rows        int64 // rows in them
	sumBids     int64 // sum of the bids column
	windows     int   // distinct window_end values
	wall        time.Duration
	firstResult time.Duration // until the first result set with rows was read
	cpu         cpuTimes      // server CPU over wall
	peakRSS     int64         // server VmHWM, bytes, read right after timing
	endErr      error         // how the query ended after the cancel
}

// measure runs benchQuery and times it until the result set holding the
// window that ends at lastEnd has been read, then cancels the query.
func measure(ctx context.Context, conn *pgconn.PgConn, srv *server, lastEnd time.Time) (queryResult, error) {
	var res queryResult
	cpu0, err := readCPU(srv.pid())
	if err != nil {
		return res, err
	}
	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	mrr := conn.Exec(qctx, benchQuery)
	windows := map[time.Time]struct{}{}
	done := false
	for !done && mrr.NextResult() {
		rr := mrr.ResultReader()
		if len(rr.FieldDescriptions()) == 0 {
			continue // the EmptyQueryResponse after each result set
		}
		if done, err = readResultSet(rr, lastEnd, windows, &res); err != nil {
			cancel()
			return res, errors.Join(err, mrr.Close())
		}
		if res.rows > 0 && res.firstResult == 0 {
			res.firstResult = time.Since(start)
		}
	}
	if !done {
		err := mrr.Close()
		if err == nil {
			err = errors.New("no error")
		}
		return res, fmt.Errorf("query ended before the window ending %s arrived: %w",
			lastEnd.Format(pgTimestamp), err)
	}
	res.wall = time.Since(start)
	cpu1, err := readCPU(srv.pid())
	if err != nil {
		return res, err
	}
	res.cpu = cpu1.sub(cpu0)
	res.windows = len(windows)
	if res.peakRSS, err = readStatusBytes(srv.pid(), "VmHWM"); err != nil {
		return res, err
	}
	cancel()
	res.endErr = mrr.Close()
	if !isQueryCanceled(res.endErr) {
		return res, fmt.Errorf("cancelled query ended with %v, want SQLSTATE 57014", res.endErr)
	}
	return res, nil
}

// readResultSet counts one result set into res and reports whether it
// held the window ending at lastEnd. A window past lastEnd means the
// sentinel's window closed, which the watermark forbids.
func readResultSet(rr *pgconn.ResultReader, lastEnd time.Time, windows map[time.Time]struct{}, res *queryResult) (bool, error) {
	if n := len(rr.FieldDescriptions()); n != 4 {
		return false, fmt.Errorf("result set has %d columns, want 4", n)
	}
	last := false
	for rr.NextRow() {
		v := rr.Values()
		end, err := time.Parse(pgTimestamp, string(v[0]))
		if err != nil {
			return false, fmt.Errorf("window_end: %w", err)
		}
		bids, err := strconv.ParseInt(string(v[2]), 10, 64)
		if err != nil {
			return false, fmt.Errorf("bids: %w", err)
		}
		if end.After(lastEnd) {
			return false, fmt.Errorf("window ending %s closed; the last real window ends %s",
				end.Format(pgTimestamp), lastEnd.Format(pgTimestamp))
		}
		last = last || end.Equal(lastEnd)
		windows[end] = struct{}{}
		res.rows++
		res.sumBids += bids
	}
	if _, err := rr.Close(); err != nil {
		return false, fmt.Errorf("read result set: %w", err)
	}
	res.resultSets++
	return last, nil
}

// isQueryCanceled reports whether err is the server's 57014.
func isQueryCanceled(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "57014"
}
