package server

// Contract with cmd (implemented in server.go).
//
//	type Options struct {
//	    Listen  string         // default "127.0.0.1:5433"
//	    Engine  *exec.Engine   // required
//	    Logger  *slog.Logger   // nil = discard
//	    Auth    string         // "trust" (default) or "scram"
//	    Users   string         // users file for scram
//	    TLSCert, TLSKey string
//	    MaxConns int           // default 1024; beyond → 53300 too_many_connections
//	}
//	func NewServer(opts Options) (*Server, error)
//	// Serve listens on opts.Listen and serves until ctx is done; then it closes the
//	// listener, cancels every session's query and waits for the connections to end.
//	func (s *Server) Serve(ctx context.Context) error
//	// Addr returns the bound address once listening (nil before); Ready is closed then.
//	func (s *Server) Addr() net.Addr
//	func (s *Server) Ready() <-chan struct{}
