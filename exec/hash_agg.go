package exec

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// batchAgg pre-aggregates one batch: rows are grouped by their encoded
// (pane or session, key) and folded into per-batch accumulators, so the
// operator's window state is touched once per group, not once per row.
// All buffers and the map are reused across batches; in steady state the
// only allocation is one key string per new group.
type batchAgg struct {
	enc      keyEncoder
	index    map[string]int32
	keys     []string // group -> encoded key
	rowGroup []int32  // row -> group, -1 for dropped rows
	accs     []accumulator
}

func newBatchAgg(accs []accumulator) *batchAgg {
	return &batchAgg{index: make(map[string]int32), accs: accs}
}

// group assigns every row not marked in drop to a group by its encoded
// key (prefix then key columns), then folds the aggregate arguments.
func (b *batchAgg) group(n int, prefix []int64, keys []arrow.Array, drop []bool, args []arrow.Array) error {
	clear(b.index)
	b.keys = b.keys[:0]
	if err := b.enc.encode(n, prefix, keys); err != nil {
		return err
	}
	b.rowGroup = resizeInt32(b.rowGroup, n)
	for i := range n {
		if drop[i] {
			b.rowGroup[i] = -1
			continue
		}
		k := b.enc.row(i)
		g, ok := b.index[string(k)]
		if !ok {
			g = int32(len(b.keys))
			s := string(k)
			b.index[s] = g
			b.keys = append(b.keys, s)
		}
		b.rowGroup[i] = g
	}
	for a, acc := range b.accs {
		acc.grow(len(b.keys))
		for g := range b.keys {
			acc.reset(int32(g))
		}
		if err := acc.update(b.rowGroup, args[a]); err != nil {
			return err
		}
	}
	return nil
}
