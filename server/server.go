package server

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5/pgproto3"

	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/planner"
	"github.com/sluicedb/sluice/sql"
)

// Options configures a Server. The zero value is valid except for Engine.
type Options struct {
	// Listen is the PostgreSQL wire address. Default "127.0.0.1:5433".
	Listen string
	// Engine runs the statements. Required.
	Engine *exec.Engine
	// Logger receives connection and error logs. Default: discard.
	Logger *slog.Logger
	// Auth is "trust" (default: any user, no password) or "scram"
	// (SCRAM-SHA-256 against Users).
	Auth string
	// Users is the users file for scram: one "user:password" per line;
	// blank lines and lines starting with '#' are ignored.
	Users string
	// TLSCert and TLSKey are PEM files. When both are set, SSLRequest is
	// answered 'S' and the connection is upgraded to TLS. Default: no TLS.
	TLSCert, TLSKey string
	// MaxConns bounds concurrent connections; the next one gets SQLSTATE
	// 53300 and is closed. Default 1024.
	MaxConns int
	// MaxMessageSize bounds a frontend message body in bytes; a larger one is
	// a protocol violation (08P01). Default 64 MiB.
	MaxMessageSize int

	// testing holds test knobs; the zero value means production behaviour.
	testing testingKnobs
}

// testingKnobs replaces the SQL layer in tests.
type testingKnobs struct {
	newFrontend func() sqlFrontend
	executor    executor
	// startupTimeout bounds the startup phase (default 30s).
	startupTimeout time.Duration
}

// EnsureDefaults fills in the defaults of unset fields.
func (o *Options) EnsureDefaults() {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:5433"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Auth == "" {
		o.Auth = "trust"
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 1024
	}
	if o.MaxMessageSize <= 0 {
		o.MaxMessageSize = 64 << 20
	}
	if o.testing.startupTimeout <= 0 {
		o.testing.startupTimeout = 30 * time.Second
	}
}

// Validate reports an invalid combination of options. Call EnsureDefaults first.
func (o *Options) Validate() error {
	if o.Engine == nil && o.testing.executor == nil {
		return errors.New("server: Options.Engine is required")
	}
	switch o.Auth {
	case "trust":
	case "scram":
		if o.Users == "" {
			return errors.New("server: --auth scram needs --users")
		}
	default:
		return fmt.Errorf("server: unknown auth method %q (want trust or scram)", o.Auth)
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("server: --tls-cert and --tls-key go together")
	}
	return nil
}

// sqlFrontend is what a session needs from the SQL parser. A *sql.Parser
// satisfies it; each session has its own because parsers are not safe for
// concurrent use.
type sqlFrontend interface {
	Parse(query string) ([]sql.Statement, error)
}

// executor is what a session needs from the planner. *planner.Planner
// satisfies it and is safe for concurrent use by all sessions.
type executor interface {
	Prepare(stmt sql.Statement, params []arrow.DataType) (*planner.Prepared, error)
	Execute(ctx context.Context, p *planner.Prepared, params []any) (*planner.Result, error)
}

var (
	_ sqlFrontend = (*sql.Parser)(nil)
	_ executor    = (*planner.Planner)(nil)
)

// Server serves the PostgreSQL wire protocol. Create it with NewServer and
// run it with Serve.
type Server struct {
	opts        Options
	log         *slog.Logger
	exec        executor
	newFrontend func() sqlFrontend
	tlsConfig   *tls.Config
	scram       *scramUsers // nil in trust mode

	ready chan struct{}
	addr  atomic.Pointer[net.Addr]

	// conns counts live connections for MaxConns.
	conns atomic.Int64
	// nextConnID numbers connections for logs.
	nextConnID atomic.Uint64

	mu struct {
		sync.Mutex
		// sessions maps BackendKeyData process IDs to sessions, for
		// CancelRequest.
		sessions map[uint32]*conn
	}
}

// NewServer validates opts and returns a Server. It loads the TLS key pair
// and the users file now, so that configuration errors surface at start.
func NewServer(opts Options) (*Server, error) {
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	s := &Server{opts: opts, log: opts.Logger, ready: make(chan struct{})}
	s.mu.sessions = make(map[uint32]*conn)
	if opts.testing.executor != nil {
		s.exec = opts.testing.executor
	} else {
		s.exec = planner.New(opts.Engine)
	}
	s.newFrontend = opts.testing.newFrontend
	if s.newFrontend == nil {
		s.newFrontend = func() sqlFrontend { return sql.NewParser() }
	}
	if opts.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(opts.TLSCert, opts.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("server: loading TLS key pair: %w", err)
		}
		s.tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	if opts.Auth == "scram" {
		users, err := loadUsers(opts.Users)
		if err != nil {
			return nil, err
		}
		s.scram = users
	}
	return s, nil
}

// Addr returns the bound address once Serve listens, nil before.
func (s *Server) Addr() net.Addr {
	if a := s.addr.Load(); a != nil {
		return *a
	}
	return nil
}

// Ready is closed once Serve listens (Addr is then set).
func (s *Server) Ready() <-chan struct{} { return s.ready }

// Serve listens on opts.Listen and serves until ctx is done; then it closes
// the listener, cancels every session's query and waits for the connections
// to end. It returns nil after a shutdown by ctx.
func (s *Server) Serve(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Listen)
	if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	addr := ln.Addr()
	s.addr.Store(&addr)
	close(s.ready)
	s.log.Info("listening", "addr", addr.String())

	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()

	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			_ = ln.Close()
			return fmt.Errorf("server: accept: %w", err)
		}
		id := s.nextConnID.Add(1)
		n := s.conns.Add(1)
		wg.Go(func() {
			defer s.conns.Add(-1)
			if n > int64(s.opts.MaxConns) {
				s.reject(nc, id)
				return
			}
			s.serveConn(ctx, nc, id)
		})
	}
}

// reject answers a connection beyond MaxConns with 53300 once it has sent
// its startup packet, then closes it.
func (s *Server) reject(nc net.Conn, id uint64) {
	defer func() { _ = nc.Close() }()
	_ = nc.SetDeadline(time.Now().Add(s.opts.testing.startupTimeout))
	be := pgproto3.NewBackend(nc, nc)
	for {
		msg, err := be.ReceiveStartupMessage()
		if err != nil {
			return
		}
		switch m := msg.(type) {
		case *pgproto3.SSLRequest, *pgproto3.GSSEncRequest:
			if _, err := nc.Write([]byte{'N'}); err != nil {
				return
			}
			continue
		case *pgproto3.CancelRequest:
			// A cancel takes no session: honour it at the connection
			// limit too, as PostgreSQL does, or a client could not stop
			// its own query on a full server.
			s.cancel(m)
		case *pgproto3.StartupMessage:
			s.log.Warn("too many connections", "conn_id", id, "max_conns", s.opts.MaxConns)
			be.Send(&pgproto3.ErrorResponse{
				Severity: "FATAL", SeverityUnlocalized: "FATAL",
				Code: codeTooManyConnections, Message: "sorry, too many clients already",
			})
			_ = be.Flush()
		}
		return
	}
}

// register assigns c a fresh BackendKeyData (process ID and secret) and
// makes it reachable by CancelRequest.
func (s *Server) register(c *conn) {
	var secret [4]byte
	_, _ = rand.Read(secret[:])
	c.secret = secret[:]
	s.mu.Lock()
	defer s.mu.Unlock()
	for {
		var b [4]byte
		_, _ = rand.Read(b[:])
		pid := binary.BigEndian.Uint32(b[:]) & 0x7fffffff
		if _, taken := s.mu.sessions[pid]; pid != 0 && !taken {
			c.pid = pid
			s.mu.sessions[pid] = c
			return
		}
	}
}

func (s *Server) unregister(c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.sessions[c.pid] == c {
		delete(s.mu.sessions, c.pid)
	}
}

// cancel handles a CancelRequest: when pid and secret match a session, its
// running query (if any) is cancelled. As in PostgreSQL, nothing is ever
// answered, so a wrong key reveals nothing.
func (s *Server) cancel(req *pgproto3.CancelRequest) {
	s.mu.Lock()
	c := s.mu.sessions[req.ProcessID]
	s.mu.Unlock()
	if c == nil || subtle.ConstantTimeCompare(c.secret, req.SecretKey) != 1 {
		s.log.Info("cancel request for unknown session", "pid", req.ProcessID)
		return
	}
	s.log.Info("cancel request", "conn_id", c.id, "pid", req.ProcessID)
	c.cancelQuery()
}
