package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"golang.org/x/sync/errgroup"
)

// loadSession is one simulated user: a connection running a continuous
// query and a second one running pull queries, since a continuous query
// holds its connection until it is cancelled. The reader goroutine writes
// the push fields, the session goroutine the others; runSessions reads
// them after both groups have been waited for.
type loadSession struct {
	id, key int
	pull    *pgconn.PgConn

	// Written by the reader.
	windows    []loadWindow
	resultSets int
	pushErr    error

	// Written by the session goroutine.
	setupErr, pullErr error
	viewLat, sysLat   []time.Duration
	maxRunning        int64 // most running push queries a pull of sluice.queries saw
}

// loadWindow is one row of a session's continuous query.
type loadWindow struct{ end, n int64 } // window_end µs, count

// loadRun coordinates the sessions. pullG owns the session goroutines
// (setup, then pulls); pushG owns the readers, which the session
// goroutines start, so every pushG.Go happens before pullG.Wait returns.
type loadRun struct {
	cfg          config
	addr         string
	sessions     []*loadSession
	pullG, pushG errgroup.Group
	ready        chan struct{} // one send per session once its setup ended
	pullCtx      context.Context
	abortCtx     context.Context // cancelled when the drain times out
	targetSet    chan struct{}   // closed once target is written
	target       int64           // µs; the last window every query must receive
}

// loadResult is what a load run measured.
type loadResult struct {
	sessions       []*loadSession
	ramp, measured time.Duration
	drain          time.Duration
	steadyStart    time.Time
	steadyEnd      time.Time
	cpu            time.Duration // server CPU over the measured period (its reading at the start, until the end)
	target         int64
	sent           int64
	rss            []rssSample
	peakRSS        int64
	compared       int // windows checked against the view
}

// runSessions opens cfg.sessions sessions, measures for cfg.duration,
// stops the pulls, lets every continuous query receive the last window
// closed by then and cancels them. Every session goroutine has ended
// when it returns. Session failures are recorded in the sessions, not
// returned: the report counts them.
func runSessions(ctx context.Context, srv *server, cfg config, progress io.Writer) (*loadResult, error) {
	pullCtx, stopPulls := context.WithCancel(ctx)
	abortCtx, abort := context.WithCancel(ctx)
	r := &loadRun{cfg: cfg, addr: srv.pgAddr, ready: make(chan struct{}, cfg.sessions),
		pullCtx: pullCtx, abortCtx: abortCtx, targetSet: make(chan struct{})}
	defer func() {
		stopPulls()
		_ = r.pullG.Wait() // errors are in the sessions
		abort()
		_ = r.pushG.Wait()
	}()
	res := &loadResult{}
	if err := r.start(ctx, res, progress); err != nil {
		return nil, err
	}
	if err := r.measure(ctx, srv, res, progress); err != nil {
		return nil, err
	}
	// The pull connections close before the continuous queries are
	// cancelled: each cancel opens a connection of its own, and the
	// server drops a CancelRequest beyond MaxConns.
	stopPulls()
	_ = r.pullG.Wait()
	res.steadyEnd = time.Now()
	res.measured = res.steadyEnd.Sub(res.steadyStart)
	if cpu1, err := readCPU(srv.pid()); err == nil {
		res.cpu = cpu1.total() - res.cpu
	}
	r.setTarget(res)
	fmt.Fprintf(progress, "pulls stopped; waiting for every query to receive the window ending %s...\n", fmtMicros(r.target))
	drainStart := time.Now()
	t := time.AfterFunc(loadDrain, abort)
	_ = r.pushG.Wait()
	t.Stop()
	res.drain = time.Since(drainStart)
	return res, nil
}

// start starts the session goroutines and waits until each has set up
// (or failed to).
func (r *loadRun) start(ctx context.Context, res *loadResult, progress io.Writer) error {
	fmt.Fprintf(progress, "opening %d sessions (%d connections)...\n", r.cfg.sessions, 2*r.cfg.sessions)
	begin := time.Now()
	sem := make(chan struct{}, loadRamp)
	for i := range r.cfg.sessions {
		s := &loadSession{id: i, key: i % loadKeys}
		r.sessions = append(r.sessions, s)
		r.pullG.Go(func() error { return r.session(ctx, s, sem) })
	}
	res.sessions = r.sessions
	for range r.cfg.sessions {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.ready:
		}
	}
	res.ramp = time.Since(begin)
	return nil
}

// measure waits for cfg.duration with every session up, noting the
// server's CPU time at the start.
func (r *loadRun) measure(ctx context.Context, srv *server, res *loadResult, progress io.Writer) error {
	fmt.Fprintf(progress, "all sessions set up in %.1fs; measuring for %s...\n", res.ramp.Seconds(), r.cfg.duration)
	cpu0, err := readCPU(srv.pid())
	if err != nil {
		return err
	}
	res.cpu, res.steadyStart = cpu0.total(), time.Now()
	return sleepCtx(ctx, r.cfg.duration)
}

// setTarget publishes the last window that had closed by the end of the
// measured period (its end + watermark delay ≤ now, in the producer's
// clock): every continuous query must receive it before it is cancelled.
func (r *loadRun) setTarget(res *loadResult) {
	r.target = lastClosedEnd(res.steadyEnd.UnixMicro(), r.cfg.window.Microseconds(), r.cfg.watermarkDelay.Microseconds())
	res.target = r.target
	close(r.targetSet)
}

// lastClosedEnd is the greatest window end E (a multiple of size) with
// E + delay ≤ now, all in µs.
func lastClosedEnd(now, size, delay int64) int64 {
	return floorDiv(now-delay, size) * size
}

// session is one session goroutine: set up, then pull until the
// measured period ends.
func (r *loadRun) session(ctx context.Context, s *loadSession, sem chan struct{}) error {
	err := r.open(ctx, s, sem)
	r.ready <- struct{}{} // buffered for every session
	if err != nil {
		s.setupErr = err
		return err
	}
	if err := r.pullLoop(ctx, s); err != nil {
		s.pullErr = err
		return err
	}
	return nil
}

// open connects both connections of s and starts its continuous query,
// whose reader joins pushG.
func (r *loadRun) open(ctx context.Context, s *loadSession, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-sem }()
	push, err := connect(ctx, r.addr)
	if err != nil {
		return err
	}
	if s.pull, err = connect(ctx, r.addr); err != nil {
		closeConn(push)
		return err
	}
	qctx, cancel := context.WithCancel(ctx)
	mrr := push.Exec(qctx, loadPushQuery(s.key, r.cfg.window))
	r.pushG.Go(func() error {
		defer closeConn(push)
		s.pushErr = r.read(s, mrr, cancel)
		return s.pushErr
	})
	return nil
}

// closeConn sends Terminate; an error would change nothing at the end of
// a session.
func closeConn(c *pgconn.PgConn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.Close(ctx)
}

// read is a session's reader: it reads the continuous query's result
// sets until the query ends, cancelling it once the target window has
// arrived, or when the drain times out.
func (r *loadRun) read(s *loadSession, mrr *pgconn.MultiResultReader, cancel context.CancelFunc) error {
	defer cancel()
	stop := context.AfterFunc(r.abortCtx, cancel)
	defer stop()
	var parseErr error
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		if len(rr.FieldDescriptions()) == 0 {
			continue // the EmptyQueryResponse after each result set
		}
		s.resultSets++
		for rr.NextRow() {
			w, err := parseLoadRow(rr.Values())
			if err != nil && parseErr == nil {
				parseErr = err
				cancel()
			}
			s.windows = append(s.windows, w)
		}
		_, _ = rr.Close() // an error here is the query's, reported by mrr.Close
		if r.reached(s) {
			cancel()
		}
	}
	err := mrr.Close()
	switch {
	case parseErr != nil:
		return parseErr
	case !isQueryCanceled(err):
		return fmt.Errorf("continuous query of session %d ended with %v, want SQLSTATE 57014 after its cancel", s.id, err)
	case !r.reached(s):
		return fmt.Errorf("session %d: the window ending %s did not arrive within %s of the end of the measured period",
			s.id, fmtMicros(r.target), loadDrain)
	}
	return nil
}

// reached reports whether s has received the target window; false until
// the target is set.
func (r *loadRun) reached(s *loadSession) bool {
	select {
	case <-r.targetSet:
		return len(s.windows) > 0 && s.windows[len(s.windows)-1].end >= r.target
	default:
		return false
	}
}

// parseLoadRow reads (window_end, n) in text format.
func parseLoadRow(v [][]byte) (loadWindow, error) {
	if len(v) != 2 {
		return loadWindow{}, fmt.Errorf("continuous query row has %d columns, want 2", len(v))
	}
	end, err := parseTimestamp(string(v[0]))
	if err != nil {
		return loadWindow{}, fmt.Errorf("window_end: %w", err)
	}
	n, err := strconv.ParseInt(string(v[1]), 10, 64)
	if err != nil {
		return loadWindow{}, fmt.Errorf("n: %w", err)
	}
	return loadWindow{end: end.UnixMicro(), n: n}, nil
}

// pullLoop runs a pull query every pull interval, alternating between
// the view and sluice.queries, until the measured period ends. The
// queries run under ctx, not pullCtx, so that the end of the period does
// not cancel one in flight.
func (r *loadRun) pullLoop(ctx context.Context, s *loadSession) error {
	defer closeConn(s.pull)
	// A random phase, so that the sessions' pulls do not arrive in lockstep.
	t := time.NewTimer(rand.N(r.cfg.pullInterval))
	defer t.Stop()
	for i := 0; ; i++ {
		select {
		case <-r.pullCtx.Done():
			return nil
		case <-t.C:
		}
		t.Reset(r.cfg.pullInterval)
		if err := r.pullOnce(ctx, s, i%2 == 0); err != nil {
			return fmt.Errorf("session %d: %w", s.id, err)
		}
	}
}

// pullOnce runs one pull query on s's pull connection and records its
// latency.
func (r *loadRun) pullOnce(ctx context.Context, s *loadSession, view bool) error {
	sql := loadPullQueries
	if view {
		sql = loadPullView(s.key)
	}
	start := time.Now()
	rows, err := queryRows(ctx, s.pull, sql)
	d := time.Since(start)
	if err != nil {
		return err
	}
	if view {
		if len(rows) > 1 || len(rows) == 1 && len(rows[0]) != 2 {
			return fmt.Errorf("%s: got %d rows, want at most 1 of 2 columns", sql, len(rows))
		}
		s.viewLat = append(s.viewLat, d)
		return nil
	}
	if len(rows) != 1 || len(rows[0]) != 1 {
		return fmt.Errorf("%s: want one count", sql)
	}
	n, err := strconv.ParseInt(string(rows[0][0]), 10, 64)
	if err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	s.maxRunning = max(s.maxRunning, n)
	s.sysLat = append(s.sysLat, d)
	return nil
}

// queryRows runs one statement over the simple protocol and returns the
// rows of its single result set.
func queryRows(ctx context.Context, conn *pgconn.PgConn, sql string) ([][][]byte, error) {
	res, err := conn.Exec(ctx, sql).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sql, err)
	}
	if len(res) != 1 {
		return nil, fmt.Errorf("%s: %d result sets, want 1", sql, len(res))
	}
	if res[0].Err != nil {
		return nil, fmt.Errorf("%s: %w", sql, res[0].Err)
	}
	return res[0].Rows, nil
}
