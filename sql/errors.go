package sql

import "fmt"

// SQLSTATE codes used by Sluice. server maps *Error to an ErrorResponse as is.
const (
	CodeSyntax              = "42601"
	CodeUndefinedTable      = "42P01"
	CodeUndefinedColumn     = "42703"
	CodeDatatypeMismatch    = "42804"
	CodeUndefinedFunction   = "42883"
	CodeDuplicateObject     = "42P07"
	CodeAmbiguousColumn     = "42702"
	CodeGroupingError       = "42803"
	CodeFeatureNotSupported = "0A000"
	CodeInvalidParameter    = "22023"
	CodeNumericOutOfRange   = "22003"
	CodeInvalidText         = "22P02"
	CodeDivisionByZero      = "22012"
	CodeInvalidDatetime     = "22007"
	CodeQueryCanceled       = "57014"
	CodeProtocolViolation   = "08P01"
	CodeInvalidPassword     = "28P01"
	CodeUndefinedObject     = "42704"
	CodeInvalidCursor       = "34000"
	CodeInternal            = "XX000"
	CodeInvalidRowCount     = "2201W" // a negative LIMIT
	CodeCannotCoerce        = "42846" // an impossible CAST
	CodeDuplicateColumn     = "42701"
)

// Error is a user-facing SQL error with its SQLSTATE. Pos is the 1-based
// character position in the query string (0 when unknown).
type Error struct {
	Code    string
	Message string
	Detail  string
	Hint    string
	Pos     int
}

// Error implements error.
func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given SQLSTATE.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}
