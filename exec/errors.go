package exec

import "errors"

// Sentinel errors. server/errors.go maps each to its SQLSTATE; wrap them
// with %w and context.
var (
	// ErrClosed: the engine or query is closed.
	ErrClosed = errors.New("exec: closed")
	// ErrNumericOverflow: integer arithmetic or sum overflowed (22003).
	ErrNumericOverflow = errors.New("exec: integer out of range")
	// ErrDivisionByZero: x / 0 or x % 0 on integers (22012).
	ErrDivisionByZero = errors.New("exec: division by zero")
	// ErrInvalidValue: a cast or function got a value it cannot convert (22P02).
	ErrInvalidValue = errors.New("exec: invalid input value")
	// ErrStreamExists: CREATE STREAM of an existing name (42P07).
	ErrStreamExists = errors.New("exec: stream already exists")
	// ErrUnknownStream: no stream of that name (42P01).
	ErrUnknownStream = errors.New("exec: stream does not exist")
	// ErrDecode: a record failed to decode under on_decode_error = 'fail' (22P02).
	ErrDecode = errors.New("exec: record does not decode")
	// ErrTooManyQueries: the engine's query limit is reached (53000).
	ErrTooManyQueries = errors.New("exec: too many running queries")
	// ErrStateLimit: a query's in-memory state exceeds its bound (53200).
	ErrStateLimit = errors.New("exec: query state exceeds memory limit")
	// ErrViewExists: CREATE MATERIALIZED VIEW of a name already used by a
	// view or stream (42P07).
	ErrViewExists = errors.New("exec: relation already exists")
	// ErrUnknownView: no materialized view of that name (42P01).
	ErrUnknownView = errors.New("exec: materialized view does not exist")
	// ErrQueryFailed: a persistent query has failed (or never started), so
	// its view cannot be read; the error names the query and its cause.
	ErrQueryFailed = errors.New("exec: persistent query failed")
	// ErrInvalidDatetime: text does not match a date/time template (22007).
	ErrInvalidDatetime = errors.New("exec: invalid datetime format")
	// ErrDatetimeOverflow: a date/time field or result is out of range (22008).
	ErrDatetimeOverflow = errors.New("exec: date/time field value out of range")
	// ErrNotSupported: a feature Sluice does not implement (0A000).
	ErrNotSupported = errors.New("exec: not supported")
)

// DetailedError is an error worded as PostgreSQL words it: the server
// sends Msg, Detail and Hint as they are, under the SQLSTATE of Err (one
// of the sentinels above). Error is Msg alone, since Msg is complete.
type DetailedError struct {
	Err               error
	Msg, Detail, Hint string
}

func (e *DetailedError) Error() string { return e.Msg }
func (e *DetailedError) Unwrap() error { return e.Err }
