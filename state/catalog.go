package state

import (
	"fmt"
)

// CatalogEntry is one catalog record. Value is opaque to state (exec
// serialises stream, view and query definitions into it) and owned by the
// caller.
type CatalogEntry struct {
	Name  string
	Value []byte
}

// catalogKey is 0x01, escaped kind, escaped name.
func catalogKey(kind, name string) []byte {
	return appendString(catalogPrefix(kind), name)
}

func catalogPrefix(kind string) []byte {
	return appendString([]byte{prefixCatalog}, kind)
}

// SetCatalog records in b value under (kind, name): catalog entries that
// must change together (a sink and its output stream) go in one batch.
func (b *Batch) SetCatalog(kind, name string, value []byte) {
	b.Set(catalogKey(kind, name), value)
}

// DeleteCatalog records in b the removal of (kind, name).
func (b *Batch) DeleteCatalog(kind, name string) {
	b.Delete(catalogKey(kind, name))
}

// WriteSynced commits the writes fn records as one synced batch: they
// survive a crash together or not at all.
func (s *Store) WriteSynced(fn func(b *Batch)) error { return s.writeSynced(fn) }

// PutCatalog stores value under (kind, name), replacing any previous value.
// The write is synced: when PutCatalog returns, the entry survives a crash.
func (s *Store) PutCatalog(kind, name string, value []byte) error {
	if err := s.writeSynced(func(b *Batch) { b.SetCatalog(kind, name, value) }); err != nil {
		return fmt.Errorf("put catalog %s %q: %w", kind, name, err)
	}
	return nil
}

// DeleteCatalog removes (kind, name), synced. Deleting an absent entry is
// not an error: callers decide about IF EXISTS before calling.
func (s *Store) DeleteCatalog(kind, name string) error {
	if err := s.writeSynced(func(b *Batch) { b.DeleteCatalog(kind, name) }); err != nil {
		return fmt.Errorf("delete catalog %s %q: %w", kind, name, err)
	}
	return nil
}

// writeSynced commits the writes of fn as one synced batch. The whole
// operation counts as in flight, so a concurrent Close cannot see the
// batch as leaked between its creation and its commit.
func (s *Store) writeSynced(fn func(b *Batch)) error {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.exit()
	b := s.NewBatch()
	fn(b)
	return b.Commit(true)
}

// GetCatalog returns the value stored under (kind, name), or ErrNotFound.
func (s *Store) GetCatalog(kind, name string) ([]byte, error) {
	v, err := s.Get(catalogKey(kind, name))
	if err != nil {
		return nil, fmt.Errorf("get catalog %s %q: %w", kind, name, err)
	}
	return v, nil
}

// ListCatalog returns every entry of kind, sorted by name (bytewise). The
// key encoding preserves name order, so this is a single forward scan. A
// key under the kind's prefix that does not decode yields ErrCorrupt.
func (s *Store) ListCatalog(kind string) ([]CatalogEntry, error) {
	lo := catalogPrefix(kind)
	var out []CatalogEntry
	err := s.Scan(lo, prefixSuccessor(lo), func(k, v []byte) error {
		name, rest, err := decodeString(k[len(lo):])
		if err != nil {
			return fmt.Errorf("catalog key %x: %w", k, err)
		}
		if len(rest) != 0 {
			return fmt.Errorf("%w: catalog key %x has %d trailing bytes", ErrCorrupt, k, len(rest))
		}
		out = append(out, CatalogEntry{Name: name, Value: append([]byte(nil), v...)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list catalog %s: %w", kind, err)
	}
	return out, nil
}
