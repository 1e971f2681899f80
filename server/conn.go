package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/sql"
)

// cmdBufferSize bounds the commands the reader may queue ahead of the
// executor. A client that pipelines more than this waits for the executor,
// as with PostgreSQL's socket buffer.
const cmdBufferSize = 64

// flushThreshold is how many encoded bytes are buffered before a result is
// flushed to the client mid-way (PostgreSQL flushes at 8 KiB).
const flushThreshold = 64 << 10

// conn is one client connection: its socket, its session state, and the two
// goroutines that serve it (see doc.go).
type conn struct {
	srv *Server
	id  uint64
	log *slog.Logger

	// nc and be are replaced once, by a TLS upgrade during startup.
	nc net.Conn
	be *pgproto3.Backend

	// pid and secret are the BackendKeyData, fixed at registration.
	pid    uint32
	secret []byte

	// cmds carries commands from the reader to the executor; the reader
	// closes it when it stops.
	cmds chan command

	qmu struct {
		sync.Mutex
		// cancel cancels the running query's context (nil when idle).
		cancel context.CancelFunc
		// gone is set once the client has left (disconnect, Terminate; after
		// a protocol violation, once it disconnects): a query started
		// afterwards, queued behind the one running then, is cancelled at
		// once.
		gone bool
	}

	// Everything below is owned by the executor goroutine.

	parser  sqlFrontend
	sess    session
	stmts   map[string]*prepStmt
	portals map[string]*portal
	// ignoreTillSync is set by an error in the extended protocol: messages
	// up to the next Sync are skipped.
	ignoreTillSync bool
	// pending counts bytes sent since the last flush.
	pending int
	// writeErr is the first error writing to the client; the executor stops.
	writeErr error
	// closing is set when a statement consumed a protocol violation (COPY
	// FROM reads messages itself): the executor stops after reporting it.
	closing bool
}

// serveConn runs one connection to its end. The calling goroutine becomes
// the executor; a second goroutine reads. Both end before serveConn returns.
func (s *Server) serveConn(ctx context.Context, nc net.Conn, id uint64) {
	c := &conn{
		srv:     s,
		id:      id,
		log:     s.log.With("conn_id", id),
		nc:      nc,
		cmds:    make(chan command, cmdBufferSize),
		stmts:   make(map[string]*prepStmt),
		portals: make(map[string]*portal),
	}
	c.be = c.newBackend(nc)
	defer func() { _ = c.nc.Close() }()
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("panic serving connection", "panic", r, "stack", string(debug.Stack()))
			c.be.Send(&pgproto3.ErrorResponse{
				Severity: "FATAL", SeverityUnlocalized: "FATAL",
				Code: sql.CodeInternal, Message: fmt.Sprintf("internal error: %v", r),
			})
			_ = c.be.Flush()
		}
	}()

	if !c.startup(ctx) {
		return
	}
	s.register(c)
	defer s.unregister(c)
	c.sendWelcome()
	if c.flush() != nil {
		return
	}
	c.log.Debug("session started", "user", c.sess.user, "application_name", c.sess.get("application_name"))

	connCtx, cancel := context.WithCancel(c.withSession(ctx))
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { c.readLoop(connCtx) })
	defer wg.Wait()
	// Closing the socket unblocks the reader when the executor ends first.
	defer func() { _ = c.nc.Close() }()
	defer c.closeAll()
	c.execLoop(connCtx)
}

func (c *conn) newBackend(rw io.ReadWriter) *pgproto3.Backend {
	be := pgproto3.NewBackend(rw, rw)
	be.SetMaxBodyLen(c.srv.opts.MaxMessageSize)
	return be
}

// startup runs the startup phase: SSL/GSS negotiation, CancelRequest, the
// StartupMessage and authentication. It reports whether a session begins.
func (c *conn) startup(ctx context.Context) bool {
	_ = c.nc.SetDeadline(time.Now().Add(c.srv.opts.testing.startupTimeout))
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Now()) })
	defer stop()
	tlsDone := false
	for {
		msg, err := c.be.ReceiveStartupMessage()
		if err != nil {
			if !isDisconnect(err) {
				c.log.Info("bad startup packet", "remote", c.nc.RemoteAddr().String(), "err", err)
				c.sendFatal(sql.CodeProtocolViolation, "invalid startup packet: "+err.Error())
			}
			return false
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest:
			if c.srv.tlsConfig == nil || tlsDone {
				if _, err := c.nc.Write([]byte{'N'}); err != nil {
					return false
				}
				continue
			}
			if _, err := c.nc.Write([]byte{'S'}); err != nil {
				return false
			}
			tc := tls.Server(c.nc, c.srv.tlsConfig)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.log.Info("TLS handshake failed", "err", err)
				return false
			}
			c.nc, c.be, tlsDone = tc, c.newBackend(tc), true
		case *pgproto3.GSSEncRequest:
			if _, err := c.nc.Write([]byte{'N'}); err != nil {
				return false
			}
		case *pgproto3.CancelRequest:
			c.srv.cancel(m)
			return false
		case *pgproto3.StartupMessage:
			if !c.startSession(m) {
				return false
			}
			_ = c.nc.SetDeadline(time.Time{})
			return true
		default:
			c.sendFatal(sql.CodeProtocolViolation, fmt.Sprintf("unexpected startup message %T", msg))
			return false
		}
	}
}

// startSession checks the StartupMessage, authenticates and sets up the
// session parameters.
func (c *conn) startSession(m *pgproto3.StartupMessage) bool {
	user := m.Parameters["user"]
	if user == "" {
		c.sendFatal(codeInvalidAuthSpec, "no PostgreSQL user name specified in startup packet")
		return false
	}
	if m.ProtocolVersion != pgproto3.ProtocolVersion30 {
		// We speak 3.0 only: tell a 3.2 client, which then continues with 3.0.
		c.be.Send(&pgproto3.NegotiateProtocolVersion{NewestMinorProtocol: 0})
	}
	c.sess = newSession(user, m.Parameters)
	c.parser = c.srv.newFrontend()
	if c.srv.scram != nil {
		if err := c.authSCRAM(user); err != nil {
			c.log.Info("authentication failed", "user", user, "err", err)
			c.sendFatal(sql.CodeInvalidPassword, fmt.Sprintf("password authentication failed for user %q", user))
			return false
		}
	}
	c.be.Send(&pgproto3.AuthenticationOk{})
	return true
}

// sendWelcome sends the ParameterStatus messages, BackendKeyData and the
// first ReadyForQuery.
func (c *conn) sendWelcome() {
	for _, name := range reportedParams {
		c.be.Send(&pgproto3.ParameterStatus{Name: name, Value: c.sess.get(name)})
	}
	c.be.Send(&pgproto3.BackendKeyData{ProcessID: c.pid, SecretKey: c.secret})
	c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.sess.txn})
}

// isDisconnect reports whether err means the client went away (as opposed
// to sending something malformed).
func isDisconnect(err error) bool {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, io.ErrClosedPipe) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne)
}

// readLoop is the reader goroutine: it decodes frontend messages into
// commands for the executor. It never executes anything, so it notices a
// client that disconnects while a query runs and cancels that query.
func (c *conn) readLoop(ctx context.Context) {
	defer close(c.cmds)
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("panic decoding message", "panic", r, "stack", string(debug.Stack()))
			c.push(ctx, &cmdProtocolError{err: protocolErrorf("invalid message")})
			c.discardUntilGone()
		}
	}()
	for {
		msg, err := c.be.Receive()
		if err != nil {
			switch {
			case ctx.Err() != nil:
			case isDisconnect(err):
				c.log.Debug("client disconnected", "err", err)
				c.clientGone()
			default:
				c.push(ctx, &cmdProtocolError{err: protocolErrorf("invalid frontend message: %v", err)})
				c.discardUntilGone()
			}
			return
		}
		cmd, err := toCommand(msg)
		if err != nil {
			c.push(ctx, &cmdProtocolError{err: err})
			c.discardUntilGone()
			return
		}
		if cmd == nil { // Terminate
			c.clientGone()
			return
		}
		if !c.push(ctx, cmd) {
			return
		}
	}
}

func (c *conn) push(ctx context.Context, cmd command) bool {
	select {
	case c.cmds <- cmd:
		return true
	case <-ctx.Done():
		return false
	}
}

// execLoop is the executor goroutine: it runs commands in order until the
// reader stops (Terminate, disconnect, protocol violation), a write fails,
// or the server shuts down.
func (c *conn) execLoop(ctx context.Context) {
	for {
		var cmd command
		var ok bool
		select {
		case cmd, ok = <-c.cmds:
			if !ok {
				return
			}
		case <-ctx.Done():
			c.sendFatal(codeAdminShutdown, "terminating connection due to administrator command")
			return
		}
		stop := c.runSafely(ctx, cmd)
		if ctx.Err() != nil {
			c.sendFatal(codeAdminShutdown, "terminating connection due to administrator command")
			return
		}
		if stop || c.writeErr != nil || c.closing {
			return
		}
	}
}

// runSafely runs cmd and turns a panic into a FATAL XX000 for this client
// (logged with its stack): the session's state is suspect, so the
// connection closes, but the server and other sessions go on.
func (c *conn) runSafely(ctx context.Context, cmd command) (stop bool) {
	defer func() {
		if r := recover(); r != nil {
			c.log.Error("panic executing command", "panic", r, "stack", string(debug.Stack()))
			c.sendFatal(sql.CodeInternal, fmt.Sprintf("internal error: %v", r))
			stop = true
		}
	}()
	return c.run(ctx, cmd)
}

// run executes one command. It reports whether the connection must close.
func (c *conn) run(ctx context.Context, cmd command) bool {
	if c.ignoreTillSync {
		switch cmd.(type) {
		case *cmdSync, *cmdQuery, *cmdProtocolError:
			c.ignoreTillSync = false
		default:
			return false
		}
	}
	switch cmd := cmd.(type) {
	case *cmdQuery:
		c.simpleQuery(ctx, cmd.sql)
		if ctx.Err() != nil {
			return true // shutting down: execLoop says so
		}
		if c.closing {
			_ = c.flush()
			return true
		}
		c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.sess.txn})
		_ = c.flush()
	case *cmdParse:
		c.extended(ctx, c.parse(cmd))
	case *cmdBind:
		c.extended(ctx, c.bind(ctx, cmd))
	case *cmdDescribe:
		c.extended(ctx, c.describe(cmd))
	case *cmdExecute:
		c.extended(ctx, c.execute(ctx, cmd))
	case *cmdClose:
		c.extended(ctx, c.closeTarget(cmd))
	case *cmdSync:
		c.sync()
		c.be.Send(&pgproto3.ReadyForQuery{TxStatus: c.sess.txn})
		_ = c.flush()
	case *cmdFlush:
		_ = c.flush()
	case *cmdCopyData, *cmdCopyDone, *cmdCopyFail:
	case *cmdUnsupported:
		c.extended(ctx, sql.Errorf(sql.CodeFeatureNotSupported, "%s is not supported", cmd.what))
	case *cmdProtocolError:
		c.log.Info("protocol violation", "err", cmd.err)
		c.sendError(cmd.err)
		_ = c.flush()
		return true
	default:
		panic(fmt.Sprintf("server: unknown command %T", cmd))
	}
	return false
}

// extended finishes an extended-protocol message: on error, report it and
// skip until Sync.
func (c *conn) extended(ctx context.Context, err error) {
	if err == nil || ctx.Err() != nil { // on shutdown execLoop reports instead
		return
	}
	if _, ok := errors.AsType[*protocolError](err); ok {
		// A malformed Bind or Describe is 08P01 but, as in PostgreSQL, an
		// ERROR: the connection stays usable after Sync, and a FATAL
		// would make drivers drop it.
		resp := pgError(c.log, err)
		resp.Severity, resp.SeverityUnlocalized = "ERROR", "ERROR"
		c.be.Send(resp)
		if c.sess.txn == txnInBlock {
			c.sess.txn = txnFailed
		}
	} else {
		c.sendError(err)
	}
	c.ignoreTillSync = true
}

// setRunning records the cancel function of the running query (nil when
// the query ends). CancelRequest and a client disconnect call it through
// cancelQuery.
func (c *conn) setRunning(cancel context.CancelFunc) {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.qmu.cancel = cancel
	if cancel != nil && c.qmu.gone {
		cancel()
	}
}

// discardUntilGone is the reader's end after a protocol violation: the
// queries queued before it still run, so it reads and discards until the
// client leaves or the executor closes the socket, then calls clientGone.
func (c *conn) discardUntilGone() {
	_, _ = io.Copy(io.Discard, c.nc)
	c.clientGone()
}

// clientGone is called when the reader stops: it cancels the running query
// and every query started after it. Nothing reads the socket any more, so
// a continuous query would otherwise never notice that the client left.
func (c *conn) clientGone() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	c.qmu.gone = true
	if c.qmu.cancel != nil {
		c.qmu.cancel()
	}
}

// cancelQuery cancels the running query, if any. Safe from any goroutine.
func (c *conn) cancelQuery() {
	c.qmu.Lock()
	defer c.qmu.Unlock()
	if c.qmu.cancel != nil {
		c.qmu.cancel()
	}
}

// sendError sends the ErrorResponse for err and marks a transaction block
// failed.
func (c *conn) sendError(err error) {
	c.be.Send(pgError(c.log, err))
	if c.sess.txn == txnInBlock {
		c.sess.txn = txnFailed
	}
}

func (c *conn) sendFatal(code, msg string) {
	c.be.Send(&pgproto3.ErrorResponse{Severity: "FATAL", SeverityUnlocalized: "FATAL", Code: code, Message: msg})
	_ = c.flush()
}

// flush writes what is buffered. The first write error is kept and stops
// the executor.
func (c *conn) flush() error {
	c.pending = 0
	if err := c.be.Flush(); err != nil {
		if c.writeErr == nil {
			c.writeErr = err
			c.log.Debug("write failed", "err", err)
		}
		return err
	}
	return nil
}

// closeAll releases every portal (closing continuous queries).
func (c *conn) closeAll() {
	for name, p := range c.portals {
		p.close()
		delete(c.portals, name)
	}
}

// closeTransient releases the portals that end with their transaction:
// all but cursors declared WITH HOLD.
func (c *conn) closeTransient() {
	for name, p := range c.portals {
		if !p.hold {
			p.close()
			delete(c.portals, name)
		}
	}
}
