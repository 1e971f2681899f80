package exec

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
)

// groupTable gives each distinct encoded group key a dense id (gid) that
// stays the same across batches for as long as something holds it, so the
// window state is keyed by (window, gid) and no key is re-encoded, copied
// or allocated per batch. Keys live back to back in one arena; the table
// is open addressing with linear probing over gid+1 (0 = empty).
//
// Ids are reference counted by the window slots that use them. When the
// last reference goes, the id leaves the table, goes on a free list for
// reuse and its arena bytes become dead; the arena is compacted (into a
// spare buffer, swapped) once dead bytes outweigh live ones, so it is
// bounded by about twice the live keys rather than growing with every key
// ever seen.
//
// A table entry packs the key's hash and id into 8 bytes, so the table of
// a thousand keys fits in L1; ids also keep their key's first 16 bytes
// beside the arena, so keys of up to 16 bytes (one or two fixed-width
// columns) are compared without reading the arena.
type groupTable struct {
	slots []uint64  // hash<<32 | gid+1, 0 = empty; len is a power of two
	words []keyHead // gid -> first 16 key bytes
	hash  []uint32  // gid -> hash of its key
	off   []int     // gid -> offset of its key in arena
	klen  []int32   // gid -> key length, -1 when the id is free
	refs  []int32   // gid -> holders
	free  []int32
	live  int // ids in use

	arena, spare []byte
	dead         int // arena bytes of freed keys
}

const groupArenaSlack = 64 << 10 // dead arena bytes tolerated before compacting

// keyHead is a key's first 16 bytes, little endian, zero padded.
type keyHead struct{ w0, w1 uint64 }

func newGroupTable() *groupTable { return &groupTable{slots: make([]uint64, 64)} }

// ids returns one past the largest id handed out so far (ids are dense).
func (t *groupTable) ids() int { return len(t.klen) }

// key returns the encoded key of live id g; valid until the next add or compaction.
func (t *groupTable) key(g int32) []byte {
	o := t.off[g]
	return t.arena[o : o+int(t.klen[g])]
}

// keyWords returns the first 16 bytes of k, little endian and zero
// padded. When k has 16 bytes of capacity it loads whole words and masks
// (the key encoder leaves that slack).
func keyWords(k []byte) (w0, w1 uint64) {
	n := len(k)
	if n >= 16 {
		return binary.LittleEndian.Uint64(k), binary.LittleEndian.Uint64(k[8:])
	}
	if cap(k) < 16 {
		var b [16]byte
		copy(b[:], k)
		return binary.LittleEndian.Uint64(b[:]), binary.LittleEndian.Uint64(b[8:])
	}
	e := k[:16]
	w0, w1 = binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:])
	if n < 8 {
		return w0 & (1<<(8*n) - 1), 0
	}
	return w0, w1 & (1<<(8*(n-8)) - 1)
}

// hashKey hashes an encoded key given its first words, so the low bits
// used for probing are well mixed. Keys of up to 16 bytes take one
// 128-bit multiply; longer keys a multiply-rotate mix, their bytes past
// 16 folded 8 at a time, and a murmur3 finaliser.
func hashKey(k []byte, w0, w1 uint64) uint32 {
	if len(k) <= 16 {
		return hashShort(w0, w1, len(k))
	}
	h := w0*0x9e3779b97f4a7c15 ^ bits.RotateLeft64(w1*0xc2b2ae3d27d4eb4f, 29) ^ uint64(len(k))
	rest := k[16:]
	for len(rest) >= 8 {
		h = bits.RotateLeft64(h^binary.LittleEndian.Uint64(rest)*0xc2b2ae3d27d4eb4f, 31) * 0x9e3779b97f4a7c15
		rest = rest[8:]
	}
	for i, b := range rest {
		h ^= uint64(b) << (8 * i) * 0xff51afd7ed558ccd
	}
	return uint32(fmix64(h))
}

// hashShort is hashKey of a key of n <= 16 bytes: one 128-bit multiply of
// the two words (the wyhash mix). Neither factor is ever 0: a key starts
// with a flag byte (or is empty), and the top bit of the second is set,
// which only pairs keys differing in the top bit of byte 15.
func hashShort(w0, w1 uint64, n int) uint32 {
	hi, lo := bits.Mul64(w0^0xa0761d6478bd642f, (w1^0xe7037ed1a0b428db^uint64(n))|1<<63)
	return uint32(hi^lo) ^ uint32((hi^lo)>>32)
}

func fmix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// findOrAdd returns the id of key k, adding it with no references when
// new (added reports that).
func (t *groupTable) findOrAdd(k []byte) (g int32, added bool) {
	w0, w1 := keyWords(k)
	if len(k) <= 16 {
		return t.findOrAddShort(w0, w1, len(k))
	}
	h := hashKey(k, w0, w1)
	mask := uint32(len(t.slots) - 1)
	i := h & mask
	for {
		e := t.slots[i]
		if e == 0 {
			break
		}
		if uint32(e>>32) == h {
			g := int32(uint32(e)) - 1
			if w := t.words[g]; w.w0 == w0 && w.w1 == w1 && bytes.Equal(t.key(g), k) {
				return g, false
			}
		}
		i = (i + 1) & mask
	}
	g = t.newID(k, h)
	t.words[g] = keyHead{w0, w1}
	t.slots[i] = uint64(h)<<32 | uint64(g+1)
	if 4*t.live > len(t.slots) { // load <= 1/4: short probes
		t.rehash(2 * len(t.slots))
	}
	return g, true
}

// findOrAddShort is findOrAdd of the key of n <= 16 bytes whose words
// (keyWords) are w0, w1: the zero-padded words are the whole key (the
// encoding is prefix-free, so equal words mean equal keys) and no bytes
// are read.
func (t *groupTable) findOrAddShort(w0, w1 uint64, n int) (g int32, added bool) {
	h := hashShort(w0, w1, n)
	mask := uint32(len(t.slots) - 1)
	i := h & mask
	for {
		e := t.slots[i]
		if e == 0 {
			break
		}
		if uint32(e>>32) == h {
			g := int32(uint32(e)) - 1
			if w := t.words[g]; w.w0 == w0 && w.w1 == w1 {
				return g, false
			}
		}
		i = (i + 1) & mask
	}
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:], w0)
	binary.LittleEndian.PutUint64(b[8:], w1)
	g = t.newID(b[:n], h)
	t.words[g] = keyHead{w0, w1}
	t.slots[i] = uint64(h)<<32 | uint64(g+1)
	if 4*t.live > len(t.slots) { // load <= 1/4: short probes
		t.rehash(2 * len(t.slots))
	}
	return g, true
}

func (t *groupTable) newID(k []byte, h uint32) int32 {
	var g int32
	if n := len(t.free); n > 0 {
		g = t.free[n-1]
		t.free = t.free[:n-1]
	} else {
		g = int32(len(t.klen))
		t.hash = append(t.hash, 0)
		t.words = append(t.words, keyHead{})
		t.off = append(t.off, 0)
		t.klen = append(t.klen, 0)
		t.refs = append(t.refs, 0)
	}
	t.hash[g], t.off[g], t.klen[g], t.refs[g] = h, len(t.arena), int32(len(k)), 0
	t.arena = append(t.arena, k...)
	t.live++
	return g
}

func (t *groupTable) rehash(size int) {
	old := t.slots
	t.slots = make([]uint64, size)
	mask := uint32(size - 1)
	for _, e := range old {
		if e == 0 {
			continue
		}
		i := uint32(e>>32) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = e
	}
}

func (t *groupTable) incref(g int32) { t.refs[g]++ }

// decref drops one reference to g and frees g when it was the last.
func (t *groupTable) decref(g int32) {
	if t.refs[g]--; t.refs[g] == 0 {
		t.remove(g)
	}
}

// sweep frees the ids among gs that nothing references (ids a batch
// created for rows that ended up in no window).
func (t *groupTable) sweep(gs []int32) {
	for _, g := range gs {
		if t.klen[g] >= 0 && t.refs[g] == 0 {
			t.remove(g)
		}
	}
}

// remove takes g out of the table (backward-shift deletion keeps probe
// chains intact without tombstones) and frees its id and arena bytes.
func (t *groupTable) remove(g int32) {
	mask := uint32(len(t.slots) - 1)
	i := t.hash[g] & mask
	for uint32(t.slots[i]) != uint32(g+1) {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		home := uint32(t.slots[j]>>32) & mask
		// Move entry j back to the hole at i unless its home lies
		// cyclically in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.dead += int(t.klen[g])
	t.klen[g] = -1
	t.free = append(t.free, g)
	t.live--
	if t.dead > groupArenaSlack && t.dead > len(t.arena)/2 {
		t.compact()
	}
}

// compact moves the live keys to the spare buffer and swaps the two, so
// steady state reuses both buffers instead of allocating.
func (t *groupTable) compact() {
	out := t.spare[:0]
	for g, l := range t.klen {
		if l < 0 {
			continue
		}
		o := t.off[g]
		t.off[g] = len(out)
		out = append(out, t.arena[o:o+int(l)]...)
	}
	t.spare, t.arena, t.dead = t.arena[:0], out, 0
}

// liveBytes approximates the memory the live ids hold.
func (t *groupTable) liveBytes() int {
	return len(t.arena) - t.dead + t.live*(16+4+8+4+4) + 8*len(t.slots)
}

// reserve makes room for n more ids without rehashing or regrowing.
func (t *groupTable) reserve(n int) {
	size := len(t.slots)
	for size < 4*(t.live+n) {
		size *= 2
	}
	if size > len(t.slots) {
		t.rehash(size)
	}
	t.words = slices.Grow(t.words, n)
	t.hash = slices.Grow(t.hash, n)
	t.off = slices.Grow(t.off, n)
	t.klen = slices.Grow(t.klen, n)
	t.refs = slices.Grow(t.refs, n)
}
