package state

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func TestPebbleLogger(t *testing.T) {
	var buf bytes.Buffer
	h := slog.NewTextHandler(&buf, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	})
	l := pebbleLogger{log: slog.New(h)}
	l.Infof("flushed %d tables", 3)
	l.Errorf("disk %s", "slow")
	func() {
		defer func() {
			if r := recover(); r == nil || !strings.Contains(r.(string), "bad invariant") {
				t.Errorf("Fatalf recovered %v, want panic naming the message", r)
			}
		}()
		l.Fatalf("bad %s", "invariant")
	}()
	want := "level=DEBUG msg=\"flushed 3 tables\"\n" +
		"level=ERROR msg=\"disk slow\"\n" +
		"level=ERROR msg=\"bad invariant\" fatal=true\n"
	if buf.String() != want {
		t.Fatalf("log:\n%s\nwant:\n%s", buf.String(), want)
	}
}
