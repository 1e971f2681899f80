package ingest

import "errors"

// ErrUnknownTopic is returned (wrapped) when a topic does not exist on the
// cluster. Callers test it with errors.Is.
var ErrUnknownTopic = errors.New("ingest: unknown topic")

// ErrDecode is wrapped by every error the Decoder returns for a record that
// cannot be decoded into the schema; the wrapping message names the field
// and the reason. exec counts or fails on it per on_decode_error.
var ErrDecode = errors.New("ingest: record does not decode")
