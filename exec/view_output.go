package exec

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/sluicedb/sluice/state"
)

// viewChunkRows is the most rows one stored view-row chunk holds.
const viewChunkRows = 1 << 16

// pendingRowBytes converts pending bytes into rows for the early
// checkpoint bound: maxPendingRows rows or 64 MiB, whichever comes first.
const pendingRowBytes = 64

// viewOutput keeps a materialized view's output rows: the rows of batches
// since the last checkpoint in memory (pending), and at each checkpoint
// writes them as Arrow IPC chunks, numbered from 1, into the checkpoint's
// Pebble batch. Views whose rows are the current values of a running
// aggregate store nothing (keep false): ScanView takes them from the
// pipeline.
type viewOutput struct {
	id     string
	store  *state.Store
	mem    memory.Allocator
	schema *arrow.Schema
	keep   bool
	// pending are the retained rows emitted since the last checkpoint.
	pending      []arrow.RecordBatch
	rows, nbytes int64
	// nextSeq is the sequence number of the next chunk: every stored chunk
	// has a lower one. prepared is nextSeq once the checkpoint being
	// prepared commits.
	nextSeq, prepared uint64
}

var _ persistOutput = (*viewOutput)(nil)

func newViewOutput(id string, store *state.Store, mem memory.Allocator, schema *arrow.Schema, keep bool) *viewOutput {
	return &viewOutput{id: id, store: store, mem: mem, schema: schema, keep: keep, nextSeq: 1}
}

func (v *viewOutput) emit(_ context.Context, _ uint64, rows arrow.RecordBatch, _ bool) error {
	if !v.keep || rows == nil || rows.NumRows() == 0 {
		return nil
	}
	rows.Retain()
	v.pending = append(v.pending, rows)
	v.rows += rows.NumRows()
	v.nbytes += batchBytes(rows)
	return nil
}

func (v *viewOutput) prepareCheckpoint(_ context.Context, _ uint64, pb *state.Batch) error {
	v.prepared = v.nextSeq
	if len(v.pending) == 0 {
		return nil
	}
	all, err := concatBatches(v.mem, v.schema, v.pending)
	if err != nil {
		return err
	}
	defer all.Release()
	for lo := int64(0); lo < all.NumRows(); lo += viewChunkRows {
		part := all.NewSlice(lo, min(lo+viewChunkRows, all.NumRows()))
		chunk, err := encodeIPC(v.mem, part)
		part.Release()
		if err != nil {
			return fmt.Errorf("view rows of %s: %w", v.id, err)
		}
		pb.SetViewRows(v.id, v.prepared, chunk)
		v.prepared++
	}
	return nil
}

func (v *viewOutput) committed() {
	v.nextSeq = v.prepared
	v.releasePending()
}

func (v *viewOutput) recover(context.Context) (uint64, error) {
	seq, ok, err := v.store.LastViewRowsSeq(v.id)
	if err != nil {
		return 0, err
	}
	if ok {
		v.nextSeq = seq + 1
	}
	return 0, nil
}

// pendingRows counts pendingRowBytes bytes as a row, so that either bound
// triggers the early checkpoint.
func (v *viewOutput) pendingRows() int64 { return max(v.rows, v.nbytes/pendingRowBytes) }

func (v *viewOutput) close() { v.releasePending() }

func (v *viewOutput) releasePending() {
	for _, b := range v.pending {
		b.Release()
	}
	v.pending, v.rows, v.nbytes = nil, 0, 0
}

// snapshotPending returns the pending rows, retained for the caller, and
// the sequence number below which every stored chunk is committed: what
// ScanView combines with the stored chunks.
func (v *viewOutput) snapshotPending() ([]arrow.RecordBatch, uint64) {
	out := make([]arrow.RecordBatch, len(v.pending))
	for i, b := range v.pending {
		b.Retain()
		out[i] = b
	}
	return out, v.nextSeq
}

// batchBytes approximates the memory held by b's buffers.
func batchBytes(b arrow.RecordBatch) int64 {
	var n int64
	for _, c := range b.Columns() {
		for _, buf := range c.Data().Buffers() {
			if buf != nil {
				n += int64(buf.Len())
			}
		}
	}
	return n
}

// concatBatches returns parts as one batch of schema; the caller releases it.
func concatBatches(mem memory.Allocator, schema *arrow.Schema, parts []arrow.RecordBatch) (arrow.RecordBatch, error) {
	if len(parts) == 1 {
		parts[0].Retain()
		return parts[0], nil
	}
	var rows int64
	for _, b := range parts {
		rows += b.NumRows()
	}
	cols := make([]arrow.Array, schema.NumFields())
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for i := range cols {
		chunks := make([]arrow.Array, len(parts))
		for j, b := range parts {
			chunks[j] = b.Column(i)
		}
		c, err := array.Concatenate(chunks, mem)
		if err != nil {
			return nil, fmt.Errorf("concatenate column %d: %w", i, err)
		}
		cols[i] = c
	}
	return array.NewRecordBatch(schema, cols, rows), nil
}

// encodeIPC returns b as Arrow IPC stream bytes.
func encodeIPC(mem memory.Allocator, b arrow.RecordBatch) ([]byte, error) {
	var buf bytes.Buffer
	w := ipc.NewWriter(&buf, ipc.WithSchema(b.Schema()), ipc.WithAllocator(mem))
	if err := w.Write(b); err != nil {
		_ = w.Close()
		return nil, fmt.Errorf("encode arrow ipc: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode arrow ipc: %w", err)
	}
	return buf.Bytes(), nil
}

// decodeIPC is the inverse of encodeIPC; it copies chunk, and the caller
// releases the batch.
func decodeIPC(mem memory.Allocator, chunk []byte) (arrow.RecordBatch, error) {
	r, err := ipc.NewReader(bytes.NewReader(chunk), ipc.WithAllocator(mem))
	if err != nil {
		return nil, fmt.Errorf("decode arrow ipc: %w", err)
	}
	defer r.Release()
	if !r.Next() {
		if err := r.Err(); err != nil {
			return nil, fmt.Errorf("decode arrow ipc: %w", err)
		}
		return nil, errors.New("decode arrow ipc: no record batch")
	}
	b := r.RecordBatch()
	b.Retain()
	return b, nil
}
