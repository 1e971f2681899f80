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
// does not build debug key/values that would be thrown away.
func (k kgoLogger) Level() kgo.LogLevel {
	ctx := context.Background()
	switch {
	case k.l.Enabled(ctx, slog.LevelDebug):
		return kgo.LogLevelDebug
	case k.l.Enabled(ctx, slog.LevelInfo):
		return kgo.LogLevelInfo
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
	case kgo.LogLevelInfo:
		sl = slog.LevelInfo
	case kgo.LogLevelDebug:
		sl = slog.LevelDebug
	default:
		return
	}
	k.l.Log(context.Background(), sl, msg, keyvals...)
}
