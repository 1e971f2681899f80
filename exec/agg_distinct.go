package exec

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// distinctAcc is exact count(DISTINCT x): one set of encoded values per
// slot. NULLs are not counted.
type distinctAcc struct {
	enc  keyEncoder
	sets []map[string]struct{}
}

func (a *distinctAcc) grow(n int) { a.sets = growSlice(a.sets, n) }

func (a *distinctAcc) reset(s int32) { clear(a.sets[s]) }

func (a *distinctAcc) resetAll(n int) { resetEach(a, n) }

func (a *distinctAcc) mergeAll(dst []int32, other accumulator, src []int32) error {
	return mergeEach(a, dst, other, src)
}

func (a *distinctAcc) mergeRanges(dst []int32, other accumulator, from, to []int32) error {
	return mergeRangesEach(a, dst, other, from, to)
}

func (a *distinctAcc) update(groups []int32, arg arrow.Array) error {
	if err := a.enc.encode(len(groups), nil, []arrow.Array{arg}); err != nil {
		return err
	}
	for i, g := range groups {
		if g < 0 || arg.IsNull(i) {
			continue
		}
		set := a.sets[g]
		if set == nil {
			set = make(map[string]struct{})
			a.sets[g] = set
		}
		if k := a.enc.row(i); !hasKey(set, k) {
			set[string(k)] = struct{}{}
		}
	}
	return nil
}

func hasKey(set map[string]struct{}, k []byte) bool {
	_, ok := set[string(k)] // no allocation for the lookup
	return ok
}

func (a *distinctAcc) merge(dst int32, other accumulator, src int32) error {
	from := other.(*distinctAcc).sets[src]
	if len(from) == 0 {
		return nil
	}
	if a.sets[dst] == nil {
		a.sets[dst] = make(map[string]struct{}, len(from))
	}
	for k := range from {
		a.sets[dst][k] = struct{}{}
	}
	return nil
}

func (a *distinctAcc) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	buf, out := newFixedBuf[int64](mem, len(slots))
	for i, s := range slots {
		out[i] = int64(len(a.sets[s]))
	}
	return makeArray(arrow.PrimitiveTypes.Int64, len(slots), 0, nil, buf), nil
}

func (a *distinctAcc) slotBytes(s int32) int {
	n := 0
	for k := range a.sets[s] {
		n += len(k) + 16
	}
	return n + 48
}

func (a *distinctAcc) appendState(b []byte, s int32) []byte {
	b = binary.AppendUvarint(b, uint64(len(a.sets[s])))
	for k := range a.sets[s] {
		b = appendBytes(b, []byte(k))
	}
	return b
}

func (a *distinctAcc) readState(r *stateReader, s int32) {
	n := r.uvarint()
	if n > uint64(r.len()) { // each value takes at least its length byte
		r.fail("distinct set beyond the chunk")
		return
	}
	if n == 0 {
		return
	}
	set := a.sets[s]
	if set == nil {
		set = make(map[string]struct{}, n)
		a.sets[s] = set
	}
	for range n {
		set[string(r.lenBytes())] = struct{}{}
	}
	if r.err == nil && uint64(len(set)) != n {
		r.fail("distinct set repeats a value")
	}
}

// HyperLogLog with 2^14 registers: standard error 1.04/128 ≈ 0.8%. Slots
// start sparse (a list of register updates) and turn dense past
// hllSparseMax entries, so small groups stay small.
const (
	hllP         = 14
	hllM         = 1 << hllP
	hllSparseMax = 2048
)

// hllAcc is approx_count_distinct. Values hash through their group-key
// encoding (FNV-1a, then a murmur3 finaliser for well-mixed high bits),
// which is stable across processes so sketches could be persisted.
type hllAcc struct {
	enc    keyEncoder
	sparse [][]uint32 // idx<<8 | rho
	dense  [][]uint8
	tmp    []uint8
}

func (a *hllAcc) grow(n int) { a.sparse, a.dense = growSlice(a.sparse, n), growSlice(a.dense, n) }

func (a *hllAcc) reset(s int32) {
	a.sparse[s] = a.sparse[s][:0]
	if a.dense[s] != nil {
		clear(a.dense[s])
	}
}

func (a *hllAcc) resetAll(n int) { resetEach(a, n) }

func (a *hllAcc) mergeAll(dst []int32, other accumulator, src []int32) error {
	return mergeEach(a, dst, other, src)
}

func (a *hllAcc) mergeRanges(dst []int32, other accumulator, from, to []int32) error {
	return mergeRangesEach(a, dst, other, from, to)
}

func (a *hllAcc) add(s int32, idx uint32, rho uint8) {
	if d := a.dense[s]; d != nil && len(a.sparse[s]) == 0 {
		if rho > d[idx] {
			d[idx] = rho
		}
		return
	}
	a.sparse[s] = append(a.sparse[s], idx<<8|uint32(rho))
	if len(a.sparse[s]) > hllSparseMax {
		a.densify(s)
	}
}

// densify folds the sparse list of slot s into its registers.
func (a *hllAcc) densify(s int32) {
	if a.dense[s] == nil {
		a.dense[s] = make([]uint8, hllM)
	}
	d := a.dense[s]
	for _, e := range a.sparse[s] {
		if r := uint8(e); r > d[e>>8] {
			d[e>>8] = r
		}
	}
	a.sparse[s] = a.sparse[s][:0]
}

func hllHash(b []byte) (uint32, uint8) {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	idx := uint32(h >> (64 - hllP))
	rho := uint8(bits.LeadingZeros64(h<<hllP|1<<(hllP-1)) + 1)
	return idx, rho
}

func (a *hllAcc) update(groups []int32, arg arrow.Array) error {
	if err := a.enc.encode(len(groups), nil, []arrow.Array{arg}); err != nil {
		return err
	}
	for i, g := range groups {
		if g >= 0 && arg.IsValid(i) {
			idx, rho := hllHash(a.enc.row(i))
			a.add(g, idx, rho)
		}
	}
	return nil
}

func (a *hllAcc) merge(dst int32, other accumulator, src int32) error {
	o := other.(*hllAcc)
	for _, e := range o.sparse[src] {
		a.add(dst, e>>8, uint8(e))
	}
	if d := o.dense[src]; d != nil {
		a.densify(dst)
		for i, r := range d {
			if r > a.dense[dst][i] {
				a.dense[dst][i] = r
			}
		}
	}
	return nil
}

// hllPow[r] is 2^-r for every register value (rho is at most 64-hllP+1;
// the table covers every uint8 so no stored register can index past it).
var hllPow = func() (t [256]float64) {
	for r := range t {
		t[r] = math.Ldexp(1, -r)
	}
	return t
}()

func (a *hllAcc) estimate(s int32) int64 {
	var sum float64
	var zeros int
	if a.dense[s] == nil {
		sum, zeros = a.sparseSum(s)
	} else {
		sum, zeros = a.denseSum(s)
	}
	m := float64(hllM)
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros)) // linear counting for small sets
	}
	return int64(math.Round(est))
}

// sparseSum is Σ 2^-register and the count of zero registers of a slot
// held only in its sparse list: untouched registers add 1 each, so only
// the listed ones are visited (emitting many small sets stays cheap).
func (a *hllAcc) sparseSum(s int32) (sum float64, zeros int) {
	regs := a.scratchRegs()
	for _, e := range a.sparse[s] {
		if r := uint8(e); r > regs[e>>8] {
			regs[e>>8] = r
		}
	}
	touched := 0
	for _, e := range a.sparse[s] {
		if r := regs[e>>8]; r != 0 { // first visit of this register
			sum += hllPow[r]
			touched++
			regs[e>>8] = 0 // leaves regs cleared for the next call
		}
	}
	return sum + float64(hllM-touched), hllM - touched
}

// denseSum is sparseSum for a slot with dense registers (and possibly
// sparse entries not yet folded in).
func (a *hllAcc) denseSum(s int32) (sum float64, zeros int) {
	regs := a.scratchRegs()
	copy(regs, a.dense[s])
	for _, e := range a.sparse[s] {
		if r := uint8(e); r > regs[e>>8] {
			regs[e>>8] = r
		}
	}
	for i, r := range regs {
		sum += hllPow[r]
		if r == 0 {
			zeros++
		}
		regs[i] = 0
	}
	return sum, zeros
}

// scratchRegs returns the accumulator's all-zero register scratch.
func (a *hllAcc) scratchRegs() []uint8 {
	if a.tmp == nil {
		a.tmp = make([]uint8, hllM)
	}
	return a.tmp
}

func (a *hllAcc) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	buf, out := newFixedBuf[int64](mem, len(slots))
	for i, s := range slots {
		out[i] = a.estimate(s)
	}
	return makeArray(arrow.PrimitiveTypes.Int64, len(slots), 0, nil, buf), nil
}

func (a *hllAcc) slotBytes(s int32) int { return len(a.dense[s]) + 4*cap(a.sparse[s]) + 48 }

// appendState writes the sparse list as is and the registers raw.
func (a *hllAcc) appendState(b []byte, s int32) []byte {
	b = binary.AppendUvarint(b, uint64(len(a.sparse[s])))
	for _, e := range a.sparse[s] {
		b = binary.LittleEndian.AppendUint32(b, e)
	}
	d := a.dense[s]
	if d == nil {
		return append(b, 0)
	}
	return append(append(b, 1), d...)
}

func (a *hllAcc) readState(r *stateReader, s int32) {
	n := r.uvarint()
	if n > hllSparseMax || n > uint64(r.len()/4) {
		r.fail("bad sketch")
		return
	}
	sp := a.sparse[s][:0]
	for range n {
		e := r.u32()
		if e>>8 >= hllM {
			r.fail("bad sketch register")
			return
		}
		sp = append(sp, e)
	}
	a.sparse[s] = sp
	if !r.bool() {
		return
	}
	regs := r.bytes(hllM)
	if r.err != nil {
		return
	}
	if a.dense[s] == nil {
		a.dense[s] = make([]uint8, hllM)
	}
	copy(a.dense[s], regs)
}
