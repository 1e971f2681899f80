package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/sluicedb/sluice/exec"
	"github.com/sluicedb/sluice/sql"
)

// SQLSTATE codes the server produces itself (sql/errors.go has the rest).
const (
	codeTooManyConnections = "53300"
	codeAdminShutdown      = "57P01"
	codeInFailedTxn        = "25P02"
	codeUndefinedParameter = "42P02"
	codeInvalidBinaryData  = "22P03"
	codeInvalidAuthSpec    = "28000"
	codeInvalidPortal      = "34000"
	codeInvalidStatement   = "26000"
	codeDuplicateCursor    = "42P03"
	codeDuplicateStatement = "42P05"
	codeOutOfMemory        = "53200"
	codeTooManyQueries     = "53000"
	codeDataCorrupted      = "XX001"
	codeNotInPrerequisite  = "55000"
	codeDatetimeOverflow   = "22008"
	// Session statements (session.go, session_txn.go).
	codeCantChangeRuntimeParam = "55P02"
	codeActiveTxn              = "25001"
	codeNoActiveTxn            = "25P01"
	codeInvalidSavepoint       = "3B001"
)

// errSendOnly is returned by Decode of messages the server only sends.
var errSendOnly = errors.New("server: message is send-only")

// errorCodes is the one table from error sentinels to SQLSTATE. *sql.Error
// carries its own code and is not listed.
var errorCodes = []struct {
	err  error
	code string
}{
	{context.Canceled, sql.CodeQueryCanceled},
	{context.DeadlineExceeded, sql.CodeQueryCanceled},
	{exec.ErrNumericOverflow, sql.CodeNumericOutOfRange},
	{exec.ErrDivisionByZero, sql.CodeDivisionByZero},
	{exec.ErrInvalidValue, sql.CodeInvalidText},
	{exec.ErrStreamExists, sql.CodeDuplicateObject},
	{exec.ErrUnknownStream, sql.CodeUndefinedTable},
	{exec.ErrDecode, sql.CodeInvalidText},
	{exec.ErrTooManyQueries, codeTooManyQueries},
	{exec.ErrStateLimit, codeOutOfMemory},
	{exec.ErrViewExists, sql.CodeDuplicateObject},
	{exec.ErrUnknownView, sql.CodeUndefinedTable},
	// A persistent query's stored state is damaged, or was written by
	// another plan or format: the query cannot run until it is recreated.
	// Both reach the client through a failed view read or resume.
	{exec.ErrCorruptState, codeDataCorrupted},
	{exec.ErrStateFormat, codeNotInPrerequisite},
	{exec.ErrQueryFailed, codeNotInPrerequisite},
	{exec.ErrInvalidDatetime, sql.CodeInvalidDatetime},
	{exec.ErrDatetimeOverflow, codeDatetimeOverflow},
	{exec.ErrNotSupported, sql.CodeFeatureNotSupported},
}

// namesQuery lists the sentinels whose ErrorResponse message is the whole
// wrapped error: the sentinel alone would not say which persistent query
// failed, and psql hides the detail by default.
var namesQuery = map[error]bool{
	exec.ErrCorruptState: true, exec.ErrStateFormat: true, exec.ErrQueryFailed: true,
}

// protocolError is a client protocol violation (08P01): the connection is
// closed after reporting it.
type protocolError struct{ msg string }

func (e *protocolError) Error() string { return e.msg }

func protocolErrorf(format string, args ...any) error {
	return &protocolError{msg: fmt.Sprintf(format, args...)}
}

// pgError builds the ErrorResponse for err. Errors that map to no SQLSTATE
// are internal (XX000) and logged with the full error, since the client
// only sees the message.
func pgError(log *slog.Logger, err error) *pgproto3.ErrorResponse {
	if se, ok := errors.AsType[*sql.Error](err); ok {
		return &pgproto3.ErrorResponse{
			Severity: "ERROR", SeverityUnlocalized: "ERROR",
			Code: se.Code, Message: se.Message, Detail: se.Detail, Hint: se.Hint,
			Position: int32(se.Pos),
		}
	}
	if pe, ok := errors.AsType[*protocolError](err); ok {
		return &pgproto3.ErrorResponse{
			Severity: "FATAL", SeverityUnlocalized: "FATAL",
			Code: sql.CodeProtocolViolation, Message: pe.msg,
		}
	}
	for _, m := range errorCodes {
		if errors.Is(err, m.err) {
			if de, ok := errors.AsType[*exec.DetailedError](err); ok {
				return &pgproto3.ErrorResponse{Severity: "ERROR", SeverityUnlocalized: "ERROR",
					Code: m.code, Message: de.Msg, Detail: de.Detail, Hint: de.Hint}
			}
			// The message is the sentinel's short text, as PostgreSQL's
			// messages are short; the wrapped chain (which operator, which
			// partition and offset) goes in the detail.
			msg, detail := sentinelText(m.err), err.Error()
			switch {
			case m.code == sql.CodeQueryCanceled:
				msg, detail = "canceling statement due to user request", ""
			case namesQuery[m.err]:
				msg, detail = detail, ""
			}
			if detail == msg || detail == m.err.Error() {
				detail = ""
			}
			return &pgproto3.ErrorResponse{
				Severity: "ERROR", SeverityUnlocalized: "ERROR", Code: m.code, Message: msg, Detail: detail,
			}
		}
	}
	log.Error("internal error", "err", err)
	return &pgproto3.ErrorResponse{
		Severity: "ERROR", SeverityUnlocalized: "ERROR",
		Code: sql.CodeInternal, Message: "internal error: " + err.Error(),
	}
}

// sentinelText is a sentinel's message without its "pkg: " prefix.
func sentinelText(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, ": "); i > 0 && !strings.Contains(msg[:i], " ") {
		return msg[i+2:]
	}
	return msg
}
