package state

import "fmt"

// A checkpoint record is one opaque value per query under
// 0x03 + escaped query id. exec writes it in the same Batch as the window
// state it describes (typically the next offset of every source partition
// and a checkpoint sequence number), so state and offsets commit together
// and a restart resumes exactly where the state left off.

func checkpointKey(query string) []byte {
	return appendString([]byte{prefixCheckpoint}, query)
}

// SetCheckpoint records in b the checkpoint record of query, replacing the
// previous one when b commits. rec is copied.
func (b *Batch) SetCheckpoint(query string, rec []byte) {
	b.Set(checkpointKey(query), rec)
}

// Checkpoint returns the last committed checkpoint record of query, or
// ErrNotFound if the query has never checkpointed.
func (s *Store) Checkpoint(query string) ([]byte, error) {
	v, err := s.Get(checkpointKey(query))
	if err != nil {
		return nil, fmt.Errorf("checkpoint of %q: %w", query, err)
	}
	return v, nil
}
