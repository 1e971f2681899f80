package state

import (
	"errors"
	"io"
	"log/slog"
)

// defaultCacheSize is deliberately small: window state is written far more
// than it is re-read, and the working set (open windows) is kept hot by the
// memtable.
const defaultCacheSize = 32 << 20

// Options configures a Store. The zero value is valid; Open calls
// EnsureDefaults and Validate on its own copy.
type Options struct {
	// Logger receives Pebble's log lines (info at debug level, errors at
	// error level). Default: discard. Pebble never prints to stderr.
	Logger *slog.Logger
	// InMemory keeps the whole store in memory (vfs.NewMem); dir is then
	// only a name. Default false. For tests: nothing survives Close.
	InMemory bool
	// CacheSize is the block cache size in bytes. Default 32 MiB.
	CacheSize int64

	// private holds test knobs; never set outside the package.
	private struct {
		// trace, when set, receives one line per committed batch operation.
		trace func(line string)
	}
}

// EnsureDefaults fills zero fields with their defaults.
func (o *Options) EnsureDefaults() {
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.CacheSize == 0 {
		o.CacheSize = defaultCacheSize
	}
}

// Validate reports options that cannot work. Call EnsureDefaults first.
func (o *Options) Validate() error {
	if o.CacheSize < 0 {
		return errors.New("state: negative cache size")
	}
	return nil
}
