package exec

import (
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

func (a *hllAcc) estimate(s int32) int64 {
	regs := a.tmp
	if regs == nil {
		regs = make([]uint8, hllM)
		a.tmp = regs
	}
	clear(regs)
	if d := a.dense[s]; d != nil {
		copy(regs, d)
	}
	for _, e := range a.sparse[s] {
		if r := uint8(e); r > regs[e>>8] {
			regs[e>>8] = r
		}
	}
	sum, zeros := 0.0, 0
	for _, r := range regs {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	m := float64(hllM)
	est := 0.7213 / (1 + 1.079/m) * m * m / sum
	if est <= 2.5*m && zeros > 0 {
		est = m * math.Log(m/float64(zeros)) // linear counting for small sets
	}
	return int64(math.Round(est))
}

func (a *hllAcc) build(mem memory.Allocator, slots []int32) (arrow.Array, error) {
	buf, out := newFixedBuf[int64](mem, len(slots))
	for i, s := range slots {
		out[i] = a.estimate(s)
	}
	return makeArray(arrow.PrimitiveTypes.Int64, len(slots), 0, nil, buf), nil
}

func (a *hllAcc) slotBytes(s int32) int { return len(a.dense[s]) + 4*cap(a.sparse[s]) + 48 }
