package exec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/sluicedb/sluice/state"
)

// checkpoint writes the checkpoint of the last batch run, in this order:
// the output's prepareCheckpoint (a sink commits its Kafka transaction
// with a marker of the batch), then one synced Pebble batch holding the
// new operator snapshot (the old one deleted), the view's pending rows,
// the checkpoint record and the deletion of the offset-log entries it
// covers. A crash between the two leaves a marker newer than the
// checkpoint, which recovery handles (see Engine.restorePersistent).
//
// at is the time the checkpoint is taken at for scheduling: the logged
// start time of the batch it follows (or the clock when idle or
// stopping), so that a replay after a failure takes its checkpoints after
// the same batches as the original run (see maybeCheckpoint).
func (d *driver) checkpoint(ctx context.Context, at time.Time) error {
	p := d.persist
	b := p.batch
	start := d.clock.Now()
	pb := p.store.NewBatch()
	defer pb.Close()
	pb.DeleteSnapshot(p.id)
	var chunks uint32
	var size int64
	err := d.pipe.snapshot(func(c []byte) error {
		pb.SetSnapshotChunk(p.id, chunks, c)
		chunks++
		size += int64(len(c))
		return nil
	})
	if err != nil {
		return fmt.Errorf("checkpoint %d: %w", b, err)
	}
	if err := p.out.prepareCheckpoint(ctx, b, pb); err != nil {
		return fmt.Errorf("checkpoint %d: %w", b, err)
	}
	if p.crash(crashPrepared, b) {
		return errSimulatedCrash
	}
	rec, err := json.Marshal(d.checkpointRecord(b, at))
	if err != nil {
		return fmt.Errorf("checkpoint %d: %w", b, err)
	}
	pb.SetCheckpoint(p.id, rec)
	pb.DeleteOffsetLog(p.id, b)
	if err := pb.Commit(true); err != nil {
		return fmt.Errorf("checkpoint %d: %w", b, err)
	}
	p.out.committed()
	now := d.clock.Now()
	p.ckpt, p.lastCkpt = b, at
	d.q.stats.markCheckpointed(int64(b), now)
	d.log.Info("checkpoint", "query_id", p.id, "batch", b, "bytes", size,
		"duration_ms", now.Sub(start).Milliseconds())
	if p.crash(crashCheckpointed, b) {
		return errSimulatedCrash
	}
	return nil
}

// checkpointRecord describes the state after batch b.
func (d *driver) checkpointRecord(b uint64, at time.Time) checkpointRecord {
	info := d.q.stats.snapshot()
	return checkpointRecord{
		Version: checkpointVersion, Batch: b, Next: slices.Clone(d.src.next),
		Watermarker: d.wm.marshalState(), AtUS: at.UnixMicro(),
		// Checkpoints counts this one too: it is marked once it commits.
		Counters: checkpointCounters{Batches: info.Batches, InputRows: info.InputRows,
			OutputRows: info.OutputRows, DecodeErrors: info.DecodeErrors, Checkpoints: info.Checkpoints + 1},
	}
}

// restorePersistent loads d's state from its last checkpoint: the
// operator snapshot, the watermarker, the next offsets and the counters
// (into info), then the offset-log entries after it, which the driver
// replays first. marker is the sink's last committed marker batch.
// Errors say what is wrong; the caller names the query.
func (e *Engine) restorePersistent(d *driver, marker uint64, info *QueryInfo) error {
	p := d.persist
	raw, err := p.store.Checkpoint(p.id)
	if errors.Is(err, state.ErrNotFound) {
		return fmt.Errorf("%w: checkpoint record missing", ErrCorruptState)
	}
	if err != nil {
		return err
	}
	rec, err := decodeCheckpointRecord(raw)
	if err != nil {
		return err
	}
	chunks, err := p.store.Snapshot(p.id)
	if err != nil {
		return err
	}
	if err := d.pipe.restore(chunks); err != nil {
		return fmt.Errorf("restore checkpoint %d: %w", rec.Batch, err)
	}
	if err := d.wm.restoreState(rec.Watermarker); err != nil {
		return fmt.Errorf("restore checkpoint %d watermark: %w", rec.Batch, err)
	}
	d.src.setNext(rec.Next)
	p.batch, p.ckpt, p.marker = rec.Batch, rec.Batch, marker
	// The interval runs on from the restored checkpoint, so the replay
	// checkpoints after the same batches as the original run did.
	p.lastCkpt = time.UnixMicro(rec.AtUS)
	if rec.AtUS == 0 {
		p.lastCkpt = d.clock.Now()
	}
	if err := p.loadReplay(rec.Batch); err != nil {
		return err
	}
	if last := rec.Batch + uint64(len(p.replay)); marker > last {
		return fmt.Errorf("%w: sink marker batch %d is beyond the offset log (last batch %d)", ErrCorruptState, marker, last)
	}
	c := rec.Counters
	info.Batches, info.InputRows, info.OutputRows, info.DecodeErrors = c.Batches, c.InputRows, c.OutputRows, c.DecodeErrors
	info.Checkpoints = c.Checkpoints
	if rec.AtUS != 0 {
		info.LastCheckpoint = time.UnixMicro(rec.AtUS).UTC()
	}
	info.LateRows = d.pipe.stats().LateRows
	return nil
}

// loadReplay reads the offset-log entries after batch ckpt; they must
// follow it without a gap.
func (p *persister) loadReplay(ckpt uint64) error {
	next := ckpt + 1
	return p.store.ScanOffsetLog(p.id, ckpt, func(b uint64, raw []byte) error {
		if b != next {
			return fmt.Errorf("%w: offset log jumps from batch %d to %d", ErrCorruptState, next-1, b)
		}
		e, err := decodeOffsetLogEntry(b, raw)
		if err != nil {
			return err
		}
		p.replay = append(p.replay, e)
		next++
		return nil
	})
}

// serveScan answers a ScanView request between batches: the view's
// pending rows and the pipeline's current values, and the bound of the
// stored chunks that go with them.
func (d *driver) serveScan(ctx context.Context, req *scanRequest) {
	v := d.persist.view
	if v == nil {
		req.reply <- scanReply{err: fmt.Errorf("exec: query %s is not a view", d.q.id)}
		return
	}
	rows, below := v.snapshotPending()
	cur, err := d.pipe.current(ctx)
	if err != nil {
		for _, r := range rows {
			r.Release()
		}
		req.reply <- scanReply{err: fmt.Errorf("exec: view %s current values: %w", d.q.id, err)}
		return
	}
	if cur != nil {
		rows = append(rows, cur)
	}
	req.reply <- scanReply{rows: rows, storedBelow: below}
}
