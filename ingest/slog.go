package ingest

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kgoLogger routes franz-go's logs to slog. franz-go's own plugin/kslog is
// a separate module we do not depend on, and the adapter is this small.
type kgoLogger struct{ l *slog.Logger }

var _ kgo.Logger = kgoLogger{}

// Level reports the most verbose kgo level the slog handler accepts, so kgo
// does not build key/values that would be thrown away. kgo's info level
// maps to our debug level (see Log).
func (k kgoLogger) Level() kgo.LogLevel {
	ctx := context.Background()
	switch {
	case k.l.Enabled(ctx, slog.LevelDebug):
		return kgo.LogLevelDebug
	case k.l.Enabled(ctx, slog.LevelWarn):
		return kgo.LogLevelWarn
	case k.l.Enabled(ctx, slog.LevelError):
		return kgo.LogLevelError
	}
	return kgo.LogLevelNone
}

// Log forwards one kgo log line; kgo's keyvals are already slog-style pairs.
func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	var sl slog.Level
	switch level {
	case kgo.LogLevelError:
		sl = slog.LevelError
	case kgo.LogLevelWarn:
		sl = slog.LevelWarn
	case kgo.LogLevelInfo, kgo.LogLevelDebug:
		// kgo's info lines (metadata refreshes, partition assignment on
		// every micro-batch fetch) are client chatter: debug for us.
		sl = slog.LevelDebug
	default:
		return
	}
	k.l.Log(context.Background(), sl, msg, keyvals...)
}
