// Package server speaks the PostgreSQL wire protocol (v3) for Sluice.
//
// # Layers
//
// From the socket inwards:
//
//   - server.go: the accept loop. Serve listens, bounds concurrent
//     connections (beyond Options.MaxConns a client gets 53300 after its
//     startup packet) and keeps the registry of BackendKeyData keys that
//     CancelRequest uses.
//   - conn.go: one conn per client. Startup (SSLRequest/GSSENCRequest are
//     answered 'N', or 'S' and a TLS upgrade when a key pair is configured;
//     CancelRequest; StartupMessage), authentication (trust, or
//     SCRAM-SHA-256 in auth.go), ParameterStatus, BackendKeyData.
//   - commands.go: the reader turns each frontend message into a command,
//     copying what it needs (pgproto3 reuses its buffers).
//   - query.go, extended.go, cursor.go: the executor runs commands: the
//     simple protocol (Query), the extended protocol (Parse, Bind, Describe,
//     Execute, Close, Sync, Flush) and SQL cursors (DECLARE/FETCH/CLOSE,
//     which psql's FETCH_COUNT uses). Session statements (SET, SHOW
//     <param>, BEGIN/COMMIT/ROLLBACK) are answered by session.go; every
//     other statement is prepared and executed by the planner.
//   - command_result.go and types.go: results. A rowSource reads a finite
//     result or a continuous stream forward; types.go maps Arrow types to
//     PostgreSQL OIDs and encodes whole Arrow columns straight into the
//     send buffer as text or binary DataRows.
//   - errors.go: the one table from errors to SQLSTATEs.
//
// # Connection lifecycle
//
// Each connection has two goroutines, both owned by its conn and both
// finished before serveConn returns:
//
//   - The reader decodes messages and queues commands in a bounded buffer
//     (cmdBufferSize). It never executes anything, so while a query runs it
//     is blocked in Receive and notices at once when the client goes away.
//   - The executor (the goroutine that accepted the connection) takes
//     commands in order, runs them and writes every response: it is the only
//     writer of the socket after startup.
//
// A connection ends in one of four ways:
//
//  1. Terminate: the reader cancels the running query (if any) and any
//     query started after it, and closes the command buffer; the executor
//     drains it and returns.
//  2. The client disconnects: the reader gets EOF, cancels the running
//     query (so a continuous query's stream is closed at once rather than
//     at its next write) and every query queued behind it as it starts,
//     and closes the buffer. (A client that queues more commands than the
//     buffer holds behind a blocking query is noticed only at the next
//     write, or by CancelRequest: the reader waits for buffer space.)
//  3. A protocol violation (unknown message, message larger than
//     Options.MaxMessageSize, malformed content): the reader queues it,
//     then reads and discards until the client leaves or the socket
//     closes; the executor runs what was queued before it, answers
//     FATAL 08P01 and returns, closing the socket.
//  4. Server shutdown (Serve's context is done): the running query's
//     context is cancelled; the executor answers FATAL 57P01 and returns.
//
// A write error also stops the executor. When the executor returns, the
// socket is closed, which unblocks the reader. A panic while running a
// command is recovered, logged with its stack and answered FATAL XX000;
// only that connection closes.
//
// # Continuous queries
//
// Over the simple protocol, each micro-batch that has rows is sent as a
// complete result set (RowDescription, DataRows, CommandComplete "SELECT n")
// followed by EmptyQueryResponse, and flushed; psql needs the
// EmptyQueryResponse to print a result set as soon as it arrives (SPEC §2).
// ReadyForQuery is sent only when the query ends: by LIMIT (the stream's
// io.EOF), by cancellation (57014) or by an error. Over the extended
// protocol a portal streams DataRows across micro-batches; Execute with a
// row limit answers PortalSuspended and the next Execute resumes. The
// stream is always closed: at the end of the statement, or when its portal
// is closed (Close, Sync outside a transaction block, end of session).
//
// # Cancellation
//
// A running query has a context; conn.setRunning publishes its cancel
// function. CancelRequest, which arrives on a separate connection, looks the
// key up in the server's registry and calls it, as does the reader on a
// disconnect. The query then fails with 57014 "canceling statement due to
// user request" and the session stays usable. A portal's query lives in the
// portal's context, so that a continuous query survives between Execute
// messages; cancelling it ends the portal.
//
// # Errors
//
// Every error reaches the client as an ErrorResponse built by pgError:
// *sql.Error keeps its SQLSTATE, message, detail, hint and position (a
// planner error in the second statement of a query string is shifted to its
// position in the whole string); exec's sentinels and context cancellation
// map through errorCodes; anything else is XX000 and logged. In a
// transaction block an error moves the status to 'E' until ROLLBACK. In the
// extended protocol messages are skipped until Sync after an error.
//
// # Debugging
//
// Every log line carries conn_id. Tests drive the server with pgx and with
// pgtest files (testdata/pgtest) that show the exact message exchange.
package server
