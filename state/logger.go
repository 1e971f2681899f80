package state

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
)

// pebbleLogger adapts slog to pebble.Logger so that Pebble's own log lines
// land in the server log instead of on stderr.
type pebbleLogger struct {
	log *slog.Logger
}

var _ pebble.Logger = pebbleLogger{}

// Infof logs at debug level: Pebble's info lines (WAL rotation, flushes,
// compactions) are routine and would drown the server's own info log.
func (l pebbleLogger) Infof(format string, args ...any) {
	if l.log.Enabled(context.Background(), slog.LevelDebug) {
		l.log.Debug(fmt.Sprintf(format, args...))
	}
}

// Errorf logs at error level.
func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error(fmt.Sprintf(format, args...))
}

// Fatalf logs and panics. Pebble calls it only on a broken invariant; a
// panic (unlike log.Fatal) still runs deferred cleanup up the stack.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	l.log.Error(msg, "fatal", true)
	panic("state: pebble fatal: " + msg)
}
