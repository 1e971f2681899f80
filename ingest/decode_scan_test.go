package ingest

import (
	"math/rand/v2"
	"testing"
)

// TestPlainRun checks the word-at-a-time scan against a byte loop: the run
// it reports holds no special byte, and stops within 8 bytes of the first.
func TestPlainRun(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 }
	r := rand.New(rand.NewPCG(7, 9))
	alphabet := []byte{'a', 'Z', '"', '\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xc3, 0xff, '!', '#', '[', ']'}
	for iter := 0; iter < 20000; iter++ {
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
		n := plainRun(b)
		if n > first || n%8 != 0 || first-n >= 8 && len(b)-n >= 8 {
			t.Fatalf("plainRun(%q) = %d, first special at %d", b, n, first)
		}
	}
}
