package state

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// errBatchDone is the sticky error of a batch used after Commit or Close.
var errBatchDone = errors.New("state: batch already committed or closed")

// Batch collects writes that Commit applies atomically: a checkpoint puts
// window state and source offsets in one Batch so both land or neither.
//
// A Batch is not safe for concurrent use. The caller must end every batch
// with exactly one Commit or Close (Close after Commit is a no-op); the
// Store reports batches that were never ended as leaked when it closes.
// Set, Delete and DeleteRange copy their arguments.
type Batch struct {
	s     *Store
	b     *pebble.Batch
	done  bool
	trace []string
}

// NewBatch returns an empty batch. The caller must Commit or Close it.
func (s *Store) NewBatch() *Batch {
	s.openBatches.Add(1)
	return &Batch{s: s, b: s.db.NewBatch()}
}

// Set records key=value. Using a batch after Commit or Close panics: that
// is a broken invariant of the caller, not a runtime condition.
func (b *Batch) Set(key, value []byte) {
	b.mustBeOpen()
	_ = b.b.Set(key, value, nil) // non-indexed batches never fail
	b.traceOp("set %x", key)
}

// Delete records the deletion of key.
func (b *Batch) Delete(key []byte) {
	b.mustBeOpen()
	_ = b.b.Delete(key, nil)
	b.traceOp("del %x", key)
}

// DeleteRange records the deletion of every key in [lo, hi).
func (b *Batch) DeleteRange(lo, hi []byte) {
	b.mustBeOpen()
	_ = b.b.DeleteRange(lo, hi, nil)
	b.traceOp("delrange %x %x", lo, hi)
}

// Empty reports whether the batch holds no writes.
func (b *Batch) Empty() bool { return b.b == nil || b.b.Empty() }

// Commit applies the batch atomically and releases it. With sync the call
// returns only once the write is durable (fsync of the WAL). The batch is
// released whether or not Commit succeeds.
func (b *Batch) Commit(sync bool) error {
	if b.done {
		return errBatchDone
	}
	defer b.release()
	if err := b.s.enter(); err != nil {
		return err
	}
	defer b.s.exit()
	wo := pebble.NoSync
	if sync {
		wo = pebble.Sync
	}
	if err := b.s.db.Apply(b.b, wo); err != nil {
		return fmt.Errorf("state commit: %w", wrapPebble(err))
	}
	if t := b.s.opts.private.trace; t != nil {
		t(fmt.Sprintf("commit sync=%t", sync))
		for _, line := range b.trace {
			t("  " + line)
		}
	}
	return nil
}

// Close releases a batch without committing it. It is a no-op after
// Commit or a previous Close.
func (b *Batch) Close() {
	if !b.done {
		b.release()
	}
}

func (b *Batch) release() {
	b.done = true
	_ = b.b.Close() // a batch that was never applied cannot fail to close
	b.b = nil
	b.s.openBatches.Add(-1)
}

func (b *Batch) mustBeOpen() {
	if b.done {
		panic(errBatchDone)
	}
}

func (b *Batch) traceOp(format string, args ...any) {
	if b.s.opts.private.trace != nil {
		b.trace = append(b.trace, fmt.Sprintf(format, args...))
	}
}
