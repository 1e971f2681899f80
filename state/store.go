package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Store is Sluice's durable state: the catalog, window state and
// checkpoints, in one Pebble database (keyspace layout in doc.go).
//
// A Store is safe for concurrent use. It starts no goroutines of its own;
// Pebble's background flushes and compactions are stopped by Close. Every
// method returns ErrClosed once Close has begun; Close waits for calls
// already in progress (a Scan callback must therefore not call Close).
type Store struct {
	db   *pebble.DB
	dir  string
	opts Options

	mu struct {
		sync.Mutex
		// closed is set when Close begins; after it, enter refuses.
		closed bool
	}
	// inflight counts calls between enter and exit so Close can wait for
	// them before closing Pebble, which panics on use after close.
	inflight sync.WaitGroup
	// openBatches counts batches neither committed nor closed; Close
	// reports them as leaked.
	openBatches atomic.Int64
}

// Open opens (creating if needed) the store in dir. With opts.InMemory the
// store lives in memory and dir is only a name. The caller must Close the
// returned Store.
func Open(ctx context.Context, dir string, opts Options) (*Store, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("open state store: %w", err)
	}
	opts.EnsureDefaults()
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(opts.CacheSize)
	// The DB takes its own reference; ours is dropped once Open returns.
	defer cache.Unref()
	popts := &pebble.Options{
		Cache:              cache,
		Logger:             pebbleLogger{log: opts.Logger},
		FormatMajorVersion: pebble.FormatNewest,
	}
	if opts.InMemory {
		popts.FS = vfs.NewMem()
	}
	db, err := pebble.Open(dir, popts)
	if err != nil {
		return nil, fmt.Errorf("open state store %s: %w", dir, wrapPebble(err))
	}
	return &Store{db: db, dir: dir, opts: opts}, nil
}

// Dir is the directory the store was opened in, for messages that must say
// where damaged state lives.
func (s *Store) Dir() string { return s.dir }

// Close stops Pebble after waiting for in-flight calls. It gathers every
// error (including leaked batches) into one. Close is idempotent: later calls
// return nil.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.mu.closed {
		s.mu.Unlock()
		return nil
	}
	s.mu.closed = true
	s.mu.Unlock()
	s.inflight.Wait()

	var errs []error
	if n := s.openBatches.Load(); n > 0 {
		errs = append(errs, fmt.Errorf("state: %d batches leaked (neither committed nor closed)", n))
	}
	if err := s.db.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close state store: %w", err))
	}
	return errors.Join(errs...)
}

// enter registers an in-flight call; every successful enter needs an exit.
func (s *Store) enter() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mu.closed {
		return ErrClosed
	}
	s.inflight.Add(1)
	return nil
}

func (s *Store) exit() { s.inflight.Done() }

// Get returns a copy of the value stored under key, or ErrNotFound.
func (s *Store) Get(key []byte) ([]byte, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	defer s.exit()
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("state get: %w", wrapPebble(err))
	}
	defer closer.Close()
	return bytes.Clone(v), nil
}

// Scan calls fn for every key in [lo, hi) in key order; nil lo or hi means
// unbounded. k and v are only valid during the call to fn. An error from fn
// stops the scan and is returned as is.
func (s *Store) Scan(lo, hi []byte, fn func(k, v []byte) error) (err error) {
	if err := s.enter(); err != nil {
		return err
	}
	defer s.exit()
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return fmt.Errorf("state scan: %w", wrapPebble(err))
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("state scan: %w", wrapPebble(cerr))
		}
	}()
	for valid := it.First(); valid; valid = it.Next() {
		v, verr := it.ValueAndErr()
		if verr != nil {
			return fmt.Errorf("state scan: %w", wrapPebble(verr))
		}
		if err := fn(it.Key(), v); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("state scan: %w", wrapPebble(err))
	}
	return nil
}

// wrapPebble makes Pebble corruption errors match ErrCorrupt.
func wrapPebble(err error) error {
	if pebble.IsCorruptionError(err) {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return err
}
