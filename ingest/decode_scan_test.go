package ingest

import (
	"math/rand/v2"
	"testing"
)

// TestSpecialIndex checks the word-at-a-time scan against a byte loop: it
// must find exactly the first special byte, including after bytes (0x7f,
// 0x80, 0xff, 0x20…) that sit next to a threshold of the bit tricks.
func TestSpecialIndex(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	r := rand.New(rand.NewPCG(7, 9))
	alphabet := []byte{'a', 'Z', '"', '\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xc3, 0xff, '!', '#', '[', ']'}
	for range 100000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			if r.IntN(6) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = byte('a' + r.IntN(26))
			}
		}
		first := len(b)
		for i, c := range b {
			if special(c) {
				first = i
				break
			}
		}
		if n := specialIndex(b); n != first {
			t.Fatalf("specialIndex(%q) = %d, first special at %d", b, n, first)
		}
	}
}
