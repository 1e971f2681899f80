package state

import "errors"

// Sentinel errors. Callers branch on them with errors.Is; every error the
// package returns for these conditions wraps one of them.
var (
	// ErrNotFound is returned by Get and the other point lookups when the
	// key is absent.
	ErrNotFound = errors.New("state: not found")
	// ErrCorrupt is returned when a stored key or value does not decode
	// (a malformed key inside a known prefix) or when Pebble reports
	// corruption. server maps it to SQLSTATE XX001.
	ErrCorrupt = errors.New("state: corrupt")
	// ErrClosed is returned by every method of a Store (and of its
	// batches) after Close has begun.
	ErrClosed = errors.New("state: closed")
)
