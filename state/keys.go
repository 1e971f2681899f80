package state

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
)

// Keyspace prefixes. The first byte of every key says which family it
// belongs to, so a scan of one family can never see another (doc.go has the
// full layout).
const (
	prefixCatalog    byte = 0x01
	prefixWindow     byte = 0x02
	prefixCheckpoint byte = 0x03
	prefixOffsetLog  byte = 0x04
	prefixSnapshot   byte = 0x05
	prefixViewRows   byte = 0x06
	prefixSpill      byte = 0x07 // scratch, not durable (spill.go)
)

// String escaping. A string component is written with every 0x00 byte
// replaced by 0x00 0xFF and terminated by 0x00 0x01. The terminator sorts
// below every escaped or plain continuation, so "a" < "a\x00" < "ab" holds
// for the encodings too, and no encoded string is a prefix of another.
const (
	escByte     byte = 0x00
	escEscaped  byte = 0xFF
	escTerm     byte = 0x01
	windowFixed      = 4 + 8 + 8 // op, end, start
)

// appendString appends the escaped, terminated encoding of s.
func appendString(dst []byte, s string) []byte {
	for {
		i := strings.IndexByte(s, escByte)
		if i < 0 {
			dst = append(dst, s...)
			return append(dst, escByte, escTerm)
		}
		dst = append(dst, s[:i]...)
		dst = append(dst, escByte, escEscaped)
		s = s[i+1:]
	}
}

// decodeString decodes a component written by appendString and returns the
// rest of b.
func decodeString(b []byte) (s string, rest []byte, err error) {
	var out []byte
	for {
		i := bytes.IndexByte(b, escByte)
		if i < 0 || i+1 >= len(b) {
			return "", nil, fmt.Errorf("%w: unterminated string component", ErrCorrupt)
		}
		out = append(out, b[:i]...)
		switch b[i+1] {
		case escTerm:
			return string(out), b[i+2:], nil
		case escEscaped:
			out = append(out, escByte)
			b = b[i+2:]
		default:
			return "", nil, fmt.Errorf("%w: bad escape 0x%02x in string component", ErrCorrupt, b[i+1])
		}
	}
}

// appendInt64 appends v big-endian with the sign bit flipped, so negative
// values (times before 1970) sort before positive ones bytewise.
func appendInt64(dst []byte, v int64) []byte {
	return binary.BigEndian.AppendUint64(dst, uint64(v)^(1<<63))
}

func decodeInt64(b []byte) int64 {
	return int64(binary.BigEndian.Uint64(b) ^ (1 << 63))
}

// WindowKeyPrefix returns the prefix shared by every window-state key of one
// operator of one query. It is the inclusive lower bound of a scan over that
// operator's windows.
func WindowKeyPrefix(query string, op uint32) []byte {
	return opKeyPrefix(prefixWindow, query, op)
}

// opKeyPrefix is the prefix of one operator's (window, group) entries in
// family prefix: the window state and the spill share this layout.
func opKeyPrefix(prefix byte, id string, op uint32) []byte {
	dst := appendString([]byte{prefix}, id)
	return binary.BigEndian.AppendUint32(dst, op)
}

// AppendWindowKey appends to dst the key of one (window, group) entry:
// (query id, operator id, window end µs, window start µs, group key bytes).
// Byte order of the keys equals the order of these tuples, so a scan from
// WindowKeyPrefix to WindowKeyUpperBound(watermark) visits exactly the
// windows that ended at or before the watermark, ordered by end.
func AppendWindowKey(dst []byte, query string, op uint32, end, start int64, group []byte) []byte {
	return appendOpKey(dst, prefixWindow, query, op, end, start, group)
}

// appendOpKey appends the key of one (window, group) entry of operator op
// of id in family prefix (see AppendWindowKey for the order it keeps).
func appendOpKey(dst []byte, prefix byte, id string, op uint32, end, start int64, group []byte) []byte {
	dst = append(dst, prefix)
	dst = appendString(dst, id)
	dst = binary.BigEndian.AppendUint32(dst, op)
	dst = appendInt64(dst, end)
	dst = appendInt64(dst, start)
	return append(dst, group...)
}

// DecodeWindowKey splits a key written by AppendWindowKey. The returned
// group aliases k. A key that is not a well-formed window key yields an
// error wrapping ErrCorrupt.
func DecodeWindowKey(k []byte) (query string, op uint32, end, start int64, group []byte, err error) {
	if len(k) == 0 || k[0] != prefixWindow {
		return "", 0, 0, 0, nil, fmt.Errorf("%w: not a window key", ErrCorrupt)
	}
	query, rest, err := decodeString(k[1:])
	if err != nil {
		return "", 0, 0, 0, nil, fmt.Errorf("window key query id: %w", err)
	}
	if len(rest) < windowFixed {
		return "", 0, 0, 0, nil, fmt.Errorf("%w: window key too short", ErrCorrupt)
	}
	op = binary.BigEndian.Uint32(rest)
	end = decodeInt64(rest[4:])
	start = decodeInt64(rest[12:])
	return query, op, end, start, rest[windowFixed:], nil
}

// WindowKeyUpperBound returns the smallest key greater than every window key
// of (query, op) whose window end is ≤ end: the exclusive upper bound of the
// scan that finds the windows closed by a watermark of end.
func WindowKeyUpperBound(query string, op uint32, end int64) []byte {
	return prefixSuccessor(appendInt64(WindowKeyPrefix(query, op), end))
}

// QueryKeyRange returns [lo, hi) covering every window-state key of query,
// across all its operators; DeleteRange over it drops the query's state.
func QueryKeyRange(query string) (lo, hi []byte) {
	lo = appendString([]byte{prefixWindow}, query)
	return lo, prefixSuccessor(lo)
}

// prefixSuccessor returns the smallest key greater than every key that has
// p as a prefix (nil if there is none, meaning "unbounded").
func prefixSuccessor(p []byte) []byte {
	out := bytes.Clone(p)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] != 0xFF {
			out[i]++
			return out[:i+1]
		}
	}
	return nil
}
