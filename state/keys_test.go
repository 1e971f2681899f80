package state

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// windowTuple is the decoded form of a window key, compared field by field.
type windowTuple struct {
	query      string
	op         uint32
	end, start int64
	group      []byte
}

func (a windowTuple) compare(b windowTuple) int {
	return cmp.Or(
		strings.Compare(a.query, b.query),
		cmp.Compare(a.op, b.op),
		cmp.Compare(a.end, b.end),
		cmp.Compare(a.start, b.start),
		bytes.Compare(a.group, b.group),
	)
}

func (a windowTuple) key() []byte {
	return AppendWindowKey(nil, a.query, a.op, a.end, a.start, a.group)
}

func (a windowTuple) String() string {
	return fmt.Sprintf("%q %d %d %d %q", a.query, a.op, a.end, a.start, a.group)
}

// parseTuple reads `query op end start group`; query and group are Go
// quoted strings so NUL and 0xFF bytes can be written.
func parseTuple(t *testing.T, line string) windowTuple {
	t.Helper()
	f := strings.Fields(line)
	if len(f) != 5 {
		t.Fatalf("want 5 fields in %q", line)
	}
	op, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		t.Fatal(err)
	}
	return windowTuple{
		query: mustUnquote(t, f[0]), op: uint32(op),
		end: mustInt(t, f[2]), start: mustInt(t, f[3]),
		group: []byte(mustUnquote(t, f[4])),
	}
}

func TestKeysGolden(t *testing.T) {
	datadriven.RunTest(t, "testdata/keys", func(t *testing.T, d *datadriven.TestData) string {
		var out []string
		for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
			out = append(out, runKeyCmd(t, d.Cmd, line)...)
		}
		if d.Cmd == "sort" {
			out = sortByKey(t, d.Input)
		}
		return strings.Join(out, "\n")
	})
}

func runKeyCmd(t *testing.T, cmd, line string) []string {
	switch cmd {
	case "encode":
		tu := parseTuple(t, line)
		return []string{fmt.Sprintf("%x", tu.key())}
	case "decode":
		q, op, end, start, group, err := DecodeWindowKey(mustHex(t, line))
		if err != nil {
			return []string{errLine(err)}
		}
		return []string{windowTuple{q, op, end, start, group}.String()}
	case "upper-bound":
		// `query op end`: prints the bound.
		tu := parseTuple(t, line+" 0 \"\"")
		return []string{fmt.Sprintf("%x", WindowKeyUpperBound(tu.query, tu.op, tu.end))}
	case "sort":
		return nil
	}
	t.Fatalf("unknown command %q", cmd)
	return nil
}

// sortByKey sorts tuples by their encoded keys and checks that this is
// also tuple order.
func sortByKey(t *testing.T, input string) []string {
	var tuples []windowTuple
	for _, line := range strings.Split(strings.TrimSpace(input), "\n") {
		tuples = append(tuples, parseTuple(t, line))
	}
	slices.SortFunc(tuples, func(a, b windowTuple) int { return bytes.Compare(a.key(), b.key()) })
	var out []string
	for i, tu := range tuples {
		out = append(out, tu.String())
		if i > 0 && tuples[i-1].compare(tu) > 0 {
			out = append(out, "^ ORDER VIOLATION: key order differs from tuple order")
		}
	}
	return out
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustUnquote(t *testing.T, s string) string {
	t.Helper()
	u, err := strconv.Unquote(s)
	if err != nil {
		t.Fatalf("unquote %s: %v", s, err)
	}
	return u
}

// FuzzKeyCodec checks that window keys round-trip and that bytewise key
// order equals tuple order, including the upper bound used for scans.
func FuzzKeyCodec(f *testing.F) {
	f.Add("q1", uint32(1), int64(10), int64(0), []byte("a"), "q10", uint32(1), int64(10), int64(0), []byte("a"))
	f.Add("q", uint32(0), int64(-1), int64(-11), []byte{}, "q", uint32(0), int64(0), int64(-10), []byte{0})
	f.Add("a\x00", uint32(7), int64(1<<62), int64(-1<<63), []byte{0xff}, "a", uint32(7), int64(-1<<63), int64(1<<63-1), []byte{0x00, 0x01})
	f.Add("", uint32(1<<32-1), int64(1<<63-1), int64(1<<63-1), []byte{0xff, 0xff}, "\x00\x01", uint32(0), int64(0), int64(0), []byte(nil))
	f.Fuzz(func(t *testing.T, q1 string, op1 uint32, e1, s1 int64, g1 []byte, q2 string, op2 uint32, e2, s2 int64, g2 []byte) {
		a := windowTuple{q1, op1, e1, s1, g1}
		b := windowTuple{q2, op2, e2, s2, g2}
		ka, kb := a.key(), b.key()
		for _, c := range []struct {
			tu windowTuple
			k  []byte
		}{{a, ka}, {b, kb}} {
			q, op, end, start, group, err := DecodeWindowKey(c.k)
			got := windowTuple{q, op, end, start, group}
			if err != nil || got.compare(c.tu) != 0 {
				t.Fatalf("round trip of %v = %v, %v", c.tu, got, err)
			}
		}
		if got, want := bytes.Compare(ka, kb), a.compare(b); got != want {
			t.Fatalf("key order %d != tuple order %d for %v vs %v", got, want, a, b)
		}
		checkUpperBound(t, a, b, kb)
	})
}

// checkUpperBound: b's key is below a's (query, op, end) bound exactly when
// b's (query, op, end) prefix is ≤ a's.
func checkUpperBound(t *testing.T, a, b windowTuple, kb []byte) {
	ub := WindowKeyUpperBound(a.query, a.op, a.end)
	if ub != nil && bytes.Compare(a.key(), ub) >= 0 {
		t.Fatalf("key of %v not below its own upper bound", a)
	}
	prefixCmp := cmp.Or(strings.Compare(b.query, a.query), cmp.Compare(b.op, a.op), cmp.Compare(b.end, a.end))
	below := ub == nil || bytes.Compare(kb, ub) < 0
	if below != (prefixCmp <= 0) {
		t.Fatalf("bound(%q,%d,%d)=%x: key of %v below=%t", a.query, a.op, a.end, ub, b, below)
	}
}
